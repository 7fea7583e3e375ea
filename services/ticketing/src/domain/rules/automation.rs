//! Time-based automations: rules the caller runs on a clock (Zendesk runs them hourly) over tickets
//! whose `hours_since.*` facts it has filled in.
//!
//! # Idempotency
//!
//! Validation insists on an `hours_since.*` condition so an automation only acts on tickets that have
//! waited. It does not prove the actions nullify a condition (e.g. "pending for 72 hours → solved" stops
//! matching once solved); the caller must run each automation at most once per ticket revision, so an
//! automation whose actions leave its conditions true does not act again until the ticket changes.

use serde::{Deserialize, Serialize};

use super::action::{Action, Effect, apply_actions};
use super::condition::Conditions;
use super::engine::Fired;
use super::facts::{Facts, FieldChange};

fn default_active() -> bool {
    true
}

/// A rule the caller runs on a clock rather than on an event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub struct Automation {
    pub id: String,
    pub name: String,
    pub position: i64,
    #[serde(default = "default_active")]
    pub active: bool,
    pub conditions: Conditions,
    pub actions: Vec<Action>,
}

/// What one automation did to one ticket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub struct AutomationRun {
    pub facts: Facts,
    pub effects: Vec<Effect>,
    pub changed_fields: Vec<String>,
    pub changes: Vec<FieldChange>,
}

/// Runs one automation; `None` when it is inactive or its conditions do not hold.
pub fn run_automation(automation: &Automation, facts: Facts) -> Option<AutomationRun> {
    // With no event, the ticket "before" is the ticket now: nothing counts as changed.
    if !automation.active || !automation.conditions.hold(Some(&facts), &facts) {
        return None;
    }
    let mut after = facts.clone();
    let effects = apply_actions(&automation.actions, &mut after);
    let changes = facts.changes_to(&after);
    let changed_fields = changes.iter().map(|change| change.field.clone()).collect();
    Some(AutomationRun { facts: after, effects, changed_fields, changes })
}

/// What one clock tick of all automations did to one ticket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub struct AutomationsRun {
    pub facts: Facts,
    /// In running order; `trigger_id` holds the automation's id.
    pub fired: Vec<Fired>,
    pub effects: Vec<Effect>,
    pub changed_fields: Vec<String>,
}

/// One clock tick over one ticket, as Zendesk does it: each active automation once, in `position`
/// order (ties by id), each seeing what the earlier ones did.
pub fn run_automations(automations: &[Automation], facts: Facts) -> AutomationsRun {
    let mut order: Vec<&Automation> = automations.iter().filter(|automation| automation.active).collect();
    order.sort_by(|left, right| (left.position, &left.id).cmp(&(right.position, &right.id)));
    let start = facts.clone();
    let mut current = facts;
    let mut fired = Vec::new();
    let mut effects = Vec::new();
    for automation in order {
        if let Some(run) = run_automation(automation, current.clone()) {
            fired.push(Fired {
                trigger_id: automation.id.clone(),
                name: automation.name.clone(),
                changes: run.changes,
            });
            effects.extend(run.effects);
            current = run.facts;
        }
    }
    let changed_fields = start.changes_to(&current).into_iter().map(|change| change.field).collect();
    AutomationsRun { facts: current, fired, effects, changed_fields }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::rules::condition::{Condition, Operator};
    use crate::domain::rules::facts::Value;

    fn remind_after_24_hours() -> Automation {
        Automation {
            id: "remind".into(),
            name: "Nudge requester after a day".into(),
            position: 1,
            active: true,
            conditions: Conditions {
                all: vec![
                    Condition::new("hours_since.agent_replied", Operator::GreaterThan, Value::Number(24)),
                    Condition::new("tags", Operator::NotIncludes, Value::tags(["reminded"])),
                ],
                any: vec![],
            },
            actions: vec![
                Action::AddTags { tags: vec!["reminded".into()] },
                Action::NotifyWebhook { webhook_id: "mailer".into(), body: "remind {{ticket.id}}".into() },
            ],
        }
    }

    fn waiting(hours: i64) -> Facts {
        Facts::new().with("ticket.id", Value::Number(9)).with("hours_since.agent_replied", Value::Number(hours))
    }

    #[test]
    fn fires_once_the_clock_has_run() {
        assert_eq!(run_automation(&remind_after_24_hours(), waiting(24)), None);
        let run = run_automation(&remind_after_24_hours(), waiting(25)).unwrap();
        assert_eq!(run.changed_fields, vec!["tags"]);
        assert_eq!(run.effects, vec![Effect::Webhook { webhook_id: "mailer".into(), body: "remind 9".into() }]);
        // Its own tag nullifies it, so the next tick leaves the ticket alone.
        assert_eq!(run_automation(&remind_after_24_hours(), run.facts), None);
    }

    #[test]
    fn inactive_automation_does_nothing() {
        let mut automation = remind_after_24_hours();
        automation.active = false;
        assert_eq!(run_automation(&automation, waiting(100)), None);
    }

    #[test]
    fn absent_clock_never_matches() {
        let facts = Facts::new().with("ticket.id", Value::Number(9));
        assert_eq!(run_automation(&remind_after_24_hours(), facts), None);
    }
}
