//! Event-driven triggers: Zendesk's trigger cycle, made loop-safe by construction, and a dry run that
//! shows an admin why one trigger matched or not.
//!
//! # Loop safety
//!
//! Triggers are considered in `position` order (ties broken by id); inactive ones are skipped. In each
//! pass every trigger that has not fired yet is judged against the *current* facts (so an earlier
//! trigger's actions are visible to later ones, while "changed" is always judged against the original
//! `before`). A trigger whose conditions hold fires, applies its actions at once, and cannot fire again
//! in this run. Passes repeat until one fires nothing. Every pass but the last fires at least one
//! trigger, so a run fires at most `triggers.len()` times and makes at most `triggers.len() + 1` passes,
//! whatever the rules say; and since nothing depends on anything but the inputs, the outcome is
//! deterministic.

use serde::{Deserialize, Serialize};

use super::action::{Effect, apply_actions};
use super::condition::{ConditionResult, Conditions};
use super::facts::{Facts, FieldChange};

fn default_active() -> bool {
    true
}

/// A rule that runs when a ticket is created or updated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub struct Trigger {
    pub id: String,
    pub name: String,
    pub position: i64,
    #[serde(default = "default_active")]
    pub active: bool,
    pub conditions: Conditions,
    pub actions: Vec<super::action::Action>,
}

/// One trigger that fired, with the field changes its actions made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub struct Fired {
    pub trigger_id: String,
    pub name: String,
    pub changes: Vec<FieldChange>,
}

/// The outcome of running all triggers for one event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub struct TriggerRun {
    pub facts: Facts,
    /// In firing order.
    pub fired: Vec<Fired>,
    /// In firing order, then action order.
    pub effects: Vec<Effect>,
    /// Fields whose value differs between the `after` input and `facts`.
    pub changed_fields: Vec<String>,
}

/// Runs the trigger cycle for one event; `before` is `None` when the event created the ticket and
/// `after` is the ticket as the event left it. See the module docs for the loop-safety guarantee.
pub fn run_triggers(triggers: &[Trigger], before: Option<&Facts>, after: Facts) -> TriggerRun {
    let mut order: Vec<&Trigger> = triggers.iter().filter(|trigger| trigger.active).collect();
    order.sort_by(|left, right| (left.position, &left.id).cmp(&(right.position, &right.id)));

    let mut facts = after.clone();
    let mut has_fired = vec![false; order.len()];
    let mut fired = Vec::new();
    let mut effects = Vec::new();
    loop {
        let mut fired_this_pass = false;
        for (index, trigger) in order.iter().enumerate() {
            if has_fired[index] || !trigger.conditions.hold(before, &facts) {
                continue;
            }
            has_fired[index] = true;
            fired_this_pass = true;
            let previous = facts.clone();
            effects.extend(apply_actions(&trigger.actions, &mut facts));
            fired.push(Fired {
                trigger_id: trigger.id.clone(),
                name: trigger.name.clone(),
                changes: previous.changes_to(&facts),
            });
        }
        if !fired_this_pass {
            break;
        }
    }
    let changed_fields = after.changes_to(&facts).into_iter().map(|change| change.field).collect();
    TriggerRun { facts, fired, effects, changed_fields }
}

/// What one trigger would do to one event, with every condition's result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub struct DryRun {
    pub matched: bool,
    /// Every condition of `all`, then of `any`, with its list and index.
    pub condition_results: Vec<ConditionResult>,
    /// `after` unchanged when the trigger did not match.
    pub facts_after: Facts,
    pub effects: Vec<Effect>,
    pub changes: Vec<FieldChange>,
}

/// Judges one trigger alone, ignoring `active`, so an admin can test a rule before switching it on.
pub fn dry_run(trigger: &Trigger, before: Option<&Facts>, after: &Facts) -> DryRun {
    let condition_results = trigger.conditions.explain(before, after);
    let matched = trigger.conditions.hold(before, after);
    let mut facts_after = after.clone();
    let effects = if matched { apply_actions(&trigger.actions, &mut facts_after) } else { Vec::new() };
    let changes = after.changes_to(&facts_after);
    DryRun { matched, condition_results, facts_after, effects, changes }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::rules::action::Action;
    use crate::domain::rules::condition::{Condition, ConditionList, Operator};
    use crate::domain::rules::facts::Value;

    fn trigger(id: &str, position: i64, condition: Condition, action: Action) -> Trigger {
        Trigger {
            id: id.into(),
            name: format!("trigger {id}"),
            position,
            active: true,
            conditions: Conditions { all: vec![condition], any: vec![] },
            actions: vec![action],
        }
    }

    fn add_tag(tag: &str) -> Action {
        Action::AddTags { tags: vec![tag.into()] }
    }

    fn has_tag(tag: &str) -> Condition {
        Condition::new("tags", Operator::Includes, Value::tags([tag]))
    }

    fn always() -> Condition {
        Condition::new("ticket.id", Operator::Present, Value::Absent)
    }

    fn ticket() -> Facts {
        Facts::new().with("ticket.id", Value::Number(1))
    }

    #[test]
    fn later_triggers_see_earlier_actions_and_earlier_ones_get_another_pass() {
        // "b" needs "a"'s tag, "a" needs "c"'s tag; only a second pass lets "a" and then "b" fire.
        let triggers = vec![
            trigger("b", 2, has_tag("from-a"), add_tag("from-b")),
            trigger("a", 1, has_tag("from-c"), add_tag("from-a")),
            trigger("c", 3, always(), add_tag("from-c")),
        ];
        let run = run_triggers(&triggers, None, ticket());
        let order: Vec<_> = run.fired.iter().map(|fired| fired.trigger_id.as_str()).collect();
        assert_eq!(order, vec!["c", "a", "b"]);
        assert_eq!(run.facts.tags(), vec!["from-a", "from-b", "from-c"]);
        assert_eq!(run.changed_fields, vec!["tags"]);
    }

    #[test]
    fn ties_break_by_id_and_inactive_triggers_are_skipped() {
        let mut sleeping = trigger("a-sleeping", 0, always(), add_tag("never"));
        sleeping.active = false;
        let triggers = vec![trigger("z", 5, always(), add_tag("z")), trigger("m", 5, always(), add_tag("m")), sleeping];
        let run = run_triggers(&triggers, None, ticket());
        let order: Vec<_> = run.fired.iter().map(|fired| fired.trigger_id.as_str()).collect();
        assert_eq!(order, vec!["m", "z"]);
    }

    #[test]
    fn fired_records_its_own_changes() {
        let set_priority = Action::SetField { field: "priority".into(), value: Value::text("high") };
        let run = run_triggers(&[trigger("p", 1, always(), set_priority)], None, ticket());
        assert_eq!(
            run.fired[0].changes,
            vec![FieldChange { field: "priority".into(), before: Value::Absent, after: Value::text("high") }]
        );
    }

    #[test]
    fn no_triggers_changes_nothing() {
        let run = run_triggers(&[], None, ticket());
        assert_eq!(run.facts, ticket());
        assert!(run.fired.is_empty() && run.effects.is_empty() && run.changed_fields.is_empty());
    }

    #[test]
    fn dry_run_explains_each_condition() {
        let mut draft = trigger("d", 1, has_tag("vip"), add_tag("seen"));
        draft.active = false;
        draft.conditions.any = vec![
            Condition::new("priority", Operator::Is, Value::text("urgent")),
            Condition::new("priority", Operator::Is, Value::text("high")),
        ];
        let facts = ticket().with("tags", Value::tags(["vip"])).with("priority", Value::text("high"));
        let result = dry_run(&draft, None, &facts);
        assert!(result.matched);
        let holds: Vec<_> =
            result.condition_results.iter().map(|result| (result.list, result.index, result.holds)).collect();
        assert_eq!(
            holds,
            vec![(ConditionList::All, 0, true), (ConditionList::Any, 0, false), (ConditionList::Any, 1, true)]
        );
        assert_eq!(result.facts_after.tags(), vec!["seen", "vip"]);
        assert_eq!(result.changes.len(), 1);

        let miss = dry_run(&draft, None, &ticket());
        assert!(!miss.matched);
        assert_eq!(miss.facts_after, ticket());
        assert!(miss.changes.is_empty());
    }
}
