//! Between the wire and the domain for calendars, SLA policies, clocks and escalation.
use frontline_proto::ticketing::v1 as pb;
use frontline_shared::{
    ApiResult,
    database::time::{optional_timestamp, to_timestamp},
    error::Violations,
};

use super::convert::enum_field;
use crate::domain::{
    Channel, CustomerTier, Priority, TicketType,
    calendar::Interval,
    escalation::{Escalation, EscalationRule, RuleCondition, Tier},
    service_level::{
        BusinessCalendar, Conditions, PolicyTarget, SlaPolicy, format_time_of_day, parse_time_of_day,
        weekday_from_number, weekday_number,
    },
    sla::{Clock, Hours, Metric, Target},
};

/// The caller's calendar fields (id, revision and times are the server's).
pub fn calendar_fields(calendar: pb::BusinessCalendar, violations: &mut Violations) -> BusinessCalendar {
    let intervals = calendar
        .intervals
        .iter()
        .enumerate()
        .filter_map(|(index, interval)| {
            let field = |name: &str| format!("calendar.intervals[{index}].{name}");
            let weekday = weekday_from_number(i64::from(interval.weekday));
            if weekday.is_none() {
                violations.add(field("weekday"), "must be a day of the week, MONDAY to SUNDAY");
            }
            let start = parse_time_of_day(&interval.start);
            if start.is_none() {
                violations.add(field("start"), format!("`{}` is not a time of day as HH:MM", interval.start));
            }
            let end = parse_time_of_day(&interval.end);
            if end.is_none() {
                violations.add(
                    field("end"),
                    format!("`{}` is not a time of day as HH:MM (24:00 ends the day)", interval.end),
                );
            }
            Some(Interval { weekday: weekday?, start_minute: start?, end_minute: end? })
        })
        .collect();
    let mut holidays = Vec::new();
    for (index, day) in calendar.holidays.iter().enumerate() {
        match chrono::NaiveDate::parse_from_str(day.trim(), "%Y-%m-%d") {
            Ok(date) => holidays.push(date),
            Err(_) => {
                violations.add(format!("calendar.holidays[{index}]"), format!("`{day}` is not a date as YYYY-MM-DD"))
            }
        }
    }
    holidays.sort();
    holidays.dedup();
    BusinessCalendar {
        id: String::new(),
        name: calendar.name.trim().to_string(),
        time_zone: calendar.time_zone.trim().to_string(),
        intervals,
        holidays,
        revision: 0,
        created_at: 0,
        updated_at: 0,
    }
}

pub fn calendar(calendar: &BusinessCalendar) -> pb::BusinessCalendar {
    pb::BusinessCalendar {
        id: calendar.id.clone(),
        name: calendar.name.clone(),
        time_zone: calendar.time_zone.clone(),
        intervals: calendar
            .intervals
            .iter()
            .map(|i| pb::OpeningInterval {
                weekday: weekday_number(i.weekday) as i32,
                start: format_time_of_day(i.start_minute),
                end: format_time_of_day(i.end_minute),
            })
            .collect(),
        holidays: calendar.holidays.iter().map(|d| d.format("%Y-%m-%d").to_string()).collect(),
        etag: calendar.etag(),
        created_at: Some(to_timestamp(calendar.created_at)),
        updated_at: Some(to_timestamp(calendar.updated_at)),
    }
}

fn enum_list<T>(
    violations: &mut Violations,
    field: &str,
    numbers: &[i32],
    from_number: fn(i64) -> Option<T>,
) -> Vec<T> {
    numbers
        .iter()
        .enumerate()
        .filter_map(|(index, &number)| {
            let value = enum_field(violations, &format!("{field}[{index}]"), number, from_number);
            if number == 0 {
                violations.add(format!("{field}[{index}]"), "must not be UNSPECIFIED");
            }
            value
        })
        .collect()
}

pub fn metric(violations: &mut Violations, field: &str, number: i32) -> Option<Metric> {
    enum_field(violations, field, number, Metric::from_number)
}

/// The caller's policy fields (id, position, revision and times are the server's).
pub fn policy_fields(policy: pb::SlaPolicy, violations: &mut Violations) -> SlaPolicy {
    let given = policy.conditions.unwrap_or_default();
    let conditions = Conditions {
        priorities: enum_list(violations, "policy.conditions.priorities", &given.priorities, Priority::from_number),
        types: enum_list(violations, "policy.conditions.types", &given.types, TicketType::from_number),
        channels: enum_list(violations, "policy.conditions.channels", &given.channels, Channel::from_number),
        customer_tiers: enum_list(
            violations,
            "policy.conditions.customer_tiers",
            &given.customer_tiers,
            CustomerTier::from_number,
        ),
        organization_ids: given.organization_ids,
        team_ids: given.team_ids,
        tags: given.tags.iter().map(|t| t.trim().to_lowercase()).filter(|t| !t.is_empty()).collect(),
    };
    let targets = policy
        .targets
        .iter()
        .enumerate()
        .filter_map(|(index, target)| {
            let field = |name: &str| format!("policy.targets[{index}].{name}");
            let priority = enum_field(violations, &field("priority"), target.priority, Priority::from_number);
            if target.priority == 0 {
                violations.add(field("priority"), "is required");
            }
            let metric = metric(violations, &field("metric"), target.metric);
            if target.metric == 0 {
                violations.add(field("metric"), "is required");
            }
            let hours = match pb::SlaHours::try_from(target.hours) {
                Ok(pb::SlaHours::Unspecified | pb::SlaHours::Calendar) => Some(Hours::Calendar),
                Ok(pb::SlaHours::Business) => Some(Hours::Business),
                Err(_) => {
                    violations.add(field("hours"), format!("{} is not a known value", target.hours));
                    None
                }
            };
            if target.target_seconds % 60 != 0 {
                violations.add(field("target_seconds"), "must be a whole number of minutes");
            }
            Some(PolicyTarget {
                priority: priority?,
                target: Target { metric: metric?, minutes: target.target_seconds / 60, hours: hours? },
            })
        })
        .collect();
    if policy.warning_lead_seconds % 60 != 0 {
        violations.add("policy.warning_lead_seconds", "must be a whole number of minutes");
    }
    SlaPolicy {
        id: String::new(),
        name: policy.name.trim().to_string(),
        description: policy.description,
        position: 0,
        conditions,
        targets,
        calendar_id: policy.calendar_id.trim().to_string(),
        warning_lead_minutes: policy.warning_lead_seconds / 60,
        revision: 0,
        created_at: 0,
        updated_at: 0,
    }
}

pub fn policy(policy: &SlaPolicy) -> pb::SlaPolicy {
    let c = &policy.conditions;
    pb::SlaPolicy {
        id: policy.id.clone(),
        name: policy.name.clone(),
        description: policy.description.clone(),
        position: policy.position as i32,
        conditions: Some(pb::SlaConditions {
            priorities: c.priorities.iter().map(|v| v.number() as i32).collect(),
            types: c.types.iter().map(|v| v.number() as i32).collect(),
            channels: c.channels.iter().map(|v| v.number() as i32).collect(),
            customer_tiers: c.customer_tiers.iter().map(|v| v.number() as i32).collect(),
            organization_ids: c.organization_ids.clone(),
            team_ids: c.team_ids.clone(),
            tags: c.tags.clone(),
        }),
        targets: policy
            .targets
            .iter()
            .map(|t| pb::SlaTarget {
                priority: t.priority.number() as i32,
                metric: t.target.metric.number() as i32,
                target_seconds: t.target.minutes * 60,
                hours: hours(t.target.hours) as i32,
            })
            .collect(),
        calendar_id: policy.calendar_id.clone(),
        warning_lead_seconds: policy.warning_lead_minutes * 60,
        etag: policy.etag(),
        created_at: Some(to_timestamp(policy.created_at)),
        updated_at: Some(to_timestamp(policy.updated_at)),
    }
}

fn hours(hours: Hours) -> pb::SlaHours {
    match hours {
        Hours::Calendar => pb::SlaHours::Calendar,
        Hours::Business => pb::SlaHours::Business,
    }
}

pub fn clock(clock: &Clock, target: &Target) -> pb::SlaClock {
    let micros = |at: Option<chrono::DateTime<chrono::Utc>>| optional_timestamp(at.map(|at| at.timestamp_micros()));
    pb::SlaClock {
        metric: clock.metric.number() as i32,
        hours: hours(target.hours) as i32,
        target_seconds: target.minutes * 60,
        target_at: micros(clock.target_at),
        remaining_seconds: clock.remaining_minutes * 60,
        paused: clock.paused,
        fulfilled_at: micros(clock.fulfilled_at),
        breached_at: micros(clock.breached_at),
        warning_at: micros(clock.warning_at),
        earlier_breaches: clock.earlier_breaches.iter().map(|at| to_timestamp(at.timestamp_micros())).collect(),
    }
}

pub fn tier(violations: &mut Violations, field: &str, number: i32) -> Option<Tier> {
    enum_field(violations, field, number, Tier::from_number)
}

pub fn escalation(escalation: &Escalation) -> pb::Escalation {
    pb::Escalation {
        id: escalation.id.clone(),
        ticket_id: escalation.ticket_id.to_string(),
        direction: escalation.direction.number() as i32,
        from_tier: escalation.from_tier.number() as i32,
        to_tier: escalation.to_tier.number() as i32,
        team_id: escalation.team_id.clone(),
        assignee_id: escalation.assignee_id.clone(),
        reason: escalation.reason.clone(),
        actor: escalation.actor.clone(),
        rule_id: escalation.rule_id.clone(),
        created_at: Some(to_timestamp(escalation.created_at)),
    }
}

pub fn rule_fields(rule: pb::EscalationRule) -> ApiResult<EscalationRule> {
    use pb::escalation_rule::Condition;
    let mut violations = Violations::new();
    let condition = match rule.condition {
        None => None,
        Some(Condition::SlaBreach(breach)) => {
            let metric = metric(&mut violations, "rule.sla_breach.metric", breach.metric);
            Some(RuleCondition::SlaBreach { metric })
        }
        Some(Condition::VipUrgent(_)) => Some(RuleCondition::VipUrgent),
        Some(Condition::Reopened(reopened)) => Some(RuleCondition::Reopened { times: i64::from(reopened.times) }),
        Some(Condition::BadSatisfaction(_)) => Some(RuleCondition::BadSatisfaction),
    };
    let tier = tier(&mut violations, "rule.tier", rule.tier);
    violations.into_result()?;
    Ok(EscalationRule {
        id: rule.id,
        name: rule.name.trim().to_string(),
        active: rule.active,
        condition,
        tier,
        team_id: rule.team_id,
        assignee_id: rule.assignee_id,
        revision: 0,
        created_at: 0,
    })
}

pub fn rule(rule: &EscalationRule) -> pb::EscalationRule {
    use pb::escalation_rule::Condition;
    pb::EscalationRule {
        id: rule.id.clone(),
        name: rule.name.clone(),
        active: rule.active,
        condition: rule.condition.as_ref().map(|condition| match condition {
            RuleCondition::SlaBreach { metric } => {
                Condition::SlaBreach(pb::SlaBreachCondition { metric: metric.map_or(0, |m| m.number() as i32) })
            }
            RuleCondition::VipUrgent => Condition::VipUrgent(pb::VipUrgentCondition {}),
            RuleCondition::Reopened { times } => Condition::Reopened(pb::ReopenedCondition { times: *times as i32 }),
            RuleCondition::BadSatisfaction => Condition::BadSatisfaction(pb::BadSatisfactionCondition {}),
        }),
        tier: rule.tier.map_or(0, |t| t.number() as i32),
        team_id: rule.team_id.clone(),
        assignee_id: rule.assignee_id.clone(),
        etag: rule.revision.to_string(),
        created_at: Some(to_timestamp(rule.created_at)),
    }
}
