//! The demo's service levels: the Warsaw office's business hours with Polish public holidays,
//! two SLA policies (VIP customers first) and the escalation rules a support floor starts with.
//! Loaded before the tickets, so every demo ticket shows live SLA clocks.
use anyhow::Context;
use frontline_proto::ticketing::v1::{
    self as pb, CustomerTier, EscalationTier, OpeningInterval, Priority as P, SlaHours, SlaMetric, Weekday,
    escalation_rule::Condition,
};

use super::Client;

/// Polish public holidays around the demo's weeks, as a public-holiday feed publishes them.
const POLISH_HOLIDAYS: &str = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Frontline demo//PL holidays//EN\r\n\
BEGIN:VEVENT\r\nUID:pl-2026-11-11\r\nDTSTART;VALUE=DATE:20261111\r\nSUMMARY:Narodowe Święto Niepodległości\r\nEND:VEVENT\r\n\
BEGIN:VEVENT\r\nUID:pl-2026-12-24\r\nDTSTART;VALUE=DATE:20261224\r\nDTEND;VALUE=DATE:20261227\r\nSUMMARY:Wigilia i Boże Narodzenie\r\nEND:VEVENT\r\n\
BEGIN:VEVENT\r\nUID:pl-2027-01-01\r\nDTSTART;VALUE=DATE:20270101\r\nSUMMARY:Nowy Rok\r\nEND:VEVENT\r\n\
BEGIN:VEVENT\r\nUID:pl-2027-01-06\r\nDTSTART;VALUE=DATE:20270106\r\nSUMMARY:Trzech Króli\r\nEND:VEVENT\r\n\
END:VCALENDAR\r\n";

const CALENDAR_NAME: &str = "Warsaw support hours";

pub struct Loaded {
    pub policies: usize,
    pub rules: usize,
}

fn target(priority: P, metric: SlaMetric, minutes: i64, hours: SlaHours) -> pb::SlaTarget {
    pb::SlaTarget {
        priority: priority as i32,
        metric: metric as i32,
        target_seconds: minutes * 60,
        hours: hours as i32,
    }
}

/// Loads the calendar, policies and rules unless a previous run already did.
pub async fn load(ticketing: &mut Client) -> anyhow::Result<Loaded> {
    let calendars = ticketing.list_business_calendars(pb::ListBusinessCalendarsRequest {}).await?.into_inner();
    if calendars.calendars.iter().any(|c| c.name == CALENDAR_NAME) {
        let policies = ticketing.list_sla_policies(pb::ListSlaPoliciesRequest {}).await?.into_inner().policies.len();
        let rules = ticketing.list_escalation_rules(pb::ListEscalationRulesRequest {}).await?.into_inner().rules.len();
        return Ok(Loaded { policies, rules });
    }
    let weekdays = [Weekday::Monday, Weekday::Tuesday, Weekday::Wednesday, Weekday::Thursday, Weekday::Friday];
    let calendar = ticketing
        .create_business_calendar(pb::CreateBusinessCalendarRequest {
            calendar: Some(pb::BusinessCalendar {
                name: CALENDAR_NAME.into(),
                time_zone: "Europe/Warsaw".into(),
                intervals: weekdays
                    .into_iter()
                    .map(|weekday| OpeningInterval {
                        weekday: weekday as i32,
                        start: "08:00".into(),
                        end: "18:00".into(),
                    })
                    .collect(),
                ..Default::default()
            }),
        })
        .await
        .context("creating the demo business calendar")?
        .into_inner();
    ticketing
        .import_holidays(pb::ImportHolidaysRequest {
            calendar_id: calendar.id.clone(),
            icalendar: POLISH_HOLIDAYS.into(),
            replace: false,
        })
        .await
        .context("importing Polish public holidays")?;

    use SlaHours::{Business, Calendar};
    use SlaMetric::{FirstReply, NextReply, Resolution};
    let policies = [
        pb::SlaPolicy {
            name: "VIP customers".into(),
            description: "Contracted response times for VIP accounts, in Warsaw business hours".into(),
            conditions: Some(pb::SlaConditions {
                customer_tiers: vec![CustomerTier::Vip as i32],
                ..Default::default()
            }),
            targets: vec![
                target(P::Urgent, FirstReply, 30, Calendar),
                target(P::Urgent, NextReply, 60, Calendar),
                target(P::Urgent, Resolution, 8 * 60, Business),
                target(P::High, FirstReply, 60, Business),
                target(P::High, Resolution, 16 * 60, Business),
                target(P::Normal, FirstReply, 4 * 60, Business),
                target(P::Low, FirstReply, 8 * 60, Business),
            ],
            calendar_id: calendar.id.clone(),
            warning_lead_seconds: 15 * 60,
            ..Default::default()
        },
        pb::SlaPolicy {
            name: "Everyone else".into(),
            description: "The default promise to every customer".into(),
            targets: vec![
                target(P::Urgent, FirstReply, 60, Calendar),
                target(P::High, FirstReply, 4 * 60, Business),
                target(P::Normal, FirstReply, 8 * 60, Business),
                target(P::Normal, Resolution, 5 * 10 * 60, Business),
                target(P::Low, FirstReply, 16 * 60, Business),
            ],
            calendar_id: calendar.id.clone(),
            warning_lead_seconds: 30 * 60,
            ..Default::default()
        },
    ];
    for policy in policies {
        let name = policy.name.clone();
        ticketing
            .create_sla_policy(pb::CreateSlaPolicyRequest { policy: Some(policy), position: 0 })
            .await
            .with_context(|| format!("creating SLA policy {name}"))?;
    }
    let rules = [
        (
            "A missed first reply goes to the team lead",
            Condition::SlaBreach(pb::SlaBreachCondition { metric: FirstReply as i32 }),
            EscalationTier::TeamLead,
        ),
        (
            "Urgent VIP tickets start with a senior agent",
            Condition::VipUrgent(pb::VipUrgentCondition {}),
            EscalationTier::SeniorAgent,
        ),
        (
            "Reopened twice: a supervisor looks",
            Condition::Reopened(pb::ReopenedCondition { times: 2 }),
            EscalationTier::Supervisor,
        ),
        (
            "A bad rating reaches the supervisor",
            Condition::BadSatisfaction(pb::BadSatisfactionCondition {}),
            EscalationTier::Supervisor,
        ),
    ];
    for (name, condition, tier) in rules.iter().cloned() {
        ticketing
            .create_escalation_rule(pb::CreateEscalationRuleRequest {
                rule: Some(pb::EscalationRule {
                    name: name.into(),
                    active: true,
                    condition: Some(condition),
                    tier: tier as i32,
                    ..Default::default()
                }),
            })
            .await
            .with_context(|| format!("creating escalation rule {name}"))?;
    }
    Ok(Loaded { policies: 2, rules: rules.len() })
}

/// How the demo teams' new tickets find an agent. Set after the demo tickets are in, so those
/// keep the history the demo gives them; tickets created afterwards are routed.
pub async fn load_routing(ticketing: &mut Client) -> anyhow::Result<usize> {
    use pb::RoutingStrategy as S;
    let teams =
        [("team-tier1", S::SkillsBased, 8), ("team-billing", S::LeastOpenLoad, 10), ("team-tier2", S::RoundRobin, 5)];
    for (team, strategy, capacity) in teams {
        ticketing
            .set_team_routing(pb::SetTeamRoutingRequest {
                routing: Some(pb::TeamRouting {
                    team_id: team.into(),
                    strategy: strategy as i32,
                    capacity_per_agent: capacity,
                    ..Default::default()
                }),
            })
            .await
            .with_context(|| format!("setting routing for {team}"))?;
    }
    Ok(teams.len())
}

/// The triggers, automations and macros a help desk starts with.
pub async fn load_business_rules(ticketing: &mut Client) -> anyhow::Result<usize> {
    use pb::{BusinessRuleKind as Kind, RuleOperator as Op, rule_action::Action, rule_value::Kind as V};
    let existing = ticketing.list_business_rules(pb::ListBusinessRulesRequest { kind: 0 }).await?.into_inner().rules;
    if !existing.is_empty() {
        return Ok(existing.len());
    }
    let text = |value: &str| Some(pb::RuleValue { kind: Some(V::Text(value.into())) });
    let number = |value: i64| Some(pb::RuleValue { kind: Some(V::Number(value)) });
    let when = |field: &str, operator: Op, value: Option<pb::RuleValue>| pb::RuleCondition {
        field: field.into(),
        operator: operator as i32,
        value,
    };
    let act = |action: Action| pb::RuleAction { action: Some(action) };
    let set = |field: &str, value: &str| {
        act(Action::SetField(pb::SetFieldAction { field: field.into(), value: text(value) }))
    };
    let tags = |tags: &[&str]| pb::RuleTags { tags: tags.iter().map(|t| t.to_string()).collect() };
    let rule = |kind: Kind, name: &str, all: Vec<pb::RuleCondition>, actions: Vec<pb::RuleAction>| pb::BusinessRule {
        kind: kind as i32,
        name: name.into(),
        active: true,
        conditions: Some(pb::RuleConditions { all, any: vec![] }),
        actions,
        ..Default::default()
    };
    let rules = [
        rule(
            Kind::Trigger,
            "Urgent VIP tickets: tag and brief the lead",
            vec![
                when("event", Op::Is, text("created")),
                when("requester.tier", Op::Is, text("vip")),
                when("priority", Op::Is, text("urgent")),
            ],
            vec![
                act(Action::AddTags(tags(&["vip"]))),
                act(Action::AddInternalNote(pb::InternalNoteAction {
                    body: "VIP {{requester.name}} opened #{{ticket.id}} as urgent: {{ticket.subject}}".into(),
                })),
            ],
        ),
        rule(
            Kind::Trigger,
            "A complaint is at least high priority",
            vec![when("type", Op::Is, text("complaint")), when("priority", Op::LessThan, text("high"))],
            vec![set("priority", "high")],
        ),
        rule(
            Kind::Automation,
            "Pending for three days: solved",
            vec![when("status", Op::Is, text("pending")), when("hours_since.status_changed", Op::GreaterThan, number(71))],
            vec![set("status", "solved"), act(Action::AddTags(tags(&["auto-solved"])))],
        ),
        rule(
            Kind::Automation,
            "Solved for four days: closed",
            vec![when("status", Op::Is, text("solved")), when("hours_since.solved", Op::GreaterThan, number(95))],
            vec![set("status", "closed")],
        ),
        pb::BusinessRule {
            reply: "Dzień dobry {{requester.first_name}}, prosimy o numer faktury, której dotyczy zgłoszenie #{{ticket.id}}.".into(),
            reply_public: true,
            ..rule(Kind::Macro, "Ask for the invoice number (PL)", vec![], vec![set("status", "pending"), act(Action::AddTags(tags(&["awaiting-invoice"])))])
        },
        pb::BusinessRule {
            reply: "Hi {{requester.first_name}}, thanks for your patience — ticket #{{ticket.id}} is now with our tier 2 team.".into(),
            reply_public: true,
            ..rule(Kind::Macro, "Hand over to tier 2", vec![], vec![act(Action::Assign(pb::AssignAction { assignee_id: String::new(), team_id: "team-tier2".into() }))])
        },
    ];
    for rule in rules.iter().cloned() {
        let name = rule.name.clone();
        ticketing
            .create_business_rule(pb::CreateBusinessRuleRequest { rule: Some(rule) })
            .await
            .with_context(|| format!("creating business rule {name}"))?;
    }
    Ok(rules.len())
}
