//! Analytics follows the ticketing feed through the generated client, in process.
use std::time::Duration;

use frontline_proto::analytics::v1::ListFeedSubscriptionsRequest;
use frontline_shared::auth::Role;
use tonic::Code;

use crate::{
    on_both_backends,
    support::{eventually, expect_error},
    tickets,
};

on_both_backends! {
    with crate::support::without_suggestions;
    async fn analytics_catches_up_with_the_ticketing_feed_and_reports_its_lag(app) {
        let mut client = app.ticketing(Role::Agent).await;
        let requester = tickets::requester(&mut client).await;
        for n in 0..3 {
            tickets::create(&mut client, tickets::ticket(&requester, &format!("Ticket {n}"))).await;
        }
        let mut analytics = app.analytics(Role::Manager).await;
        let subscription = eventually(Duration::from_secs(20), || {
            let mut analytics = analytics.clone();
            async move {
                let response = analytics.list_feed_subscriptions(ListFeedSubscriptionsRequest {}).await.ok()?.into_inner();
                response.subscriptions.into_iter().find(|s| s.feed == "ticketing" && s.position == 5)
            }
        })
        .await;
        assert_eq!((subscription.head_position, subscription.lag), (5, 0));
        assert!(subscription.last_error.is_empty());

        let mut scheduler = app.analytics(Role::Scheduler).await;
        let status = expect_error(scheduler.list_feed_subscriptions(ListFeedSubscriptionsRequest {}).await);
        assert_eq!(status.code(), Code::PermissionDenied);
        let _ = &mut analytics;
    }
}

fn friday_afternoon() -> chrono::DateTime<chrono::Utc> {
    use chrono::TimeZone;
    chrono::Utc.with_ymd_and_hms(2026, 11, 20, 15, 30, 0).unwrap()
}

crate::on_both_backends_at! {
    friday_afternoon();
    /// A ticket opened at 16:30 on a Friday in Warsaw and answered at 09:30 on Monday waited 65
    /// hours, but one business hour of its SLA policy's calendar; analytics reports both.
    async fn ticket_metrics_are_exact_in_calendar_time_and_business_hours(app, clock) {
        use frontline_proto::{analytics::v1 as analytics_pb, ticketing::v1 as pb};
        let mut admin = app.ticketing(Role::Administrator).await;
        let weekdays = [pb::Weekday::Monday, pb::Weekday::Tuesday, pb::Weekday::Wednesday, pb::Weekday::Thursday, pb::Weekday::Friday];
        let calendar = admin.create_business_calendar(pb::CreateBusinessCalendarRequest {
            calendar: Some(pb::BusinessCalendar {
                name: "Warsaw office".into(),
                time_zone: "Europe/Warsaw".into(),
                intervals: weekdays.into_iter().map(|w| pb::OpeningInterval { weekday: w as i32, start: "09:00".into(), end: "17:00".into() }).collect(),
                ..Default::default()
            }),
        }).await.unwrap().into_inner();
        admin.create_sla_policy(pb::CreateSlaPolicyRequest {
            policy: Some(pb::SlaPolicy {
                name: "Everyone".into(),
                targets: vec![pb::SlaTarget { priority: pb::Priority::Normal as i32, metric: pb::SlaMetric::FirstReply as i32, target_seconds: 4 * 3600, hours: pb::SlaHours::Business as i32 }],
                calendar_id: calendar.id.clone(),
                ..Default::default()
            }),
            position: 0,
        }).await.unwrap();
        let requester = tickets::requester(&mut admin).await;
        let mut gateway = app.ticketing(Role::Service).await;
        let ticket = tickets::create(&mut gateway, pb::Ticket { assignee_id: "agent-ola".into(), ..tickets::ticket(&requester, "Nie mogę pobrać faktury") }).await;
        clock.set(friday_afternoon() + chrono::TimeDelta::hours(65));
        let mut agent = app.ticketing_in_team(Role::Agent, "agent-ola", "").await;
        crate::conversation::comment(&mut agent, &ticket.id, "Faktura jest już w panelu.", true, pb::TicketStatus::Solved).await;

        let mut analytics = app.analytics(Role::BiReader).await;
        let metrics = eventually(Duration::from_secs(20), || {
            let (mut analytics, id) = (analytics.clone(), ticket.id.clone());
            async move {
                let metrics = analytics.get_ticket_metrics(analytics_pb::GetTicketMetricsRequest { ticket_id: id }).await.ok()?.into_inner();
                metrics.solved.then_some(metrics)
            }
        }).await;
        let first = metrics.first_reply.unwrap();
        assert_eq!((first.calendar_seconds, first.business_seconds), (65 * 3600, 3600));
        let resolution = metrics.full_resolution.unwrap();
        assert_eq!((resolution.calendar_seconds, resolution.business_seconds), (65 * 3600, 3600));
        assert_eq!(metrics.requester_wait.unwrap().business_seconds, 3600);
        assert_eq!((metrics.agent_replies, metrics.reopens, metrics.one_touch), (1, 0, true));
        assert_eq!(metrics.handled_by, ["agent-ola"]);
        assert_eq!(metrics.csat, analytics_pb::Csat::NotRated as i32);

        // The same fact as a series: by Warsaw day, the reply lands on Monday the 23rd.
        let ts = |day: u32| Some(prost_types::Timestamp { seconds: chrono::TimeZone::with_ymd_and_hms(&chrono::Utc, 2026, 11, day, 0, 0, 0).unwrap().timestamp(), nanos: 0 });
        let series = |metric: &str, aggregate: &str, business_hours: bool, group_by: &str| analytics_pb::GetMetricSeriesRequest {
            metric: metric.into(), from: ts(20), to: ts(24), granularity: "day".into(), time_zone: "Europe/Warsaw".into(),
            aggregate: aggregate.into(), business_hours, group_by: group_by.into(), ..Default::default()
        };
        let business = analytics.get_metric_series(series("first_reply_time", "p90", true, "")).await.unwrap().into_inner();
        let points = &business.groups[0].points;
        assert_eq!(points.len(), 5, "19th (local day of the 20th 00:00 UTC) to the 23rd");
        let monday = points.iter().find(|p| p.count == 1).unwrap();
        assert_eq!(monday.start.as_ref().unwrap().seconds, chrono::TimeZone::with_ymd_and_hms(&chrono::Utc, 2026, 11, 22, 23, 0, 0).unwrap().timestamp());
        assert!((monday.value.unwrap() - 3600.0).abs() <= 36.0, "within DDSketch's 1%: {:?}", monday.value);
        let calendar = analytics.get_metric_series(series("first_reply_time", "mean", false, "")).await.unwrap().into_inner();
        assert_eq!(calendar.groups[0].points.iter().filter_map(|p| p.value).collect::<Vec<_>>(), [65.0 * 3600.0]);
        let created = analytics.get_metric_series(series("tickets_created", "", false, "team")).await.unwrap().into_inner();
        assert_eq!((created.aggregate.as_str(), created.unit.as_str()), ("count", "tickets"));
        assert_eq!(created.groups.iter().map(|g| g.points.iter().map(|p| p.count).sum::<i64>()).sum::<i64>(), 1);
        let bad = expect_error(analytics.get_metric_series(analytics_pb::GetMetricSeriesRequest { metric: "happiness".into(), granularity: "fortnight".into(), time_zone: "Mars/Olympus".into(), aggregate: "p42".into(), group_by: "mood".into(), ..Default::default() }).await);
        assert_eq!(crate::support::violated_fields(&bad), ["metric", "granularity", "time_zone", "from", "to", "aggregate", "group_by"]);
        let backwards = expect_error(analytics.get_metric_series(analytics_pb::GetMetricSeriesRequest { from: ts(24), to: ts(20), ..series("tickets_created", "", false, "") }).await);
        assert_eq!(crate::support::violated_fields(&backwards), ["to"]);

        // Ola's scorecard for the week of the 23rd, beside the week before.
        let cards = analytics.get_scorecards(analytics_pb::GetScorecardsRequest { by: "agent".into(), from: ts(23), to: ts(30), team_id: String::new() }).await.unwrap().into_inner().scorecards;
        let ola = cards.iter().find(|c| c.key == "agent-ola").expect("Ola has a scorecard");
        let (now, before) = (ola.current.unwrap(), ola.previous.unwrap());
        assert_eq!((now.tickets_solved, now.mean_first_reply_seconds, now.one_touch_rate), (1, Some(65.0 * 3600.0), Some(1.0)));
        assert_eq!(before.tickets_solved, 0);
        let no_by = expect_error(analytics.get_scorecards(analytics_pb::GetScorecardsRequest { by: "mood".into(), ..Default::default() }).await);
        assert_eq!(crate::support::violated_fields(&no_by), ["by", "from", "to"]);

        let missing = expect_error(analytics.get_ticket_metrics(analytics_pb::GetTicketMetricsRequest { ticket_id: "424242".into() }).await);
        assert_eq!(missing.code(), Code::NotFound);
        let empty = expect_error(analytics.get_ticket_metrics(analytics_pb::GetTicketMetricsRequest { ticket_id: " ".into() }).await);
        assert_eq!(crate::support::violated_fields(&empty), ["ticket_id"]);
        let mut portal = app.analytics(Role::Portal).await;
        assert_eq!(expect_error(portal.get_ticket_metrics(analytics_pb::GetTicketMetricsRequest { ticket_id: ticket.id.clone() }).await).code(), Code::PermissionDenied);
    }
}

fn monday_morning_in_warsaw() -> chrono::DateTime<chrono::Utc> {
    use chrono::TimeZone;
    chrono::Utc.with_ymd_and_hms(2026, 11, 23, 8, 0, 0).unwrap()
}

crate::on_both_backends_at! {
    monday_morning_in_warsaw();
    /// The backlog as each Warsaw day closes, and the reopens per day, from tickets' histories.
    async fn the_backlog_is_exact_at_each_day_close_and_reopens_are_counted_when_they_happen(app, clock) {
        use frontline_proto::{analytics::v1 as analytics_pb, ticketing::v1 as pb};
        let mut desk = app.ticketing(Role::Administrator).await;
        let requester = tickets::requester(&mut desk).await;
        let mut ids = Vec::new();
        for subject in ["A", "B", "C"] {
            ids.push(tickets::create(&mut desk, tickets::ticket(&requester, subject)).await.id);
        }
        let set_status = |id: &str, status: pb::TicketStatus| pb::UpdateTicketRequest {
            ticket: Some(pb::Ticket { id: id.into(), status: status as i32, ..Default::default() }),
            update_mask: Some(prost_types::FieldMask { paths: vec!["status".into()] }),
        };
        clock.set(monday_morning_in_warsaw() + chrono::TimeDelta::hours(1));
        desk.update_ticket(set_status(&ids[0], pb::TicketStatus::Solved)).await.unwrap();
        clock.set(monday_morning_in_warsaw() + chrono::TimeDelta::hours(25));
        desk.update_ticket(set_status(&ids[1], pb::TicketStatus::Solved)).await.unwrap();
        clock.set(monday_morning_in_warsaw() + chrono::TimeDelta::hours(49));
        desk.update_ticket(set_status(&ids[1], pb::TicketStatus::Open)).await.unwrap();

        let mut analytics = app.analytics(Role::Supervisor).await;
        let midnight = |day: u32| Some(prost_types::Timestamp { seconds: chrono::TimeZone::with_ymd_and_hms(&chrono::Utc, 2026, 11, day, 23, 0, 0).unwrap().timestamp(), nanos: 0 });
        let request = |metric: &str, aggregate: &str| analytics_pb::GetMetricSeriesRequest {
            metric: metric.into(), from: midnight(22), to: midnight(25), granularity: "day".into(),
            time_zone: "Europe/Warsaw".into(), aggregate: aggregate.into(), ..Default::default()
        };
        let counts = |series: &analytics_pb::MetricSeries| series.groups[0].points.iter().map(|p| p.count).collect::<Vec<_>>();
        let reopened = eventually(Duration::from_secs(20), || {
            let mut analytics = analytics.clone();
            async move {
                let series = analytics.get_metric_series(request("tickets_reopened", "")).await.ok()?.into_inner();
                (counts(&series) == [0, 0, 1]).then_some(series)
            }
        }).await;
        assert_eq!((reopened.unit.as_str(), reopened.aggregate.as_str()), ("tickets", "count"));
        let backlog = analytics.get_metric_series(request("backlog", "")).await.unwrap().into_inner();
        assert_eq!(counts(&backlog), [2, 1, 2], "Monday: B and C; Tuesday: C; Wednesday: B reopened and C");
        let bad = expect_error(analytics.get_metric_series(request("backlog", "p90")).await);
        assert_eq!(crate::support::violated_fields(&bad), ["aggregate"]);
    }
}
