//! Between the wire and the rules engine's types for triggers, automations and macros.
use frontline_proto::ticketing::v1 as pb;
use frontline_shared::{ApiResult, database::time::to_timestamp, error::Violations};

use super::convert::enum_field;
use crate::domain::{
    business_rule::{BusinessRule, RuleKind},
    rules::{Action, Condition, ConditionResult, Conditions, Effect, Operator, Value, facts::ESCALATION_TIERS},
};

const OPERATORS: [(pb::RuleOperator, Operator); 14] = [
    (pb::RuleOperator::Is, Operator::Is),
    (pb::RuleOperator::IsNot, Operator::IsNot),
    (pb::RuleOperator::LessThan, Operator::LessThan),
    (pb::RuleOperator::GreaterThan, Operator::GreaterThan),
    (pb::RuleOperator::Includes, Operator::Includes),
    (pb::RuleOperator::NotIncludes, Operator::NotIncludes),
    (pb::RuleOperator::Contains, Operator::Contains),
    (pb::RuleOperator::NotContains, Operator::NotContains),
    (pb::RuleOperator::Present, Operator::Present),
    (pb::RuleOperator::Absent, Operator::Absent),
    (pb::RuleOperator::Changed, Operator::Changed),
    (pb::RuleOperator::ChangedTo, Operator::ChangedTo),
    (pb::RuleOperator::ChangedFrom, Operator::ChangedFrom),
    (pb::RuleOperator::NotChanged, Operator::NotChanged),
];

fn value(given: Option<pb::RuleValue>) -> Value {
    use pb::rule_value::Kind;
    match given.and_then(|v| v.kind) {
        None => Value::Absent,
        Some(Kind::Text(text)) => Value::Text(text),
        Some(Kind::Number(number)) => Value::Number(number),
        Some(Kind::Tags(tags)) => Value::Tags(tags.tags),
        Some(Kind::Flag(flag)) => Value::Bool(flag),
    }
}

fn wire_value(value: &Value) -> Option<pb::RuleValue> {
    use pb::rule_value::Kind;
    let kind = match value {
        Value::Absent => return None,
        Value::Text(text) => Kind::Text(text.clone()),
        Value::Number(number) => Kind::Number(*number),
        Value::Tags(tags) => Kind::Tags(pb::RuleTags { tags: tags.clone() }),
        Value::Bool(flag) => Kind::Flag(*flag),
    };
    Some(pb::RuleValue { kind: Some(kind) })
}

fn conditions(violations: &mut Violations, given: Option<pb::RuleConditions>) -> Conditions {
    let given = given.unwrap_or_default();
    let mut list = |name: &str, conditions: Vec<pb::RuleCondition>| -> Vec<Condition> {
        conditions
            .into_iter()
            .enumerate()
            .filter_map(|(index, condition)| {
                let operator = OPERATORS.iter().find(|(wire, _)| *wire as i32 == condition.operator).map(|(_, op)| *op);
                if operator.is_none() {
                    violations.add(
                        format!("rule.conditions.{name}[{index}].operator"),
                        format!("{} is not a known operator", condition.operator),
                    );
                }
                Some(Condition {
                    field: condition.field.trim().to_string(),
                    operator: operator?,
                    value: value(condition.value),
                })
            })
            .collect()
    };
    let all = list("all", given.all);
    let any = list("any", given.any);
    Conditions { all, any }
}

fn tier_name(violations: &mut Violations, field: &str, number: i32) -> String {
    let known = usize::try_from(number - 1).ok().and_then(|index| ESCALATION_TIERS.get(index));
    match known {
        Some(name) => name.to_string(),
        None => {
            violations.add(field, "must be a tier from SENIOR_AGENT to DIRECTOR");
            String::new()
        }
    }
}

fn actions(violations: &mut Violations, given: Vec<pb::RuleAction>) -> Vec<Action> {
    use pb::rule_action::Action as Wire;
    given
        .into_iter()
        .enumerate()
        .filter_map(|(index, action)| {
            Some(match action.action {
                None => {
                    violations.add(format!("rule.actions[{index}]"), "names no action");
                    return None;
                }
                Some(Wire::SetField(set)) => {
                    Action::SetField { field: set.field.trim().to_string(), value: value(set.value) }
                }
                Some(Wire::Assign(assign)) => {
                    Action::Assign { assignee_id: assign.assignee_id, team_id: assign.team_id }
                }
                Some(Wire::AddTags(tags)) => Action::AddTags { tags: tags.tags },
                Some(Wire::RemoveTags(tags)) => Action::RemoveTags { tags: tags.tags },
                Some(Wire::SetTags(tags)) => Action::SetTags { tags: tags.tags },
                Some(Wire::Escalate(escalate)) => Action::Escalate {
                    tier: tier_name(violations, &format!("rule.actions[{index}].escalate.tier"), escalate.tier),
                    reason: escalate.reason,
                },
                Some(Wire::AddInternalNote(note)) => Action::AddInternalNote { body: note.body },
                Some(Wire::NotifyWebhook(hook)) => {
                    Action::NotifyWebhook { webhook_id: hook.webhook_id, body: hook.body }
                }
            })
        })
        .collect()
}

/// The caller's rule (id, position default, revision and times are the server's).
pub fn rule_fields(rule: pb::BusinessRule) -> ApiResult<BusinessRule> {
    let mut violations = Violations::new();
    let kind = enum_field(&mut violations, "rule.kind", rule.kind, RuleKind::from_number);
    let conditions = conditions(&mut violations, rule.conditions);
    let actions = actions(&mut violations, rule.actions);
    violations.into_result()?;
    Ok(BusinessRule {
        id: rule.id,
        kind: kind.unwrap_or(RuleKind::Trigger),
        name: rule.name.trim().to_string(),
        position: i64::from(rule.position),
        active: rule.active,
        conditions,
        actions,
        reply: rule.reply,
        reply_public: rule.reply_public,
        revision: 0,
        created_at: 0,
        updated_at: 0,
    })
}

pub fn rule(rule: &BusinessRule) -> pb::BusinessRule {
    use pb::rule_action::Action as Wire;
    let wire_condition = |condition: &Condition| pb::RuleCondition {
        field: condition.field.clone(),
        operator: OPERATORS.iter().find(|(_, op)| *op == condition.operator).map_or(0, |(wire, _)| *wire as i32),
        value: wire_value(&condition.value),
    };
    let tier_number = |name: &str| ESCALATION_TIERS.iter().position(|t| *t == name).map_or(0, |i| i as i32 + 1);
    pb::BusinessRule {
        id: rule.id.clone(),
        kind: rule.kind.number() as i32,
        name: rule.name.clone(),
        position: rule.position as i32,
        active: rule.active,
        conditions: Some(pb::RuleConditions {
            all: rule.conditions.all.iter().map(wire_condition).collect(),
            any: rule.conditions.any.iter().map(wire_condition).collect(),
        }),
        actions: rule
            .actions
            .iter()
            .map(|action| pb::RuleAction {
                action: Some(match action {
                    Action::SetField { field, value } => {
                        Wire::SetField(pb::SetFieldAction { field: field.clone(), value: wire_value(value) })
                    }
                    Action::Assign { assignee_id, team_id } => {
                        Wire::Assign(pb::AssignAction { assignee_id: assignee_id.clone(), team_id: team_id.clone() })
                    }
                    Action::AddTags { tags } => Wire::AddTags(pb::RuleTags { tags: tags.clone() }),
                    Action::RemoveTags { tags } => Wire::RemoveTags(pb::RuleTags { tags: tags.clone() }),
                    Action::SetTags { tags } => Wire::SetTags(pb::RuleTags { tags: tags.clone() }),
                    Action::Escalate { tier, reason } => {
                        Wire::Escalate(pb::EscalateAction { tier: tier_number(tier), reason: reason.clone() })
                    }
                    Action::AddInternalNote { body } => {
                        Wire::AddInternalNote(pb::InternalNoteAction { body: body.clone() })
                    }
                    Action::NotifyWebhook { webhook_id, body } => {
                        Wire::NotifyWebhook(pb::WebhookAction { webhook_id: webhook_id.clone(), body: body.clone() })
                    }
                }),
            })
            .collect(),
        reply: rule.reply.clone(),
        reply_public: rule.reply_public,
        etag: rule.etag(),
        created_at: Some(to_timestamp(rule.created_at)),
        updated_at: Some(to_timestamp(rule.updated_at)),
    }
}

pub fn effect(effect: &Effect) -> pb::RuleEffect {
    match effect {
        Effect::Escalated { tier, reason } => {
            pb::RuleEffect { kind: "escalate".into(), target: tier.clone(), text: reason.clone() }
        }
        Effect::InternalNote { body } => {
            pb::RuleEffect { kind: "internal_note".into(), target: String::new(), text: body.clone() }
        }
        Effect::Webhook { webhook_id, body } => {
            pb::RuleEffect { kind: "webhook".into(), target: webhook_id.clone(), text: body.clone() }
        }
    }
}

pub fn condition_result(result: &ConditionResult) -> pb::ConditionResult {
    pb::ConditionResult { list: result.list.name().to_string(), index: result.index as i32, holds: result.holds }
}
