//! SLA policies and business calendars as administrators define them: which tickets a policy
//! covers, its targets per priority, and the calendar its business-hours targets run on.
//! The clocks themselves are computed in [`super::sla`].
use chrono::NaiveDate;
use frontline_proto::limits::ticketing as limits;
use frontline_shared::{ApiResult, error::Violations};

pub use frontline_shared::calendar::{format_time_of_day, parse_time_of_day, weekday_from_number, weekday_number};

use super::{
    Channel, CustomerTier, Priority, Ticket, TicketType,
    calendar::{Calendar, CalendarError, Interval},
    sla::{Hours, Metric, Target},
};

pub const MAX_NAME_CHARS: usize = limits::SLA_POLICY_NAME_MAX_CHARS;
pub const MAX_DESCRIPTION_CHARS: usize = limits::SLA_POLICY_DESCRIPTION_MAX_CHARS;
pub const MAX_HOLIDAYS: usize = limits::BUSINESS_CALENDAR_HOLIDAYS_MAX_ITEMS;
pub const MAX_INTERVALS: usize = limits::BUSINESS_CALENDAR_INTERVALS_MAX_ITEMS;
/// A year in minutes: beyond it a target says nothing a person could act on.
pub const MAX_TARGET_MINUTES: i64 = 366 * 24 * 60;

#[derive(Debug, Clone, PartialEq)]
pub struct BusinessCalendar {
    pub id: String,
    pub name: String,
    pub time_zone: String,
    pub intervals: Vec<Interval>,
    pub holidays: Vec<NaiveDate>,
    pub revision: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

impl BusinessCalendar {
    /// The calendar SLA clocks run on; fails only on what [`BusinessCalendar::check`] refuses.
    pub fn calendar(&self) -> Result<Calendar, CalendarError> {
        Calendar::new(&self.time_zone, self.intervals.clone(), self.holidays.iter().copied())
    }

    pub fn check(&self) -> ApiResult<()> {
        let mut violations = Violations::new();
        check_name(&mut violations, "calendar.name", &self.name);
        if self.intervals.len() > MAX_INTERVALS {
            violations.add("calendar.intervals", format!("at most {MAX_INTERVALS} openings"));
        }
        if self.holidays.len() > MAX_HOLIDAYS {
            violations.add("calendar.holidays", format!("at most {MAX_HOLIDAYS} days"));
        }
        if let Err(error) = self.calendar() {
            let field = match error {
                CalendarError::UnknownTimeZone(_) => "calendar.time_zone",
                _ => "calendar.intervals",
            };
            violations.add(field, error.to_string());
        }
        violations.into_result()
    }

    pub fn etag(&self) -> String {
        self.revision.to_string()
    }
}

/// Which tickets a policy covers: every non-empty list must contain the ticket's value.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Conditions {
    pub priorities: Vec<Priority>,
    pub types: Vec<TicketType>,
    pub channels: Vec<Channel>,
    pub customer_tiers: Vec<CustomerTier>,
    pub organization_ids: Vec<String>,
    pub team_ids: Vec<String>,
    /// The ticket must carry all of them.
    pub tags: Vec<String>,
}

impl Conditions {
    pub fn matches(&self, ticket: &Ticket, requester_tier: CustomerTier) -> bool {
        fn allows<T: PartialEq>(list: &[T], value: &T) -> bool {
            list.is_empty() || list.contains(value)
        }
        allows(&self.priorities, &ticket.priority)
            && allows(&self.types, &ticket.ticket_type)
            && allows(&self.channels, &ticket.channel)
            && allows(&self.customer_tiers, &requester_tier)
            && allows(&self.organization_ids, &ticket.organization_id)
            && allows(&self.team_ids, &ticket.team_id)
            && self.tags.iter().all(|tag| ticket.tags.contains(tag))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PolicyTarget {
    pub priority: Priority,
    pub target: Target,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SlaPolicy {
    pub id: String,
    pub name: String,
    pub description: String,
    /// 1 is evaluated first.
    pub position: i64,
    pub conditions: Conditions,
    pub targets: Vec<PolicyTarget>,
    pub calendar_id: String,
    pub warning_lead_minutes: i64,
    pub revision: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

impl SlaPolicy {
    /// The targets for a ticket of `priority`, in metric order.
    pub fn targets_for(&self, priority: Priority) -> Vec<Target> {
        let mut targets: Vec<Target> =
            self.targets.iter().filter(|t| t.priority == priority).map(|t| t.target).collect();
        targets.sort_by_key(|t| t.metric.number());
        targets
    }

    pub fn uses_business_hours(&self) -> bool {
        self.targets.iter().any(|t| t.target.hours == Hours::Business)
    }

    pub fn check(&self) -> ApiResult<()> {
        let mut violations = Violations::new();
        check_name(&mut violations, "policy.name", &self.name);
        if self.description.chars().count() > MAX_DESCRIPTION_CHARS {
            violations.add("policy.description", format!("must be at most {MAX_DESCRIPTION_CHARS} characters"));
        }
        if self.targets.is_empty() {
            violations.add("policy.targets", "at least one target is required");
        }
        let mut seen: Vec<(Priority, Metric)> = Vec::new();
        for (index, target) in self.targets.iter().enumerate() {
            let field = format!("policy.targets[{index}].target_seconds");
            if !(1..=MAX_TARGET_MINUTES).contains(&target.target.minutes) {
                violations.add(field, "must be a whole number of minutes, from one minute to a year");
            }
            let key = (target.priority, target.target.metric);
            if seen.contains(&key) {
                violations.add(
                    format!("policy.targets[{index}]"),
                    "repeats a priority and metric already given; one target per pair",
                );
            }
            seen.push(key);
        }
        if self.uses_business_hours() && self.calendar_id.is_empty() {
            violations.add("policy.calendar_id", "is required when a target runs in business hours");
        }
        if !(0..=MAX_TARGET_MINUTES).contains(&self.warning_lead_minutes) {
            violations.add("policy.warning_lead_seconds", "must be whole minutes, from 0 (no warning) to a year");
        }
        violations.into_result()
    }

    pub fn etag(&self) -> String {
        self.revision.to_string()
    }
}

/// What fires when an SLA clock reaches an instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AlertKind {
    Warning = 1,
    Breach = 2,
}

impl AlertKind {
    pub fn number(self) -> i64 {
        self as i64
    }

    pub fn from_number(number: i64) -> Option<AlertKind> {
        match number {
            1 => Some(AlertKind::Warning),
            2 => Some(AlertKind::Breach),
            _ => None,
        }
    }
}

/// The instants still ahead of the running clocks: a warning (when the policy has a lead
/// shorter than the target) and a breach for each. Instants already passed are included too:
/// the scheduler fires anything due it has not fired yet, exactly once.
pub fn deadlines(
    clocks: &[super::sla::Clock],
    policy: &SlaPolicy,
    targets: &[Target],
) -> Vec<(Metric, AlertKind, i64)> {
    let mut wanted = Vec::new();
    for (clock, target) in clocks.iter().zip(targets) {
        let Some(target_at) = clock.target_at else { continue };
        wanted.push((clock.metric, AlertKind::Breach, target_at.timestamp_micros()));
        if let Some(warning_at) = clock.warning_at
            && policy.warning_lead_minutes > 0
            && policy.warning_lead_minutes < target.minutes
        {
            wanted.push((clock.metric, AlertKind::Warning, warning_at.timestamp_micros()));
        }
    }
    wanted
}

/// The first policy (by position) whose conditions match the ticket.
pub fn policy_for<'a>(policies: &'a [SlaPolicy], ticket: &Ticket, tier: CustomerTier) -> Option<&'a SlaPolicy> {
    policies.iter().filter(|p| p.conditions.matches(ticket, tier)).min_by_key(|p| (p.position, p.id.as_str()))
}

fn check_name(violations: &mut Violations, field: &str, name: &str) {
    if name.trim().is_empty() {
        violations.add(field, "is required");
    } else if name.chars().count() > MAX_NAME_CHARS {
        violations.add(field, format!("must be at most {MAX_NAME_CHARS} characters"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ticket::TicketFields;
    use chrono::Weekday;

    fn ticket(priority: Priority, tags: &[&str]) -> Ticket {
        let fields = TicketFields {
            subject: "Printer on fire".into(),
            requester_id: "c-1".into(),
            priority: Some(priority),
            tags: tags.iter().map(|t| t.to_string()).collect(),
            team_id: "tier-1".into(),
            ..Default::default()
        };
        Ticket::create(fields, 0).unwrap()
    }

    fn policy(id: &str, position: i64, conditions: Conditions) -> SlaPolicy {
        SlaPolicy {
            id: id.into(),
            name: id.into(),
            description: String::new(),
            position,
            conditions,
            targets: vec![PolicyTarget {
                priority: Priority::Urgent,
                target: Target { metric: Metric::FirstReply, minutes: 60, hours: Hours::Business },
            }],
            calendar_id: "cal".into(),
            warning_lead_minutes: 15,
            revision: 1,
            created_at: 0,
            updated_at: 0,
        }
    }

    #[test]
    fn the_first_matching_policy_by_position_applies() {
        let vip = policy("vip", 1, Conditions { customer_tiers: vec![CustomerTier::Vip], ..Default::default() });
        let everyone = policy("everyone", 2, Conditions::default());
        let policies = [everyone.clone(), vip.clone()];
        let urgent = ticket(Priority::Urgent, &[]);
        assert_eq!(policy_for(&policies, &urgent, CustomerTier::Vip).unwrap().id, "vip");
        assert_eq!(policy_for(&policies, &urgent, CustomerTier::Standard).unwrap().id, "everyone");
    }

    #[test]
    fn every_given_condition_must_hold_and_tags_must_all_be_present() {
        let conditions = Conditions {
            priorities: vec![Priority::High, Priority::Urgent],
            team_ids: vec!["tier-1".into()],
            tags: vec!["billing".into(), "refund".into()],
            ..Default::default()
        };
        assert!(conditions.matches(&ticket(Priority::Urgent, &["billing", "refund", "eu"]), CustomerTier::Standard));
        assert!(!conditions.matches(&ticket(Priority::Urgent, &["billing"]), CustomerTier::Standard));
        assert!(!conditions.matches(&ticket(Priority::Low, &["billing", "refund"]), CustomerTier::Standard));
    }

    #[test]
    fn targets_are_chosen_by_priority() {
        let p = policy("p", 1, Conditions::default());
        assert_eq!(p.targets_for(Priority::Urgent).len(), 1);
        assert!(p.targets_for(Priority::Low).is_empty());
    }

    #[test]
    fn a_policy_is_checked_field_by_field() {
        let mut p = policy("p", 1, Conditions::default());
        p.name = String::new();
        p.calendar_id = String::new();
        p.targets.push(p.targets[0]);
        p.targets[0].target.minutes = 0;
        let Err(frontline_shared::ApiError::InvalidArgument(violations)) = p.check() else { panic!() };
        let fields: Vec<_> = violations.iter().map(|v| v.field.as_str()).collect();
        assert_eq!(
            fields,
            ["policy.name", "policy.targets[0].target_seconds", "policy.targets[1]", "policy.calendar_id"]
        );
    }

    #[test]
    fn times_of_day_are_hours_and_minutes_up_to_the_end_of_the_day() {
        assert_eq!(parse_time_of_day("09:30"), Some(570));
        assert_eq!(parse_time_of_day("24:00"), Some(1440));
        assert_eq!(parse_time_of_day("24:01"), None);
        assert_eq!(parse_time_of_day("9:30"), None);
        assert_eq!(parse_time_of_day("12:60"), None);
        assert_eq!(format_time_of_day(570), "09:30");
        assert_eq!(weekday_from_number(1), Some(Weekday::Mon));
        assert_eq!(weekday_from_number(7), Some(Weekday::Sun));
        assert_eq!(weekday_from_number(0), None);
    }
}
