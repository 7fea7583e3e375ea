//! Save-time checks for triggers, automations and macros. Each problem is a [`Violation`] whose `field`
//! is a path into the rule's JSON (e.g. `conditions.all[1].value`, `actions[0].field`, `reply`) that the
//! API can hand straight back to the admin's form.

use frontline_proto::limits::ticketing as limits;
use serde::{Deserialize, Serialize};

use super::action::Action;
use super::automation::Automation;
use super::condition::{Condition, Conditions, Operator};
use super::engine::Trigger;
use super::facts::{ESCALATION_TIERS, FieldKind, FieldScope, FieldSpec, Value, field_spec, is_valid_tag};
use super::macros::Macro;
use super::template;

pub const MAX_NAME_CHARS: usize = limits::BUSINESS_RULE_NAME_MAX_CHARS;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub struct Violation {
    pub field: String,
    pub description: String,
}

/// Which kind of rule is being checked, since each sees different facts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RuleKind {
    Trigger,
    Automation,
}

#[derive(Default)]
struct Violations(Vec<Violation>);

impl Violations {
    fn add(&mut self, field: impl Into<String>, description: impl Into<String>) {
        self.0.push(Violation { field: field.into(), description: description.into() });
    }
}

pub fn check_trigger(trigger: &Trigger) -> Vec<Violation> {
    let mut violations = Violations::default();
    check_name(&mut violations, &trigger.name);
    check_conditions(&mut violations, &trigger.conditions, RuleKind::Trigger);
    check_actions(&mut violations, &trigger.actions, true);
    violations.0
}

pub fn check_automation(automation: &Automation) -> Vec<Violation> {
    let mut violations = Violations::default();
    check_name(&mut violations, &automation.name);
    check_conditions(&mut violations, &automation.conditions, RuleKind::Automation);
    let waits = automation.conditions.all.iter().any(|condition| {
        field_spec(&condition.field).is_some_and(|spec| spec.scope == FieldScope::Time)
            && matches!(condition.operator, Operator::GreaterThan | Operator::Is)
    });
    // Only a condition every match must meet bounds the automation in time; one among "any" does not.
    if !automation.conditions.is_empty() && !waits {
        violations.add(
            "conditions.all",
            "an automation needs an hours_since.* condition using greater_than or is among its \"all\" conditions",
        );
    }
    check_actions(&mut violations, &automation.actions, true);
    violations.0
}

pub fn check_macro(macro_: &Macro) -> Vec<Violation> {
    let mut violations = Violations::default();
    check_name(&mut violations, &macro_.name);
    if macro_.actions.is_empty() && macro_.reply.trim().is_empty() {
        violations.add("actions", "a macro needs at least one action or a reply");
    }
    check_actions(&mut violations, &macro_.actions, false);
    if let Err(error) = template::check(&macro_.reply) {
        violations.add("reply", error.to_string());
    }
    violations.0
}

fn check_name(violations: &mut Violations, name: &str) {
    if name.trim().is_empty() {
        violations.add("name", "name is required");
    } else if name.chars().count() > MAX_NAME_CHARS {
        violations.add("name", format!("name is longer than {MAX_NAME_CHARS} characters"));
    }
}

fn check_conditions(violations: &mut Violations, conditions: &Conditions, rule: RuleKind) {
    if conditions.is_empty() {
        violations.add("conditions", "at least one condition is required");
    }
    for (list, index, condition) in conditions.iter() {
        check_condition(violations, &format!("conditions.{}[{index}]", list.name()), condition, rule);
    }
}

fn check_condition(violations: &mut Violations, path: &str, condition: &Condition, rule: RuleKind) {
    let Some(spec) = field_spec(&condition.field) else {
        violations.add(format!("{path}.field"), format!("unknown field '{}'", condition.field));
        return;
    };
    match (spec.scope, rule) {
        (FieldScope::Time, RuleKind::Trigger) => {
            violations.add(format!("{path}.field"), format!("'{}' is only available to automations", spec.name));
            return;
        }
        (FieldScope::Event, RuleKind::Automation) => {
            let description =
                format!("'{}' describes an event, and automations run on a clock, not on events", spec.name);
            violations.add(format!("{path}.field"), description);
            return;
        }
        _ => {}
    }
    let operator = operator_name(condition.operator);
    if rule == RuleKind::Automation && condition.operator.judges_change() {
        violations
            .add(format!("{path}.operator"), format!("'{operator}' needs an event, which automations do not have"));
        return;
    }
    if !condition.operator.applies_to(spec) {
        violations.add(format!("{path}.operator"), format!("'{operator}' does not apply to '{}'", spec.name));
        return;
    }
    if !condition.operator.takes_value() {
        if condition.value != Value::Absent {
            violations.add(format!("{path}.value"), format!("'{operator}' takes no value"));
        }
        return;
    }
    if let Err(description) = check_condition_value(spec, condition.operator, &condition.value) {
        violations.add(format!("{path}.value"), description);
    }
}

fn operator_name(operator: Operator) -> String {
    serde_json::to_value(operator).ok().and_then(|name| name.as_str().map(str::to_string)).unwrap_or_default()
}

fn check_condition_value(spec: &FieldSpec, operator: Operator, value: &Value) -> Result<(), String> {
    match (spec.kind, value) {
        (FieldKind::Enum { .. }, Value::Text(name)) if spec.kind.rank(name).is_some() => Ok(()),
        (FieldKind::Enum { values, .. }, _) => Err(format!("must be one of: {}", values.join(", "))),
        (FieldKind::Text | FieldKind::Id, Value::Text(text)) if !text.trim().is_empty() => Ok(()),
        (FieldKind::Text | FieldKind::Id, _) => {
            Err(format!("'{}' needs non-empty text; use 'absent' to test for none", spec.name))
        }
        (FieldKind::Number, Value::Number(hours)) if spec.scope == FieldScope::Time && *hours < 0 => {
            Err("hours cannot be negative".into())
        }
        (FieldKind::Number, Value::Number(_)) => Ok(()),
        (FieldKind::Number, _) => Err("must be a number".into()),
        (FieldKind::Tags, Value::Tags(tags)) => check_tags(tags),
        (FieldKind::Tags, _) => Err(format!("'{}' needs a list of tags", operator_name(operator))),
        (FieldKind::Bool, Value::Bool(_)) => Ok(()),
        (FieldKind::Bool, _) => Err("must be true or false".into()),
    }
}

fn check_tags(tags: &[String]) -> Result<(), String> {
    if tags.is_empty() {
        return Err("at least one tag is required".into());
    }
    match tags.iter().find(|tag| !is_valid_tag(tag)) {
        Some(tag) => Err(format!("'{tag}' is not a tag: tags are single words")),
        None => Ok(()),
    }
}

fn check_actions(violations: &mut Violations, actions: &[Action], required: bool) {
    if required && actions.is_empty() {
        violations.add("actions", "at least one action is required");
    }
    for (index, action) in actions.iter().enumerate() {
        check_action(violations, &format!("actions[{index}]"), action);
    }
}

fn check_action(violations: &mut Violations, path: &str, action: &Action) {
    match action {
        Action::SetField { field, value } => match field_spec(field) {
            None => violations.add(format!("{path}.field"), format!("unknown field '{field}'")),
            Some(spec) if !spec.settable => {
                violations.add(format!("{path}.field"), format!("'{field}' cannot be set by a rule"));
            }
            Some(spec) => {
                if let Err(description) = check_settable_value(spec, value) {
                    violations.add(format!("{path}.value"), description);
                }
            }
        },
        Action::Assign { assignee_id, team_id } => {
            if assignee_id.trim().is_empty() && team_id.trim().is_empty() {
                violations.add(path.to_string(), "name an assignee, a team, or both");
            }
        }
        Action::AddTags { tags } | Action::RemoveTags { tags } => {
            if let Err(description) = check_tags(tags) {
                violations.add(format!("{path}.tags"), description);
            }
        }
        Action::SetTags { tags } => {
            // An empty list is how a rule clears all tags.
            if let Some(tag) = tags.iter().find(|tag| !is_valid_tag(tag)) {
                violations.add(format!("{path}.tags"), format!("'{tag}' is not a tag: tags are single words"));
            }
        }
        Action::Escalate { tier, .. } => {
            if !ESCALATION_TIERS.contains(&tier.trim().to_lowercase().as_str()) {
                violations.add(format!("{path}.tier"), format!("must be one of: {}", ESCALATION_TIERS.join(", ")));
            }
        }
        Action::AddInternalNote { body } => check_body(violations, path, body),
        Action::NotifyWebhook { webhook_id, body } => {
            if webhook_id.trim().is_empty() {
                violations.add(format!("{path}.webhook_id"), "webhook is required");
            }
            check_body(violations, path, body);
        }
    }
}

fn check_settable_value(spec: &FieldSpec, value: &Value) -> Result<(), String> {
    match (spec.kind, value) {
        // Zendesk's rule too: once a ticket has been seen it cannot become new again.
        (FieldKind::Enum { .. }, Value::Text(name))
            if spec.name == "status" && name.trim().eq_ignore_ascii_case("new") =>
        {
            Err("a ticket cannot be set back to new".into())
        }
        (FieldKind::Enum { .. }, Value::Text(name)) if spec.kind.rank(name).is_some() => Ok(()),
        (FieldKind::Enum { values, .. }, _) => Err(format!("must be one of: {}", values.join(", "))),
        (FieldKind::Id, Value::Text(text)) if !text.trim().is_empty() => Ok(()),
        (FieldKind::Id, Value::Absent) => Ok(()),
        (FieldKind::Id, _) => Err("must be an id, or absent to clear it".into()),
        _ => Err(format!("'{}' cannot be set to this value", spec.name)),
    }
}

fn check_body(violations: &mut Violations, path: &str, body: &str) {
    if body.trim().is_empty() {
        violations.add(format!("{path}.body"), "body is required");
    } else if let Err(error) = template::check(body) {
        violations.add(format!("{path}.body"), error.to_string());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn condition(field: &str, operator: Operator, value: Value) -> Condition {
        Condition::new(field, operator, value)
    }

    fn trigger(all: Vec<Condition>, actions: Vec<Action>) -> Trigger {
        Trigger {
            id: "t".into(),
            name: "Route urgent tickets".into(),
            position: 1,
            active: true,
            conditions: Conditions { all, any: vec![] },
            actions,
        }
    }

    fn tag(tag: &str) -> Action {
        Action::AddTags { tags: vec![tag.into()] }
    }

    fn paths(violations: &[Violation]) -> Vec<&str> {
        violations.iter().map(|violation| violation.field.as_str()).collect()
    }

    #[test]
    fn sound_trigger_passes() {
        let sound = trigger(vec![condition("priority", Operator::Is, Value::text("Urgent"))], vec![tag("hot")]);
        assert_eq!(check_trigger(&sound), vec![]);
    }

    #[test]
    fn empty_trigger_reports_name_conditions_and_actions() {
        let mut empty = trigger(vec![], vec![]);
        empty.name = "  ".into();
        assert_eq!(paths(&check_trigger(&empty)), vec!["name", "conditions", "actions"]);
        empty.name = "x".repeat(201);
        assert!(check_trigger(&empty)[0].description.contains("200"));
    }

    #[test]
    fn condition_problems_point_at_their_part() {
        let bad = trigger(
            vec![
                condition("priority", Operator::Is, Value::text("urgent")),
                condition("prioritee", Operator::Is, Value::text("urgent")),
                condition("subject", Operator::LessThan, Value::text("a")),
                condition("priority", Operator::Is, Value::text("critical")),
                condition("tags", Operator::Includes, Value::tags(Vec::<String>::new())),
                condition("hours_since.created", Operator::GreaterThan, Value::Number(4)),
                condition("status", Operator::Changed, Value::text("open")),
                condition("assignee_id", Operator::Is, Value::text("")),
            ],
            vec![tag("x")],
        );
        assert_eq!(
            paths(&check_trigger(&bad)),
            vec![
                "conditions.all[1].field",
                "conditions.all[2].operator",
                "conditions.all[3].value",
                "conditions.all[4].value",
                "conditions.all[5].field",
                "conditions.all[6].value",
                "conditions.all[7].value",
            ]
        );
    }

    #[test]
    fn action_problems_point_at_their_part() {
        let bad = trigger(
            vec![condition("ticket.id", Operator::Present, Value::Absent)],
            vec![
                Action::SetField { field: "subject".into(), value: Value::text("x") },
                Action::SetField { field: "status".into(), value: Value::text("archived") },
                Action::SetField { field: "status".into(), value: Value::text("new") },
                Action::Assign { assignee_id: " ".into(), team_id: String::new() },
                Action::AddTags { tags: vec!["two words".into()] },
                Action::Escalate { tier: "ceo".into(), reason: String::new() },
                Action::AddInternalNote { body: "{{ticket.nope}}".into() },
                Action::NotifyWebhook { webhook_id: String::new(), body: "ok".into() },
                Action::SetField { field: "escalation_tier".into(), value: Value::text("director") },
            ],
        );
        assert_eq!(
            paths(&check_trigger(&bad)),
            vec![
                "actions[0].field",
                "actions[1].value",
                "actions[2].value",
                "actions[3]",
                "actions[4].tags",
                "actions[5].tier",
                "actions[6].body",
                "actions[7].webhook_id",
                "actions[8].field",
            ]
        );
    }

    #[test]
    fn automations_need_a_clock_and_no_events() {
        let automation = |all: Vec<Condition>| Automation {
            id: "a".into(),
            name: "Close stale".into(),
            position: 1,
            active: true,
            conditions: Conditions { all, any: vec![] },
            actions: vec![Action::SetField { field: "status".into(), value: Value::text("closed") }],
        };
        let timeless = automation(vec![condition("status", Operator::Is, Value::text("solved"))]);
        assert_eq!(paths(&check_automation(&timeless)), vec!["conditions.all"]);
        let backwards = automation(vec![condition("hours_since.solved", Operator::LessThan, Value::Number(96))]);
        assert_eq!(paths(&check_automation(&backwards)), vec!["conditions.all"]);
        let eventful = automation(vec![
            condition("hours_since.solved", Operator::GreaterThan, Value::Number(96)),
            condition("status", Operator::ChangedTo, Value::text("solved")),
            condition("comment.public", Operator::Is, Value::Bool(true)),
        ]);
        assert_eq!(paths(&check_automation(&eventful)), vec!["conditions.all[1].operator", "conditions.all[2].field"]);
    }

    #[test]
    fn macros_need_an_action_or_a_valid_reply() {
        let mut canned =
            Macro { id: "m".into(), name: "Greet".into(), actions: vec![], reply: String::new(), reply_public: true };
        assert_eq!(paths(&check_macro(&canned)), vec!["actions"]);
        canned.reply = "Hi {{requester.first_name".into();
        let violations = check_macro(&canned);
        assert_eq!(paths(&violations), vec!["reply"]);
        assert!(violations[0].description.contains("unclosed"), "{}", violations[0].description);
        canned.reply = "Hi {{requester.first_name}}".into();
        assert_eq!(check_macro(&canned), vec![]);
    }
}
