//! Properties of the trigger cycle over random rule sets built from a small vocabulary.

use proptest::prelude::*;
use proptest::sample::select;

use crate::domain::rules::*;

fn condition_strategy() -> impl Strategy<Value = Condition> {
    let priority = select(vec!["low", "normal", "high", "urgent"]);
    let status = select(vec!["open", "pending", "solved"]);
    let tag = select(vec!["a", "b", "c"]);
    prop_oneof![
        priority.clone().prop_map(|name| Condition::new("priority", Operator::Is, Value::text(name))),
        priority.prop_map(|name| Condition::new("priority", Operator::GreaterThan, Value::text(name))),
        status.clone().prop_map(|name| Condition::new("status", Operator::IsNot, Value::text(name))),
        status.prop_map(|name| Condition::new("status", Operator::ChangedTo, Value::text(name))),
        tag.clone().prop_map(|name| Condition::new("tags", Operator::Includes, Value::tags([name]))),
        tag.prop_map(|name| Condition::new("tags", Operator::NotIncludes, Value::tags([name]))),
        Just(Condition::new("priority", Operator::Changed, Value::Absent)),
        Just(Condition::new("escalation_tier", Operator::Absent, Value::Absent)),
    ]
}

fn action_strategy() -> impl Strategy<Value = Action> {
    let tag = select(vec!["a", "b", "c"]);
    prop_oneof![
        select(vec!["low", "normal", "high", "urgent"])
            .prop_map(|name| Action::SetField { field: "priority".into(), value: Value::text(name) }),
        select(vec!["open", "pending", "solved"])
            .prop_map(|name| Action::SetField { field: "status".into(), value: Value::text(name) }),
        tag.clone().prop_map(|name| Action::AddTags { tags: vec![name.into()] }),
        tag.prop_map(|name| Action::RemoveTags { tags: vec![name.into()] }),
        Just(Action::SetTags { tags: vec![] }),
        select(vec!["senior-agent", "manager"])
            .prop_map(|tier| Action::Escalate { tier: tier.into(), reason: "property".into() }),
        Just(Action::AddInternalNote { body: "now {{ticket.priority}}".into() }),
        Just(Action::Assign { assignee_id: String::new(), team_id: "tier-2".into() }),
    ]
}

fn trigger_strategy() -> impl Strategy<Value = (i64, bool, Conditions, Vec<Action>)> {
    (
        0i64..4,
        prop::bool::weighted(0.9),
        prop::collection::vec(condition_strategy(), 0..3),
        prop::collection::vec(condition_strategy(), 0..3),
        prop::collection::vec(action_strategy(), 1..4),
    )
        .prop_map(|(position, active, all, any, actions)| (position, active, Conditions { all, any }, actions))
}

fn triggers_strategy() -> impl Strategy<Value = Vec<Trigger>> {
    prop::collection::vec(trigger_strategy(), 0..=8).prop_map(|parts| {
        parts
            .into_iter()
            .enumerate()
            .map(|(index, (position, active, conditions, actions))| Trigger {
                id: format!("t{index}"),
                name: format!("trigger {index}"),
                position,
                active,
                conditions,
                actions,
            })
            .collect()
    })
}

fn ticket_strategy() -> impl Strategy<Value = Facts> {
    (
        select(vec!["low", "normal", "high", "urgent"]),
        select(vec!["new", "open", "pending"]),
        prop::collection::vec(select(vec!["a", "b", "c"]), 0..3),
    )
        .prop_map(|(priority, status, tags)| {
            Facts::new()
                .with("ticket.id", Value::Number(1))
                .with("priority", Value::text(priority))
                .with("status", Value::text(status))
                .with("tags", Value::tags(tags))
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn runs_terminate_fire_each_trigger_at_most_once_and_are_deterministic(
        triggers in triggers_strategy(),
        before in prop::option::of(ticket_strategy()),
        after in ticket_strategy(),
    ) {
        let run = run_triggers(&triggers, before.as_ref(), after.clone());
        prop_assert!(run.fired.len() <= triggers.len());
        let mut ids: Vec<_> = run.fired.iter().map(|fired| fired.trigger_id.clone()).collect();
        ids.sort();
        ids.dedup();
        prop_assert_eq!(ids.len(), run.fired.len(), "a trigger fired twice");
        for fired in &run.fired {
            prop_assert!(triggers.iter().any(|trigger| trigger.id == fired.trigger_id && trigger.active));
        }
        prop_assert_eq!(&run_triggers(&triggers, before.as_ref(), after.clone()), &run);

        let mut reversed = triggers.clone();
        reversed.reverse();
        prop_assert_eq!(&run_triggers(&reversed, before.as_ref(), after), &run, "input order must not matter");
    }

    #[test]
    fn a_settled_run_has_no_unfired_matching_trigger(
        triggers in triggers_strategy(),
        after in ticket_strategy(),
    ) {
        let run = run_triggers(&triggers, None, after);
        for trigger in triggers.iter().filter(|trigger| trigger.active) {
            let fired = run.fired.iter().any(|fired| fired.trigger_id == trigger.id);
            prop_assert!(fired || !trigger.conditions.hold(None, &run.facts), "{} still matches", trigger.id);
        }
    }
}
