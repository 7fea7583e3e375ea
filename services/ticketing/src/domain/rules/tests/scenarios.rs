//! Realistic rules an admin would write, run end to end through the public API.

use crate::domain::rules::*;

fn condition(field: &str, operator: Operator, value: Value) -> Condition {
    Condition::new(field, operator, value)
}

fn set(field: &str, value: &str) -> Action {
    Action::SetField { field: field.into(), value: Value::text(value) }
}

fn trigger(id: &str, position: i64, all: Vec<Condition>, actions: Vec<Action>) -> Trigger {
    Trigger {
        id: id.into(),
        name: id.replace('-', " "),
        position,
        active: true,
        conditions: Conditions { all, any: vec![] },
        actions,
    }
}

fn automation(id: &str, position: i64, all: Vec<Condition>, actions: Vec<Action>) -> Automation {
    Automation {
        id: id.into(),
        name: id.replace('-', " "),
        position,
        active: true,
        conditions: Conditions { all, any: vec![] },
        actions,
    }
}

fn vip_urgent() -> Trigger {
    trigger(
        "vip-urgent",
        10,
        vec![
            condition("priority", Operator::Is, Value::text("urgent")),
            condition("requester.tier", Operator::Is, Value::text("vip")),
        ],
        vec![
            Action::Assign { assignee_id: String::new(), team_id: "tier-2".into() },
            Action::AddTags { tags: vec!["vip".into()] },
            Action::Escalate { tier: "team-lead".into(), reason: "urgent ticket from a VIP".into() },
        ],
    )
}

fn requester_replied_reopens() -> Trigger {
    trigger(
        "requester-replied-reopens",
        20,
        vec![
            condition("event", Operator::Is, Value::text("commented")),
            condition("comment.author", Operator::Is, Value::text("requester")),
            condition("comment.public", Operator::Is, Value::Bool(true)),
            condition("status", Operator::Is, Value::text("pending")),
        ],
        vec![set("status", "open")],
    )
}

fn survey_on_solve() -> Trigger {
    trigger(
        "survey-on-solve",
        30,
        vec![condition("status", Operator::ChangedTo, Value::text("solved"))],
        vec![Action::NotifyWebhook { webhook_id: "survey".into(), body: r#"{"ticket": {{ticket.id}}}"#.into() }],
    )
}

fn open_ticket() -> Facts {
    Facts::new()
        .with("ticket.id", Value::Number(4711))
        .with("status", Value::text("open"))
        .with("priority", Value::text("normal"))
        .with("requester.tier", Value::text("vip"))
        .with("requester.name", Value::text("Grace Hopper"))
        .with("assignee_id", Value::text("agent-3"))
        .with("team_id", Value::text("tier-1"))
}

#[test]
fn urgent_vip_ticket_goes_to_tier_two_and_is_escalated() {
    let before = open_ticket();
    let after = open_ticket().with("priority", Value::text("urgent"));
    let triggers = [vip_urgent(), requester_replied_reopens(), survey_on_solve()];
    let run = run_triggers(&triggers, Some(&before), after);
    assert_eq!(run.fired.len(), 1);
    assert_eq!(run.fired[0].trigger_id, "vip-urgent");
    assert_eq!(run.facts.get("team_id"), &Value::text("tier-2"));
    assert_eq!(run.facts.get("assignee_id"), &Value::Absent, "moved to the tier-2 queue");
    assert_eq!(run.facts.tags(), vec!["vip"]);
    assert_eq!(run.facts.get("escalation_tier"), &Value::text("team-lead"));
    assert_eq!(
        run.effects,
        vec![Effect::Escalated { tier: "team-lead".into(), reason: "urgent ticket from a VIP".into() }]
    );
    assert_eq!(run.changed_fields, vec!["assignee_id", "escalation_tier", "tags", "team_id"]);
}

#[test]
fn standard_requester_is_not_escalated() {
    let after = open_ticket().with("priority", Value::text("urgent")).with("requester.tier", Value::text("standard"));
    let run = run_triggers(&[vip_urgent()], Some(&open_ticket()), after.clone());
    assert!(run.fired.is_empty());
    assert_eq!(run.facts, after);

    let explained = dry_run(&vip_urgent(), Some(&open_ticket()), &after);
    assert!(!explained.matched);
    let holds: Vec<bool> = explained.condition_results.iter().map(|result| result.holds).collect();
    assert_eq!(holds, vec![true, false], "the admin sees the tier condition is the one that failed");
}

#[test]
fn requester_reply_reopens_a_pending_ticket() {
    let before = open_ticket().with("status", Value::text("pending"));
    let event = |author: &str, public: bool| {
        before
            .clone()
            .with("event", Value::text("commented"))
            .with("comment.author", Value::text(author))
            .with("comment.public", Value::Bool(public))
            .with("comment.body", Value::text("Still broken, sorry!"))
    };
    let triggers = [requester_replied_reopens()];
    let run = run_triggers(&triggers, Some(&before), event("requester", true));
    assert_eq!(run.facts.get("status"), &Value::text("open"));
    assert_eq!(run.changed_fields, vec!["status"]);
    assert!(run_triggers(&triggers, Some(&before), event("agent", true)).fired.is_empty());
    assert!(run_triggers(&triggers, Some(&before), event("requester", false)).fired.is_empty());
}

#[test]
fn ping_pong_triggers_each_fire_once_and_stop() {
    let raise = trigger(
        "a-raise",
        1,
        vec![condition("priority", Operator::Is, Value::text("low"))],
        vec![set("priority", "high")],
    );
    let lower = trigger(
        "b-lower",
        2,
        vec![condition("priority", Operator::Is, Value::text("high"))],
        vec![set("priority", "low")],
    );
    let ticket = open_ticket().with("priority", Value::text("low"));
    let triggers = [lower.clone(), raise.clone()];
    let run = run_triggers(&triggers, Some(&open_ticket()), ticket.clone());
    let order: Vec<_> = run.fired.iter().map(|fired| fired.trigger_id.as_str()).collect();
    assert_eq!(order, vec!["a-raise", "b-lower"]);
    assert_eq!(run.facts.get("priority"), &Value::text("low"), "b-lower had the last word");
    assert!(run.changed_fields.is_empty(), "low → high → low is no change overall");
    assert_eq!(run.fired[1].changes[0].before, Value::text("high"));
    assert_eq!(run_triggers(&[raise, lower], Some(&open_ticket()), ticket), run, "deterministic");
}

#[test]
fn survey_only_fires_when_status_changes_to_solved() {
    let triggers = [survey_on_solve()];
    let solved = open_ticket().with("status", Value::text("solved"));

    let run = run_triggers(&triggers, Some(&open_ticket()), solved.clone());
    assert_eq!(run.effects, vec![Effect::Webhook { webhook_id: "survey".into(), body: r#"{"ticket": 4711}"#.into() }]);

    let comment_on_solved = solved.clone().with("event", Value::text("commented"));
    assert!(run_triggers(&triggers, Some(&solved), comment_on_solved).fired.is_empty());
    assert!(run_triggers(&triggers, Some(&open_ticket()), open_ticket()).fired.is_empty());
    assert_eq!(run_triggers(&triggers, None, solved).fired.len(), 1, "created already solved counts as a change");
}

fn pending_to_solved() -> Automation {
    automation(
        "pending-72h-solve",
        1,
        vec![
            condition("status", Operator::Is, Value::text("pending")),
            condition("hours_since.status_changed", Operator::GreaterThan, Value::Number(72)),
        ],
        vec![set("status", "solved"), Action::AddInternalNote { body: "Solved after 72 hours without reply.".into() }],
    )
}

fn solved_to_closed() -> Automation {
    automation(
        "solved-96h-close",
        2,
        vec![
            condition("status", Operator::Is, Value::text("solved")),
            condition("hours_since.solved", Operator::GreaterThan, Value::Number(96)),
        ],
        vec![set("status", "closed")],
    )
}

#[test]
fn stale_pending_ticket_is_solved_but_not_closed_in_the_same_tick() {
    let automations = [solved_to_closed(), pending_to_solved()];
    for automation in &automations {
        assert_eq!(check_automation(automation), vec![]);
    }
    // Solved long ago, reopened, then left pending: the old solve must not close it straight away.
    let stale = open_ticket()
        .with("status", Value::text("pending"))
        .with("hours_since.status_changed", Value::Number(80))
        .with("hours_since.solved", Value::Number(400));
    let tick = run_automations(&automations, stale);
    assert_eq!(tick.facts.get("status"), &Value::text("solved"));
    assert_eq!(tick.fired.len(), 1);
    assert_eq!(tick.changed_fields, vec!["status"]);
    assert_eq!(tick.effects, vec![Effect::InternalNote { body: "Solved after 72 hours without reply.".into() }]);

    let young =
        open_ticket().with("status", Value::text("pending")).with("hours_since.status_changed", Value::Number(72));
    assert_eq!(run_automation(&pending_to_solved(), young), None);
}

#[test]
fn solved_ticket_closes_after_96_hours() {
    let solved =
        |hours| open_ticket().with("status", Value::text("solved")).with("hours_since.solved", Value::Number(hours));
    let run = run_automation(&solved_to_closed(), solved(97)).unwrap();
    assert_eq!(run.facts.get("status"), &Value::text("closed"));
    assert_eq!(
        run.changes,
        vec![FieldChange { field: "status".into(), before: Value::text("solved"), after: Value::text("closed") }]
    );
    assert_eq!(run_automation(&solved_to_closed(), solved(96)), None);
    assert_eq!(run_automation(&solved_to_closed(), run.facts), None, "closing nullifies the condition");
}

#[test]
fn macro_preview_greets_the_requester() {
    let take_it = Macro {
        id: "take-it".into(),
        name: "Take it and reply".into(),
        actions: vec![
            Action::Assign { assignee_id: "agent-9".into(), team_id: String::new() },
            set("status", "pending"),
        ],
        reply: "Hi {{requester.first_name}}, ticket #{{ticket.id}} is now {{ ticket.status }}.".into(),
        reply_public: true,
    };
    assert_eq!(check_macro(&take_it), vec![]);
    let shown = preview(&take_it, &open_ticket());
    assert_eq!(shown.reply, "Hi Grace, ticket #4711 is now pending.");
    assert_eq!(shown.changed_fields, vec!["assignee_id", "status"]);
    assert!(shown.reply_public);
}

#[test]
fn stored_json_rule_validates_and_runs() {
    let json = r#"{
        "id": "billing", "name": "Billing to finance", "position": 5,
        "conditions": {
            "all": [{"field": "subject", "operator": "contains", "value": {"text": "invoice"}}],
            "any": [{"field": "channel", "operator": "is", "value": {"text": "email"}},
                    {"field": "channel", "operator": "is", "value": {"text": "web"}}]
        },
        "actions": [{"type": "assign", "team_id": "finance"},
                    {"type": "add_tags", "tags": ["Billing"]}]
    }"#;
    let stored: Trigger = serde_json::from_str(json).unwrap();
    assert!(stored.active, "triggers are active unless stored otherwise");
    assert_eq!(check_trigger(&stored), vec![]);
    let ticket = open_ticket().with("subject", Value::text("Wrong INVOICE amount")).with("channel", Value::text("web"));
    let run = run_triggers(std::slice::from_ref(&stored), None, ticket);
    assert_eq!(run.facts.get("team_id"), &Value::text("finance"));
    assert_eq!(run.facts.tags(), vec!["billing"]);
    let again: Trigger = serde_json::from_str(&serde_json::to_string(&stored).unwrap()).unwrap();
    assert_eq!(again, stored);
}

#[test]
fn broken_stored_rule_reports_api_paths() {
    let json = r#"{
        "id": "broken", "name": "Broken", "position": 1,
        "conditions": {"all": [
            {"field": "priority", "operator": "is", "value": {"text": "urgent"}},
            {"field": "priority", "operator": "is", "value": {"text": "sky-high"}}
        ]},
        "actions": [{"type": "set_field", "field": "requester.email", "value": {"text": "x@example.com"}}]
    }"#;
    let stored: Trigger = serde_json::from_str(json).unwrap();
    let violations = check_trigger(&stored);
    let paths: Vec<_> = violations.iter().map(|violation| violation.field.as_str()).collect();
    assert_eq!(paths, vec!["conditions.all[1].value", "actions[0].field"]);
    assert!(violations[0].description.contains("urgent"), "lists the allowed names");
}
