//! Service levels end to end: calendars, SLA policies, live clocks on tickets, breach warnings
//! and breaches fired on time (on a manual clock, never by sleeping), and escalation.
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use frontline_proto::{
    common::v1::{FeedEvent, ListEventsRequest},
    ticketing::v1::{
        self as pb, Channel, CustomerTier, EscalationTier, OpeningInterval, Priority, SlaHours, SlaMetric,
        TicketStatus, Weekday,
    },
};
use frontline_shared::{auth::Role, clock::ManualClock};
use prost::Message;
use prost_types::{FieldMask, Timestamp};
use tonic::Code;

use crate::{
    conversation::comment,
    customers, on_both_backends, on_both_backends_at,
    support::{Backend, TestApp, Ticketing, error_reason, eventually, expect_error, violated_fields},
};

/// Friday 20 November 2026, 18:30 in Warsaw (CET, UTC+1): the office closed at 17:00.
fn friday_evening() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 20, 17, 30, 0).unwrap()
}

fn utc(day: u32, hour: u32, minute: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, day, hour, minute, 0).unwrap()
}

fn at(time: DateTime<Utc>) -> Option<Timestamp> {
    Some(Timestamp { seconds: time.timestamp(), nanos: 0 })
}

/// Monday to Friday, 9:00–17:00.
fn office_hours() -> Vec<OpeningInterval> {
    [Weekday::Monday, Weekday::Tuesday, Weekday::Wednesday, Weekday::Thursday, Weekday::Friday]
        .into_iter()
        .map(|weekday| OpeningInterval { weekday: weekday as i32, start: "09:00".into(), end: "17:00".into() })
        .collect()
}

async fn warsaw_office(admin: &mut Ticketing) -> pb::BusinessCalendar {
    admin
        .create_business_calendar(pb::CreateBusinessCalendarRequest {
            calendar: Some(pb::BusinessCalendar {
                name: "Warsaw office".into(),
                time_zone: "Europe/Warsaw".into(),
                intervals: office_hours(),
                holidays: vec!["2026-12-24".into(), "2026-12-25".into()],
                ..Default::default()
            }),
        })
        .await
        .expect("calendar created")
        .into_inner()
}

fn target(priority: Priority, metric: SlaMetric, minutes: i64, hours: SlaHours) -> pb::SlaTarget {
    pb::SlaTarget {
        priority: priority as i32,
        metric: metric as i32,
        target_seconds: minutes * 60,
        hours: hours as i32,
    }
}

async fn create_policy(admin: &mut Ticketing, policy: pb::SlaPolicy) -> pb::SlaPolicy {
    admin
        .create_sla_policy(pb::CreateSlaPolicyRequest { policy: Some(policy), position: 0 })
        .await
        .expect("policy created")
        .into_inner()
}

async fn vip_policy(admin: &mut Ticketing, calendar_id: &str) -> pb::SlaPolicy {
    create_policy(
        admin,
        pb::SlaPolicy {
            name: "VIP customers".into(),
            conditions: Some(pb::SlaConditions {
                customer_tiers: vec![CustomerTier::Vip as i32],
                ..Default::default()
            }),
            targets: vec![
                target(Priority::Urgent, SlaMetric::FirstReply, 60, SlaHours::Business),
                target(Priority::Urgent, SlaMetric::Resolution, 8 * 60, SlaHours::Business),
                target(Priority::Normal, SlaMetric::FirstReply, 4 * 60, SlaHours::Business),
            ],
            calendar_id: calendar_id.into(),
            warning_lead_seconds: 15 * 60,
            ..Default::default()
        },
    )
    .await
}

async fn urgent_ticket(client: &mut Ticketing, requester_id: &str, subject: &str) -> pb::Ticket {
    client
        .create_ticket(pb::CreateTicketRequest {
            ticket: Some(pb::Ticket {
                subject: subject.into(),
                requester_id: requester_id.into(),
                priority: Priority::Urgent as i32,
                channel: Channel::Email as i32,
                team_id: "t-support".into(),
                ..Default::default()
            }),
            request_id: String::new(),
        })
        .await
        .expect("ticket created")
        .into_inner()
}

async fn get(client: &mut Ticketing, id: &str) -> pb::Ticket {
    client.get_ticket(pb::GetTicketRequest { id: id.into() }).await.expect("ticket").into_inner()
}

fn clock_of(ticket: &pb::Ticket, metric: SlaMetric) -> pb::SlaClock {
    ticket.sla_clocks.iter().find(|c| c.metric == metric as i32).cloned().expect("the ticket has this clock")
}

/// The ticket's feed events, oldest first.
async fn ticket_events(client: &mut Ticketing, ticket_id: &str) -> Vec<FeedEvent> {
    let page = client.list_events(ListEventsRequest { after_position: 0, page_size: 5000 }).await.unwrap().into_inner();
    page.events.into_iter().filter(|e| e.aggregate_type == "ticket" && e.aggregate_id == ticket_id).collect()
}

/// Waits until the feed holds an event of `event_type` for the ticket, and returns its payload.
async fn wait_for<M: Message + Default>(client: &Ticketing, ticket_id: &str, event_type: &str) -> M {
    eventually(Duration::from_secs(10), || {
        let (mut client, ticket_id, event_type) = (client.clone(), ticket_id.to_string(), event_type.to_string());
        async move {
            let events = ticket_events(&mut client, &ticket_id).await;
            let event = events.into_iter().find(|e| e.event_type == event_type)?;
            M::decode(event.payload?.value.as_slice()).ok()
        }
    })
    .await
}

async fn team_lead_rule(admin: &mut Ticketing) -> pb::EscalationRule {
    admin
        .create_escalation_rule(pb::CreateEscalationRuleRequest {
            rule: Some(pb::EscalationRule {
                name: "Missed first reply goes to the team lead".into(),
                active: true,
                condition: Some(pb::escalation_rule::Condition::SlaBreach(pb::SlaBreachCondition {
                    metric: SlaMetric::FirstReply as i32,
                })),
                tier: EscalationTier::TeamLead as i32,
                ..Default::default()
            }),
        })
        .await
        .expect("rule created")
        .into_inner()
}

on_both_backends_at! {
    friday_evening();
    /// The scenario: an urgent VIP ticket arrives on a Friday evening in Warsaw, with
    /// business hours Monday to Friday 9–17. Its first-reply clock waits over the weekend; the
    /// warning and the breach fire on Monday at the right minute; a rule escalates it to the
    /// team lead; the feed tells all of it, once.
    async fn an_urgent_vip_ticket_on_a_friday_evening_in_warsaw(app, clock) {
        let mut admin = app.ticketing(Role::Administrator).await;
        let office = warsaw_office(&mut admin).await;
        let policy = vip_policy(&mut admin, &office.id).await;
        let rule = team_lead_rule(&mut admin).await;
        let zofia = customers::create(&mut admin, customers::zofia()).await;
        assert_eq!(zofia.tier, CustomerTier::Vip as i32);

        let mut gateway = app.ticketing(Role::Service).await;
        let ticket = urgent_ticket(&mut gateway, &zofia.id, "Nie działa logowanie do panelu").await;
        assert_eq!(ticket.sla_policy_id, policy.id);
        // Due at 10:00 on Monday in Warsaw: the office hour from 9:00 is all the target needs.
        assert_eq!(ticket.sla_breach_at, at(utc(23, 9, 0)));

        let friday = get(&mut admin, &ticket.id).await;
        let first_reply = clock_of(&friday, SlaMetric::FirstReply);
        assert_eq!(first_reply.target_at, at(utc(23, 9, 0)));
        assert_eq!(first_reply.warning_at, at(utc(23, 8, 45)));
        assert_eq!(first_reply.remaining_seconds, 3600);
        assert_eq!(first_reply.hours, SlaHours::Business as i32);
        assert_eq!(clock_of(&friday, SlaMetric::Resolution).target_at, at(utc(23, 16, 0)));

        // Saturday noon: the office is closed, so nothing of the hour has been used.
        clock.set(utc(21, 11, 0));
        let saturday = get(&mut admin, &ticket.id).await;
        assert_eq!(clock_of(&saturday, SlaMetric::FirstReply).remaining_seconds, 3600);
        assert!(ticket_events(&mut admin, &ticket.id).await.iter().all(|e| !e.event_type.starts_with("ticket.sla")));

        // Monday 9:45 in Warsaw: fifteen minutes left, the warning fires.
        clock.set(utc(23, 8, 45));
        let warning: pb::SlaAlert = wait_for(&admin, &ticket.id, "ticket.sla_warning").await;
        assert_eq!((warning.metric, warning.kind), (SlaMetric::FirstReply as i32, pb::SlaAlertKind::Warning as i32));
        assert_eq!(warning.due_at, at(utc(23, 8, 45)));
        assert_eq!(warning.policy_id, policy.id);

        // 10:00: nobody replied. The breach fires at its minute and the rule calls the team lead.
        // (A reply at exactly 10:00 would still have met it; a second later it is breached.)
        clock.set(utc(23, 9, 0) + chrono::TimeDelta::seconds(1));
        let breach: pb::SlaAlert = wait_for(&admin, &ticket.id, "ticket.sla_breached").await;
        assert_eq!(breach.due_at, at(utc(23, 9, 0)));
        assert_eq!(breach.fired_at, at(utc(23, 9, 0) + chrono::TimeDelta::seconds(1)));
        let escalated: pb::TicketEscalated = wait_for(&admin, &ticket.id, "ticket.escalated").await;
        let escalation = escalated.escalation.unwrap();
        assert_eq!(escalation.to_tier, EscalationTier::TeamLead as i32);
        assert_eq!((escalation.actor.as_str(), escalation.rule_id.as_str()), ("system", rule.id.as_str()));
        assert!(escalation.reason.contains("first reply"), "{}", escalation.reason);

        // The support team's supervisor's board in analytics: the ticket is overdue, one
        // first-reply breach today. (The board shows a supervisor their team's tickets, as
        // ticketing does.)
        let mut analytics = app.analytics_as(Role::Supervisor, "supervisor-iga", Some("t-support")).await;
        let board = eventually(Duration::from_secs(20), || {
            let mut analytics = analytics.clone();
            async move {
                let request = frontline_proto::analytics::v1::GetSlaBoardRequest { time_zone: "Europe/Warsaw".into(), day: "2026-11-23".into(), ..Default::default() };
                let board = analytics.get_sla_board(request).await.ok()?.into_inner();
                (board.breaches_today == 1).then_some(board)
            }
        })
        .await;
        assert_eq!(board.breaches_by_metric[0].metric, "first_reply");
        assert_eq!(board.at_risk[0].ticket_id, ticket.id);
        assert_eq!(board.at_risk[0].sla_breach_at, at(utc(23, 9, 0)));
        let bad_day = analytics.get_sla_board(frontline_proto::analytics::v1::GetSlaBoardRequest { day: "Monday".into(), time_zone: "Nowhere/Land".into(), limit: -1, ..Default::default() }).await;
        assert_eq!(violated_fields(&expect_error(bad_day)), ["time_zone", "day", "limit"]);
        let _ = &mut analytics;

        let monday = get(&mut admin, &ticket.id).await;
        assert_eq!(monday.escalation_tier, EscalationTier::TeamLead as i32);
        assert_eq!(clock_of(&monday, SlaMetric::FirstReply).breached_at, at(utc(23, 9, 0)));

        // Later on, nothing fires twice.
        clock.set(utc(23, 12, 0));
        let reply = comment(&mut admin, &ticket.id, "Dzień dobry, już sprawdzamy.", true, TicketStatus::Open).await;
        assert!(reply.ticket.unwrap().first_reply_at.is_some());
        let _: pb::CommentAdded = wait_for(&admin, &ticket.id, "ticket.commented").await;
        let events: Vec<String> = ticket_events(&mut admin, &ticket.id)
            .await
            .into_iter()
            .map(|e| e.event_type)
            .filter(|kind| !kind.starts_with("ticket.suggestions"))
            .collect();
        assert_eq!(
            events,
            ["ticket.created", "ticket.sla_warning", "ticket.sla_breached", "ticket.escalated", "ticket.commented"]
        );
        let history = admin
            .list_escalations(pb::ListEscalationsRequest { ticket_id: ticket.id.clone() })
            .await
            .unwrap()
            .into_inner()
            .escalations;
        assert_eq!(history.len(), 1);
        let audits = admin
            .list_ticket_audits(pb::ListTicketAuditsRequest { ticket_id: ticket.id.clone(), ..Default::default() })
            .await
            .unwrap()
            .into_inner()
            .audits;
        let actions: Vec<&str> = audits.iter().map(|a| a.action.as_str()).collect();
        assert_eq!(actions, ["created", "sla_warning", "sla_breached", "escalated", "commented:public_reply"]);
    }
}

on_both_backends_at! {
    utc(23, 9, 0);
    /// Requester wait time pauses in pending; the queue can be read soonest-breach first.
    async fn clocks_pause_while_the_requester_is_asked_and_tickets_list_by_time_to_breach(app, clock) {
        let mut admin = app.ticketing(Role::Administrator).await;
        create_policy(&mut admin, pb::SlaPolicy {
            name: "Everyone".into(),
            targets: vec![
                target(Priority::Urgent, SlaMetric::RequesterWaitTime, 120, SlaHours::Calendar),
                target(Priority::Urgent, SlaMetric::FirstReply, 30, SlaHours::Calendar),
            ],
            ..Default::default()
        }).await;
        let requester = customers::create(&mut admin, pb::Customer { tier: CustomerTier::Standard as i32, ..customers::zofia() }).await;
        let waiting = urgent_ticket(&mut admin, &requester.id, "Invoice total is wrong").await;
        clock.set(utc(23, 9, 10));
        let later = urgent_ticket(&mut admin, &requester.id, "Cannot export report").await;
        let unmatched = admin.create_ticket(pb::CreateTicketRequest {
            ticket: Some(pb::Ticket { subject: "Low priority question".into(), requester_id: requester.id.clone(), priority: Priority::Low as i32, ..Default::default() }),
            request_id: String::new(),
        }).await.unwrap().into_inner();

        // An agent replies at 9:20 and asks the requester for the invoice number: pending.
        clock.set(utc(23, 9, 20));
        let asked = comment(&mut admin, &waiting.id, "Which invoice number is it?", true, TicketStatus::Pending).await.ticket.unwrap();
        assert_eq!(asked.sla_breach_at, None, "every running clock of it is fulfilled or paused");
        clock.set(utc(23, 11, 20));
        let pending = get(&mut admin, &waiting.id).await;
        let wait = clock_of(&pending, SlaMetric::RequesterWaitTime);
        assert!(wait.paused);
        assert_eq!(wait.remaining_seconds, 100 * 60, "20 minutes were used before pending");
        assert_eq!(clock_of(&pending, SlaMetric::FirstReply).fulfilled_at, at(utc(23, 9, 20)));

        // The requester answers at 11:20: the clock runs again, due in the 100 minutes left.
        let mut portal = app.ticketing(Role::Portal).await;
        let answered = comment(&mut portal, &waiting.id, "It is FV/2026/11/042.", true, TicketStatus::Unspecified).await.ticket.unwrap();
        assert_eq!(answered.status, TicketStatus::Open as i32);
        assert_eq!(answered.sla_breach_at, at(utc(23, 13, 0)));

        let queue = admin.list_tickets(pb::ListTicketsRequest { order_by: "sla_breach_at".into(), ..Default::default() }).await.unwrap().into_inner().tickets;
        let order: Vec<&str> = queue.iter().map(|t| t.id.as_str()).collect();
        // The later ticket's first reply was due at 9:40 (breached), then the answered one, then no SLA.
        assert_eq!(order, [later.id.as_str(), waiting.id.as_str(), unmatched.id.as_str()]);
        let breaching = admin.list_tickets(pb::ListTicketsRequest { filter: "sla_breach_at < \"2026-11-23T12:00:00Z\"".into(), ..Default::default() }).await.unwrap().into_inner().tickets;
        assert_eq!(breaching.len(), 1);
        assert_eq!(breaching[0].id, later.id);
    }
}

on_both_backends! {
    async fn administrators_keep_calendars_and_refuse_what_cannot_work(app) {
        let mut admin = app.ticketing(Role::Administrator).await;
        let office = warsaw_office(&mut admin).await;
        assert_eq!(office.intervals.len(), 5);
        assert_eq!(office.intervals[0].start, "09:00");
        assert_eq!(office.holidays, ["2026-12-24", "2026-12-25"]);

        let bad = expect_error(admin.create_business_calendar(pb::CreateBusinessCalendarRequest {
            calendar: Some(pb::BusinessCalendar {
                name: "Mars".into(),
                time_zone: "Mars/Olympus_Mons".into(),
                intervals: vec![OpeningInterval { weekday: Weekday::Monday as i32, start: "25:00".into(), end: "17:00".into() }],
                holidays: vec!["next tuesday".into()],
                ..Default::default()
            }),
        }).await);
        assert_eq!(bad.code(), Code::InvalidArgument);
        assert_eq!(violated_fields(&bad), ["calendar.intervals[0].start", "calendar.holidays[0]"]);
        let zone = expect_error(admin.create_business_calendar(pb::CreateBusinessCalendarRequest {
            calendar: Some(pb::BusinessCalendar { name: "Mars".into(), time_zone: "Mars/Olympus_Mons".into(), intervals: office_hours(), ..Default::default() }),
        }).await);
        assert_eq!(violated_fields(&zone), ["calendar.time_zone"]);
        let empty = expect_error(admin.create_business_calendar(pb::CreateBusinessCalendarRequest {
            calendar: Some(pb::BusinessCalendar { name: "Never".into(), time_zone: "UTC".into(), ..Default::default() }),
        }).await);
        assert_eq!(violated_fields(&empty), ["calendar.intervals"]);

        let mut agent = app.ticketing(Role::Agent).await;
        let denied = expect_error(agent.create_business_calendar(pb::CreateBusinessCalendarRequest { calendar: Some(office.clone()) }).await);
        assert_eq!(denied.code(), Code::PermissionDenied);
        assert_eq!(agent.get_business_calendar(pb::GetBusinessCalendarRequest { id: office.id.clone() }).await.unwrap().into_inner().name, "Warsaw office");
        assert_eq!(expect_error(agent.get_business_calendar(pb::GetBusinessCalendarRequest { id: "nope".into() }).await).code(), Code::NotFound);

        // Polish public holidays from an iCalendar feed.
        let ics = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nDTSTART;VALUE=DATE:20261111\r\nSUMMARY:Narodowe Święto Niepodległości\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nDTSTART;VALUE=DATE:20261225\r\nSUMMARY:Boże Narodzenie\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
        let imported = admin.import_holidays(pb::ImportHolidaysRequest { calendar_id: office.id.clone(), icalendar: ics.into(), replace: false }).await.unwrap().into_inner();
        assert_eq!(imported.added, 1);
        assert_eq!(imported.calendar.as_ref().unwrap().holidays, ["2026-11-11", "2026-12-24", "2026-12-25"]);
        let broken = expect_error(admin.import_holidays(pb::ImportHolidaysRequest { calendar_id: office.id.clone(), icalendar: "BEGIN:VEVENT\r\nDTSTART:garbage\r\nEND:VEVENT\r\n".into(), replace: true }).await);
        assert_eq!(violated_fields(&broken), ["icalendar"]);

        // Updates by mask and etag.
        let renamed = admin.update_business_calendar(pb::UpdateBusinessCalendarRequest {
            calendar: Some(pb::BusinessCalendar { id: office.id.clone(), name: "Warszawa".into(), etag: imported.calendar.unwrap().etag, ..Default::default() }),
            update_mask: Some(FieldMask { paths: vec!["name".into()] }),
        }).await.unwrap().into_inner();
        assert_eq!((renamed.name.as_str(), renamed.intervals.len()), ("Warszawa", 5));
        let stale = expect_error(admin.update_business_calendar(pb::UpdateBusinessCalendarRequest {
            calendar: Some(pb::BusinessCalendar { id: office.id.clone(), name: "Kraków".into(), etag: office.etag.clone(), ..Default::default() }),
            update_mask: Some(FieldMask { paths: vec!["name".into()] }),
        }).await);
        assert_eq!(stale.code(), Code::Aborted);

        // A calendar in use cannot go.
        vip_policy(&mut admin, &office.id).await;
        let in_use = expect_error(admin.delete_business_calendar(pb::DeleteBusinessCalendarRequest { id: office.id.clone() }).await);
        assert_eq!((in_use.code(), error_reason(&in_use).as_str()), (Code::FailedPrecondition, "CALENDAR_IN_USE"));
        let listed = admin.list_business_calendars(pb::ListBusinessCalendarsRequest {}).await.unwrap().into_inner().calendars;
        assert_eq!(listed.len(), 1);
    }
}

on_both_backends! {
    async fn sla_policies_apply_in_order_and_refuse_what_cannot_work(app) {
        let mut admin = app.ticketing(Role::Administrator).await;
        let office = warsaw_office(&mut admin).await;
        let everyone = create_policy(&mut admin, pb::SlaPolicy {
            name: "Everyone".into(),
            targets: vec![target(Priority::Urgent, SlaMetric::FirstReply, 240, SlaHours::Calendar)],
            ..Default::default()
        }).await;
        let vip = vip_policy(&mut admin, &office.id).await;
        assert_eq!((everyone.position, vip.position), (1, 2));
        let zofia = customers::create(&mut admin, customers::zofia()).await;
        let first = urgent_ticket(&mut admin, &zofia.id, "Order missing").await;
        assert_eq!(first.sla_policy_id, everyone.id, "the first match wins, even for a VIP");

        let reordered = admin.reorder_sla_policies(pb::ReorderSlaPoliciesRequest { policy_ids: vec![vip.id.clone(), everyone.id.clone()] }).await.unwrap().into_inner();
        assert_eq!(reordered.policies[0].id, vip.id);
        let second = urgent_ticket(&mut admin, &zofia.id, "Order missing again").await;
        assert_eq!(second.sla_policy_id, vip.id);
        let bad_order = expect_error(admin.reorder_sla_policies(pb::ReorderSlaPoliciesRequest { policy_ids: vec![vip.id.clone()] }).await);
        assert_eq!(violated_fields(&bad_order), ["policy_ids"]);

        let invalid = expect_error(admin.create_sla_policy(pb::CreateSlaPolicyRequest {
            policy: Some(pb::SlaPolicy {
                name: String::new(),
                targets: vec![
                    target(Priority::Urgent, SlaMetric::FirstReply, 30, SlaHours::Business),
                    pb::SlaTarget { priority: Priority::High as i32, metric: SlaMetric::NextReply as i32, target_seconds: 90, hours: 0 },
                    pb::SlaTarget { priority: 0, metric: 42, target_seconds: 60, hours: 0 },
                ],
                ..Default::default()
            }),
            position: 0,
        }).await);
        assert_eq!(invalid.code(), Code::InvalidArgument);
        assert_eq!(violated_fields(&invalid), ["policy.targets[1].target_seconds", "policy.targets[2].priority", "policy.targets[2].metric"]);
        let no_calendar = expect_error(admin.create_sla_policy(pb::CreateSlaPolicyRequest {
            policy: Some(pb::SlaPolicy { name: "Business".into(), targets: vec![target(Priority::Urgent, SlaMetric::FirstReply, 30, SlaHours::Business)], ..Default::default() }),
            position: 0,
        }).await);
        assert_eq!(violated_fields(&no_calendar), ["policy.calendar_id"]);
        let unknown_calendar = expect_error(admin.create_sla_policy(pb::CreateSlaPolicyRequest {
            policy: Some(pb::SlaPolicy { name: "Business".into(), calendar_id: "gone".into(), targets: vec![target(Priority::Urgent, SlaMetric::FirstReply, 30, SlaHours::Business)], ..Default::default() }),
            position: 0,
        }).await);
        assert_eq!(violated_fields(&unknown_calendar), ["policy.calendar_id"]);

        let updated = admin.update_sla_policy(pb::UpdateSlaPolicyRequest {
            policy: Some(pb::SlaPolicy { id: everyone.id.clone(), targets: vec![target(Priority::Urgent, SlaMetric::FirstReply, 15, SlaHours::Calendar)], etag: everyone.etag.clone(), ..Default::default() }),
            update_mask: Some(FieldMask { paths: vec!["targets".into()] }),
        }).await.unwrap().into_inner();
        assert_eq!(updated.targets[0].target_seconds, 900);
        assert_eq!(updated.name, "Everyone");
        let stale = expect_error(admin.update_sla_policy(pb::UpdateSlaPolicyRequest {
            policy: Some(pb::SlaPolicy { id: everyone.id.clone(), name: "Stale".into(), etag: everyone.etag.clone(), ..Default::default() }),
            update_mask: Some(FieldMask { paths: vec!["name".into()] }),
        }).await);
        assert_eq!(stale.code(), Code::Aborted);

        let mut lead = app.ticketing(Role::TeamLead).await;
        assert_eq!(lead.list_sla_policies(pb::ListSlaPoliciesRequest {}).await.unwrap().into_inner().policies.len(), 2);
        assert_eq!(expect_error(lead.delete_sla_policy(pb::DeleteSlaPolicyRequest { id: vip.id.clone() }).await).code(), Code::PermissionDenied);
        admin.delete_sla_policy(pb::DeleteSlaPolicyRequest { id: vip.id.clone() }).await.unwrap();
        assert_eq!(expect_error(admin.get_sla_policy(pb::GetSlaPolicyRequest { id: vip.id.clone() }).await).code(), Code::NotFound);
        let remaining = admin.list_sla_policies(pb::ListSlaPoliciesRequest {}).await.unwrap().into_inner().policies;
        assert_eq!((remaining.len(), remaining[0].position), (1, 1));
    }
}

on_both_backends! {
    async fn agents_escalate_with_a_reason_and_leads_hand_tickets_back(app) {
        let mut admin = app.ticketing(Role::Administrator).await;
        let requester = customers::create(&mut admin, customers::zofia()).await;
        let ticket = urgent_ticket(&mut admin, &requester.id, "Payment gateway down").await;
        assert_eq!(ticket.escalation_tier, EscalationTier::Agent as i32);

        let mut agent = app.ticketing_in_team(Role::Agent, "agent-ola", "t-support").await;
        let request = |tier: EscalationTier, reason: &str| pb::EscalateTicketRequest {
            ticket_id: ticket.id.clone(),
            tier: tier as i32,
            team_id: "t-tier2".into(),
            assignee_id: "senior-marek".into(),
            reason: reason.into(),
            etag: String::new(),
        };
        let no_reason = expect_error(agent.escalate_ticket(request(EscalationTier::SeniorAgent, " ")).await);
        assert_eq!(violated_fields(&no_reason), ["reason"]);
        let no_tier = expect_error(agent.escalate_ticket(pb::EscalateTicketRequest { tier: 0, ..request(EscalationTier::SeniorAgent, "why") }).await);
        assert_eq!(violated_fields(&no_tier), ["tier"]);
        let bad_tier = expect_error(agent.escalate_ticket(pb::EscalateTicketRequest { tier: 99, ..request(EscalationTier::SeniorAgent, "why") }).await);
        assert_eq!(violated_fields(&bad_tier), ["tier"]);
        let stale = expect_error(agent.escalate_ticket(pb::EscalateTicketRequest { etag: "999".into(), ..request(EscalationTier::SeniorAgent, "why") }).await);
        assert_eq!(stale.code(), Code::Aborted);

        let up = agent.escalate_ticket(request(EscalationTier::SeniorAgent, "Needs access to the gateway logs")).await.unwrap().into_inner();
        let escalated = up.ticket.unwrap();
        assert_eq!(escalated.escalation_tier, EscalationTier::SeniorAgent as i32);
        assert_eq!((escalated.team_id.as_str(), escalated.assignee_id.as_str()), ("t-tier2", "senior-marek"));
        assert_eq!(escalated.status, TicketStatus::Open as i32);
        // Handed to tier 2, the ticket is out of the agent's team now.
        assert_eq!(expect_error(agent.get_ticket(pb::GetTicketRequest { id: ticket.id.clone() }).await).code(), Code::NotFound);
        let same = expect_error(admin.escalate_ticket(request(EscalationTier::Agent, "back")).await);
        assert_eq!((same.code(), error_reason(&same).as_str()), (Code::FailedPrecondition, "ESCALATION_TIER_NOT_REACHABLE"));

        let denied = expect_error(agent.deescalate_ticket(request(EscalationTier::Agent, "resolved")).await);
        assert_eq!(denied.code(), Code::PermissionDenied);
        let mut lead = app.ticketing_in_team(Role::TeamLead, "lead-anna", "t-tier2").await;
        let down = lead.deescalate_ticket(pb::EscalateTicketRequest { team_id: String::new(), assignee_id: String::new(), ..request(EscalationTier::Agent, "Gateway is back; the agent can close it") }).await.unwrap().into_inner();
        assert_eq!(down.escalation.unwrap().direction, pb::EscalationDirection::Down as i32);

        let history = admin.list_escalations(pb::ListEscalationsRequest { ticket_id: ticket.id.clone() }).await.unwrap().into_inner().escalations;
        let steps: Vec<(i32, i32, &str)> = history.iter().map(|e| (e.from_tier, e.to_tier, e.actor.as_str())).collect();
        assert_eq!(steps, [
            (EscalationTier::Agent as i32, EscalationTier::SeniorAgent as i32, "agent-ola"),
            (EscalationTier::SeniorAgent as i32, EscalationTier::Agent as i32, "lead-anna"),
        ]);
        assert_eq!(expect_error(admin.list_escalations(pb::ListEscalationsRequest { ticket_id: "x".into() }).await).code(), Code::InvalidArgument);
        assert_eq!(expect_error(admin.list_escalations(pb::ListEscalationsRequest { ticket_id: "424242".into() }).await).code(), Code::NotFound);
        let filtered = admin.list_tickets(pb::ListTicketsRequest { filter: "escalation_tier >= SENIOR_AGENT".into(), ..Default::default() }).await.unwrap().into_inner().tickets;
        assert!(filtered.is_empty(), "it was handed back down");
    }
}

on_both_backends! {
    async fn escalation_rules_fire_once_on_vip_urgency_reopens_and_bad_ratings(app) {
        let mut admin = app.ticketing(Role::Administrator).await;
        let rule = |name: &str, condition: pb::escalation_rule::Condition, tier: EscalationTier| pb::CreateEscalationRuleRequest {
            rule: Some(pb::EscalationRule { name: name.into(), active: true, condition: Some(condition), tier: tier as i32, ..Default::default() }),
        };
        use pb::escalation_rule::Condition;
        let vip = admin.create_escalation_rule(rule("VIP urgent", Condition::VipUrgent(pb::VipUrgentCondition {}), EscalationTier::SeniorAgent)).await.unwrap().into_inner();
        admin.create_escalation_rule(rule("Reopened twice", Condition::Reopened(pb::ReopenedCondition { times: 2 }), EscalationTier::Supervisor)).await.unwrap();
        admin.create_escalation_rule(rule("Unhappy customer", Condition::BadSatisfaction(pb::BadSatisfactionCondition {}), EscalationTier::Manager)).await.unwrap();

        let bad = expect_error(admin.create_escalation_rule(rule("", Condition::Reopened(pb::ReopenedCondition { times: 0 }), EscalationTier::Agent)).await);
        assert_eq!(violated_fields(&bad), ["rule.name", "rule.reopened.times", "rule.tier"]);
        let mut agent = app.ticketing(Role::Agent).await;
        assert_eq!(expect_error(agent.create_escalation_rule(rule("x", Condition::VipUrgent(pb::VipUrgentCondition {}), EscalationTier::TeamLead)).await).code(), Code::PermissionDenied);

        let zofia = customers::create(&mut admin, customers::zofia()).await;
        let ticket = urgent_ticket(&mut admin, &zofia.id, "Warehouse scanner offline").await;
        assert_eq!(ticket.escalation_tier, EscalationTier::SeniorAgent as i32, "urgent from a VIP");

        let solve = |id: &str, status: TicketStatus| pb::UpdateTicketRequest {
            ticket: Some(pb::Ticket { id: id.into(), status: status as i32, ..Default::default() }),
            update_mask: Some(FieldMask { paths: vec!["status".into()] }),
        };
        for _ in 0..2 {
            admin.update_ticket(solve(&ticket.id, TicketStatus::Solved)).await.unwrap();
            admin.update_ticket(solve(&ticket.id, TicketStatus::Open)).await.unwrap();
        }
        assert_eq!(get(&mut admin, &ticket.id).await.escalation_tier, EscalationTier::Supervisor as i32);
        admin.update_ticket(solve(&ticket.id, TicketStatus::Solved)).await.unwrap();
        let mut portal = app.ticketing(Role::Portal).await;
        let rated = portal.rate_ticket(pb::RateTicketRequest { ticket_id: ticket.id.clone(), rating: pb::SatisfactionRating::Bad as i32, comment: "Three days without scanners".into() }).await.unwrap().into_inner();
        assert_eq!(rated.escalation_tier, EscalationTier::Manager as i32);

        let history = admin.list_escalations(pb::ListEscalationsRequest { ticket_id: ticket.id.clone() }).await.unwrap().into_inner().escalations;
        assert_eq!(history.len(), 3, "each rule once: {history:?}");
        assert_eq!(history[0].rule_id, vip.id);

        // Rules can be listed, switched off and deleted.
        let off = admin.update_escalation_rule(pb::UpdateEscalationRuleRequest { rule: Some(pb::EscalationRule { active: false, etag: vip.etag.clone(), ..vip.clone() }) }).await.unwrap().into_inner();
        assert!(!off.active);
        let stale = expect_error(admin.update_escalation_rule(pb::UpdateEscalationRuleRequest { rule: Some(vip.clone()) }).await);
        assert_eq!(stale.code(), Code::Aborted);
        admin.delete_escalation_rule(pb::DeleteEscalationRuleRequest { id: vip.id.clone() }).await.unwrap();
        assert_eq!(expect_error(admin.delete_escalation_rule(pb::DeleteEscalationRuleRequest { id: vip.id.clone() }).await).code(), Code::NotFound);
        assert_eq!(admin.list_escalation_rules(pb::ListEscalationRulesRequest {}).await.unwrap().into_inner().rules.len(), 2);
    }
}

/// Two replicas on one PostgreSQL database and one clock: each breach fires once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs PostgreSQL: set FRONTLINE_TEST_DATABASE_URL and pass --include-ignored (make test does both)"]
async fn each_breach_fires_once_across_replicas() {
    let (first, clock): (TestApp, ManualClock) = TestApp::spawn_at(Backend::Postgres, utc(23, 9, 0)).await;
    let url = first.settings().database.url.clone();
    let second = TestApp::spawn_on(Backend::Postgres, &[], |settings| settings.database.url = url, first.clock()).await;
    let mut admin = first.ticketing(Role::Administrator).await;
    create_policy(
        &mut admin,
        pb::SlaPolicy {
            name: "Everyone".into(),
            targets: vec![target(Priority::Urgent, SlaMetric::FirstReply, 10, SlaHours::Calendar)],
            warning_lead_seconds: 300,
            ..Default::default()
        },
    )
    .await;
    let requester = customers::create(&mut admin, customers::zofia()).await;
    let mut tickets = Vec::new();
    for n in 0..10 {
        tickets.push(urgent_ticket(&mut admin, &requester.id, &format!("Outage report {n}")).await.id);
    }
    clock.set(utc(23, 9, 30));
    let mut reader = second.ticketing(Role::Administrator).await;
    let alerts = eventually(Duration::from_secs(15), || {
        let mut reader = reader.clone();
        async move {
            let page =
                reader.list_events(ListEventsRequest { after_position: 0, page_size: 5000 }).await.ok()?.into_inner();
            let alerts: Vec<(String, String)> = page
                .events
                .into_iter()
                .filter(|e| e.event_type.starts_with("ticket.sla"))
                .map(|e| (e.aggregate_id, e.event_type))
                .collect();
            (alerts.len() >= 20).then_some(alerts)
        }
    })
    .await;
    let _ = &mut reader;
    let mut unique = alerts.clone();
    unique.sort();
    unique.dedup();
    assert_eq!((alerts.len(), unique.len()), (20, 20), "a warning and a breach per ticket, none twice");
    second.stop().await;
    first.stop().await;
}
