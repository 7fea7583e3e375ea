//! Escalation: the support organisation's ladder, what a step up or down may be, and the
//! automatic rules that climb it when something goes wrong with a ticket.
use frontline_proto::limits::ticketing as limits;
use frontline_shared::{
    ApiError, ApiResult,
    auth::{Principal, Role},
    error::Violations,
};

use super::sla::Metric;

numbered_enum!(
    /// Lowest first: who handles a ticket. Every ticket starts with an agent.
    Tier { Agent = 1, SeniorAgent = 2, TeamLead = 3, Supervisor = 4, Manager = 5, Director = 6 }
);

impl Tier {
    pub fn name(self) -> &'static str {
        match self {
            Tier::Agent => "agent",
            Tier::SeniorAgent => "senior agent",
            Tier::TeamLead => "team lead",
            Tier::Supervisor => "supervisor",
            Tier::Manager => "manager",
            Tier::Director => "director",
        }
    }
}

numbered_enum!(Direction { Up = 1, Down = 2 });

pub const MAX_REASON_CHARS: usize = limits::ESCALATE_TICKET_REQUEST_REASON_MAX_CHARS;
pub const MAX_RULE_NAME_CHARS: usize = limits::ESCALATION_RULE_NAME_MAX_CHARS;

/// One step on the ladder, as the ticket's history keeps it.
#[derive(Debug, Clone, PartialEq)]
pub struct Escalation {
    pub id: String,
    pub ticket_id: i64,
    pub direction: Direction,
    pub from_tier: Tier,
    pub to_tier: Tier,
    pub team_id: String,
    pub assignee_id: String,
    pub reason: String,
    /// A person's subject, or "system" when a rule did it.
    pub actor: String,
    pub rule_id: String,
    pub created_at: i64,
}

/// What a caller asks for: a tier to reach, optionally a team and person to hand over to.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    pub direction: Direction,
    pub tier: Option<Tier>,
    pub team_id: String,
    pub assignee_id: String,
    pub reason: String,
}

impl Step {
    /// Checks the step against the ticket's current tier: up must go higher, down lower.
    pub fn check(&self, current: Tier) -> ApiResult<Tier> {
        let mut violations = Violations::new();
        if self.tier.is_none() {
            violations.add("tier", "is required: the tier the ticket moves to");
        }
        if self.reason.trim().is_empty() {
            violations.add("reason", "is required: say why, for whoever picks the ticket up");
        } else if self.reason.chars().count() > MAX_REASON_CHARS {
            violations.add("reason", format!("must be at most {MAX_REASON_CHARS} characters"));
        }
        violations.into_result()?;
        let tier = self.tier.expect("checked above");
        let (moves, word) = match self.direction {
            Direction::Up => (tier > current, "above"),
            Direction::Down => (tier < current, "below"),
        };
        if !moves {
            return Err(ApiError::FailedPrecondition {
                reason: "ESCALATION_TIER_NOT_REACHABLE",
                message: format!(
                    "the ticket is with the {} tier; the tier must be {word} it, got {}",
                    current.name(),
                    tier.name()
                ),
            });
        }
        Ok(tier)
    }
}

/// De-escalating hands work back down, which is a lead's call, not an agent's.
pub fn may_deescalate(principal: &Principal) -> bool {
    matches!(
        principal.role,
        Role::TeamLead | Role::Supervisor | Role::Manager | Role::Director | Role::Administrator | Role::Service
    )
}

/// When a rule escalates a ticket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RuleCondition {
    /// An SLA target was breached (of this metric; None: any).
    SlaBreach { metric: Option<Metric> },
    /// An urgent ticket from a VIP customer.
    VipUrgent,
    /// Reopened at least this many times.
    Reopened { times: i64 },
    /// The requester rated the ticket bad.
    BadSatisfaction,
}

#[derive(Debug, Clone, PartialEq)]
pub struct EscalationRule {
    pub id: String,
    pub name: String,
    pub active: bool,
    pub condition: Option<RuleCondition>,
    pub tier: Option<Tier>,
    pub team_id: String,
    pub assignee_id: String,
    pub revision: i64,
    pub created_at: i64,
}

/// Something that happened to a ticket that a rule may react to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Occurrence {
    Breached(Metric),
    /// The ticket as it stands after a change.
    Changed {
        vip_urgent: bool,
        reopens: i64,
    },
    RatedBad,
}

impl EscalationRule {
    pub fn check(&self) -> ApiResult<()> {
        let mut violations = Violations::new();
        if self.name.trim().is_empty() {
            violations.add("rule.name", "is required");
        } else if self.name.chars().count() > MAX_RULE_NAME_CHARS {
            violations.add("rule.name", format!("must be at most {MAX_RULE_NAME_CHARS} characters"));
        }
        match self.condition {
            None => {
                violations.add("rule.condition", "is required: sla_breach, vip_urgent, reopened or bad_satisfaction")
            }
            Some(RuleCondition::Reopened { times }) if times < 1 => {
                violations.add("rule.reopened.times", "must be at least 1")
            }
            Some(_) => {}
        }
        match self.tier {
            None => violations.add("rule.tier", "is required"),
            Some(Tier::Agent) => violations.add("rule.tier", "must be above agent: every ticket starts there"),
            Some(_) => {}
        }
        violations.into_result()
    }

    /// Whether this rule escalates a ticket now at `current` because of `occurrence`. A rule
    /// only ever moves a ticket up.
    pub fn fires_on(&self, occurrence: Occurrence, current: Tier) -> bool {
        if !self.active || self.tier.is_none_or(|tier| tier <= current) {
            return false;
        }
        match (&self.condition, occurrence) {
            (Some(RuleCondition::SlaBreach { metric }), Occurrence::Breached(breached)) => {
                metric.is_none_or(|metric| metric == breached)
            }
            (Some(RuleCondition::VipUrgent), Occurrence::Changed { vip_urgent, .. }) => vip_urgent,
            (Some(RuleCondition::Reopened { times }), Occurrence::Changed { reopens, .. }) => reopens >= *times,
            (Some(RuleCondition::BadSatisfaction), Occurrence::RatedBad) => true,
            _ => false,
        }
    }

    pub fn reason(&self, occurrence: Occurrence) -> String {
        let what = match occurrence {
            Occurrence::Breached(metric) => format!("the {} target was breached", metric.name()),
            Occurrence::Changed { vip_urgent: true, .. } if self.condition == Some(RuleCondition::VipUrgent) => {
                "an urgent ticket from a VIP customer".to_string()
            }
            Occurrence::Changed { reopens, .. } => format!("reopened {reopens} times"),
            Occurrence::RatedBad => "the requester rated it bad".to_string(),
        };
        format!("{what} (rule \"{}\")", self.name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(condition: RuleCondition, tier: Tier) -> EscalationRule {
        EscalationRule {
            id: "r".into(),
            name: "rule".into(),
            active: true,
            condition: Some(condition),
            tier: Some(tier),
            team_id: String::new(),
            assignee_id: String::new(),
            revision: 1,
            created_at: 0,
        }
    }

    fn step(direction: Direction, tier: Tier) -> Step {
        Step { direction, tier: Some(tier), team_id: String::new(), assignee_id: String::new(), reason: "why".into() }
    }

    #[test]
    fn escalating_must_climb_and_deescalating_must_descend() {
        assert_eq!(step(Direction::Up, Tier::TeamLead).check(Tier::Agent).unwrap(), Tier::TeamLead);
        assert!(step(Direction::Up, Tier::Agent).check(Tier::TeamLead).is_err());
        assert!(step(Direction::Up, Tier::TeamLead).check(Tier::TeamLead).is_err());
        assert_eq!(step(Direction::Down, Tier::SeniorAgent).check(Tier::Manager).unwrap(), Tier::SeniorAgent);
        assert!(step(Direction::Down, Tier::Director).check(Tier::Manager).is_err());
    }

    #[test]
    fn a_step_needs_a_tier_and_a_reason() {
        let mut missing = step(Direction::Up, Tier::TeamLead);
        missing.tier = None;
        missing.reason = "  ".into();
        let ApiError::InvalidArgument(violations) = missing.check(Tier::Agent).unwrap_err() else { panic!() };
        let fields: Vec<_> = violations.iter().map(|v| v.field.as_str()).collect();
        assert_eq!(fields, ["tier", "reason"]);
    }

    #[test]
    fn a_breach_rule_fires_for_its_metric_and_only_upwards() {
        let any = rule(RuleCondition::SlaBreach { metric: None }, Tier::TeamLead);
        let first_reply = rule(RuleCondition::SlaBreach { metric: Some(Metric::FirstReply) }, Tier::TeamLead);
        assert!(any.fires_on(Occurrence::Breached(Metric::NextReply), Tier::Agent));
        assert!(first_reply.fires_on(Occurrence::Breached(Metric::FirstReply), Tier::SeniorAgent));
        assert!(!first_reply.fires_on(Occurrence::Breached(Metric::NextReply), Tier::Agent));
        assert!(!any.fires_on(Occurrence::Breached(Metric::FirstReply), Tier::TeamLead), "already there");
        assert!(!any.fires_on(Occurrence::RatedBad, Tier::Agent));
    }

    #[test]
    fn reopen_vip_and_csat_rules_fire_on_their_occurrence() {
        let reopened = rule(RuleCondition::Reopened { times: 2 }, Tier::Supervisor);
        assert!(!reopened.fires_on(Occurrence::Changed { vip_urgent: false, reopens: 1 }, Tier::Agent));
        assert!(reopened.fires_on(Occurrence::Changed { vip_urgent: false, reopens: 2 }, Tier::Agent));
        let vip = rule(RuleCondition::VipUrgent, Tier::TeamLead);
        assert!(vip.fires_on(Occurrence::Changed { vip_urgent: true, reopens: 0 }, Tier::Agent));
        assert!(!vip.fires_on(Occurrence::Changed { vip_urgent: false, reopens: 0 }, Tier::Agent));
        let csat = rule(RuleCondition::BadSatisfaction, Tier::Manager);
        assert!(csat.fires_on(Occurrence::RatedBad, Tier::TeamLead));
        let mut inactive = csat.clone();
        inactive.active = false;
        assert!(!inactive.fires_on(Occurrence::RatedBad, Tier::Agent));
    }

    #[test]
    fn a_rule_needs_a_name_a_condition_and_a_tier_above_agent() {
        let mut bad = rule(RuleCondition::Reopened { times: 0 }, Tier::Agent);
        bad.name = String::new();
        let ApiError::InvalidArgument(violations) = bad.check().unwrap_err() else { panic!() };
        let fields: Vec<_> = violations.iter().map(|v| v.field.as_str()).collect();
        assert_eq!(fields, ["rule.name", "rule.reopened.times", "rule.tier"]);
    }
}
