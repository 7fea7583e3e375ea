//! What a rule may do: actions change the facts directly, and anything the caller must carry out
//! (escalation records, notes, webhooks) comes back as an [`Effect`]. Applying never fails: an action
//! that validation would reject is skipped, so a stale rule cannot break ticket processing.

use serde::{Deserialize, Serialize};

use super::facts::{ESCALATION_TIERS, Facts, FieldKind, Value, field_spec, normalize_tags};
use super::template;

/// One step of a trigger, automation or macro. Serialized as `{"type": "set_field", ...}` so that
/// validation paths such as `actions[0].field` address the stored JSON directly.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Action {
    /// Only fields marked settable in `FIELDS`; `Absent` clears an id field.
    SetField {
        field: String,
        value: Value,
    },
    /// An empty id leaves that side unchanged; a new team with no assignee puts the ticket in that team's queue.
    Assign {
        #[serde(default)]
        assignee_id: String,
        #[serde(default)]
        team_id: String,
    },
    AddTags {
        tags: Vec<String>,
    },
    RemoveTags {
        tags: Vec<String>,
    },
    SetTags {
        tags: Vec<String>,
    },
    /// Raises `escalation_tier`, never lowers it.
    Escalate {
        tier: String,
        #[serde(default)]
        reason: String,
    },
    /// `body` is a template.
    AddInternalNote {
        body: String,
    },
    /// `body` is a template.
    NotifyWebhook {
        webhook_id: String,
        body: String,
    },
}

/// Work the caller must carry out after a run; templates are already rendered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Effect {
    Escalated { tier: String, reason: String },
    InternalNote { body: String },
    Webhook { webhook_id: String, body: String },
}

impl Action {
    /// Applies the action to the facts, returning the effect it asks of the caller, if any.
    pub fn apply(&self, facts: &mut Facts) -> Option<Effect> {
        let before = facts.clone();
        let effect = self.apply_to(facts);
        restart_clocks(&before, facts);
        effect
    }

    fn apply_to(&self, facts: &mut Facts) -> Option<Effect> {
        match self {
            Action::SetField { field, value } => {
                set_field(facts, field, value);
                None
            }
            Action::Assign { assignee_id, team_id } => {
                assign(facts, assignee_id.trim(), team_id.trim());
                None
            }
            Action::AddTags { tags } => {
                let current = facts.tags();
                facts.set(
                    "tags",
                    Value::tags(current.iter().map(String::as_str).chain(tags.iter().map(String::as_str))),
                );
                None
            }
            Action::RemoveTags { tags } => {
                let removed = normalize_tags(tags);
                let kept = facts.tags().into_iter().filter(|tag| !removed.contains(tag));
                facts.set("tags", Value::tags(kept));
                None
            }
            Action::SetTags { tags } => {
                facts.set("tags", Value::tags(tags));
                None
            }
            Action::Escalate { tier, reason } => escalate(facts, tier, reason),
            Action::AddInternalNote { body } => Some(Effect::InternalNote { body: template::render(body, facts) }),
            Action::NotifyWebhook { webhook_id, body } => {
                Some(Effect::Webhook { webhook_id: webhook_id.clone(), body: template::render(body, facts) })
            }
        }
    }
}

/// Applies actions in order, each seeing the facts the previous one left.
pub fn apply_actions(actions: &[Action], facts: &mut Facts) -> Vec<Effect> {
    actions.iter().filter_map(|action| action.apply(facts)).collect()
}

fn set_field(facts: &mut Facts, field: &str, value: &Value) {
    let Some(spec) = field_spec(field).filter(|spec| spec.settable) else {
        return;
    };
    let fits = match (&spec.kind, value) {
        (kind @ FieldKind::Enum { .. }, Value::Text(name)) => kind.rank(name).is_some(),
        (FieldKind::Id | FieldKind::Text, Value::Text(_)) => true,
        (FieldKind::Id, Value::Absent) => true,
        _ => false,
    };
    if fits {
        let value = match value {
            Value::Text(text) => Value::text(text.trim()),
            other => other.clone(),
        };
        facts.set(field, value);
    }
}

fn assign(facts: &mut Facts, assignee_id: &str, team_id: &str) {
    if !team_id.is_empty() {
        let team_changes = facts.get("team_id").as_text() != Some(team_id);
        facts.set("team_id", Value::text(team_id));
        // Re-naming the ticket's current team must not take it away from the agent working on it.
        if assignee_id.is_empty() && team_changes {
            facts.set("assignee_id", Value::Absent);
        }
    }
    if !assignee_id.is_empty() {
        facts.set("assignee_id", Value::text(assignee_id));
    }
}

fn escalate(facts: &mut Facts, tier: &str, reason: &str) -> Option<Effect> {
    let tier = tier.trim().to_lowercase();
    let wanted = ESCALATION_TIERS.iter().position(|known| *known == tier)?;
    let current = facts
        .get("escalation_tier")
        .as_text()
        .and_then(|name| ESCALATION_TIERS.iter().position(|known| *known == name));
    if current.is_some_and(|current| current >= wanted) {
        return None;
    }
    facts.set("escalation_tier", Value::text(&tier));
    Some(Effect::Escalated { tier, reason: reason.to_string() })
}

/// Keeps time facts true to the ticket after a change, so a later automation in the same cycle does
/// not act on a clock the change has just restarted (e.g. close a ticket the moment it is solved).
fn restart_clocks(before: &Facts, facts: &mut Facts) {
    if before.changes_to(facts).is_empty() {
        return;
    }
    facts.set("hours_since.updated", Value::Number(0));
    if before.get("status") != facts.get("status") {
        facts.set("hours_since.status_changed", Value::Number(0));
        if facts.get("status").as_text() == Some("solved") {
            facts.set("hours_since.solved", Value::Number(0));
        }
    }
    if before.get("assignee_id") != facts.get("assignee_id") {
        facts.set("hours_since.assigned", Value::Number(0));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ticket() -> Facts {
        Facts::new()
            .with("status", Value::text("open"))
            .with("assignee_id", Value::text("agent-7"))
            .with("team_id", Value::text("tier-1"))
            .with("tags", Value::tags(["billing"]))
            .with("requester.name", Value::text("Ada Lovelace"))
    }

    fn apply(action: Action) -> (Facts, Option<Effect>) {
        let mut facts = ticket();
        let effect = action.apply(&mut facts);
        (facts, effect)
    }

    fn set_field(field: &str, value: Value) -> Action {
        Action::SetField { field: field.into(), value }
    }

    #[test]
    fn set_field_normalizes_enum_names() {
        let (facts, effect) = apply(set_field("priority", Value::text(" Urgent ")));
        assert_eq!(facts.get("priority"), &Value::text("urgent"));
        assert_eq!(effect, None);
    }

    #[test]
    fn set_field_ignores_read_only_and_bad_values() {
        for action in [
            set_field("subject", Value::text("hijacked")),
            set_field("escalation_tier", Value::text("director")),
            set_field("status", Value::text("archived")),
            set_field("status", Value::Number(3)),
            set_field("nope", Value::text("x")),
        ] {
            assert_eq!(apply(action).0, ticket());
        }
    }

    #[test]
    fn set_field_absent_clears_an_id() {
        let (facts, _) = apply(set_field("assignee_id", Value::Absent));
        assert_eq!(facts.get("assignee_id"), &Value::Absent);
    }

    #[test]
    fn assign_to_new_team_without_agent_goes_to_team_queue() {
        let (facts, _) = apply(Action::Assign { assignee_id: String::new(), team_id: "tier-2".into() });
        assert_eq!(facts.get("team_id"), &Value::text("tier-2"));
        assert_eq!(facts.get("assignee_id"), &Value::Absent);
    }

    #[test]
    fn assign_to_same_team_keeps_agent() {
        let (facts, _) = apply(Action::Assign { assignee_id: String::new(), team_id: "tier-1".into() });
        assert_eq!(facts.get("assignee_id"), &Value::text("agent-7"));
    }

    #[test]
    fn assign_agent_only_keeps_team() {
        let (facts, _) = apply(Action::Assign { assignee_id: "agent-9".into(), team_id: String::new() });
        assert_eq!(facts.get("assignee_id"), &Value::text("agent-9"));
        assert_eq!(facts.get("team_id"), &Value::text("tier-1"));
    }

    #[test]
    fn tag_actions_normalize() {
        let (facts, _) = apply(Action::AddTags { tags: vec![" VIP ".into(), "billing".into(), "".into()] });
        assert_eq!(facts.tags(), vec!["billing", "vip"]);
        let (facts, _) = apply(Action::RemoveTags { tags: vec!["BILLING".into()] });
        assert_eq!(facts.get("tags"), &Value::Absent);
        let (facts, _) = apply(Action::SetTags { tags: vec!["b".into(), "a".into(), "b".into()] });
        assert_eq!(facts.tags(), vec!["a", "b"]);
    }

    #[test]
    fn escalation_only_goes_up() {
        let mut facts = ticket();
        let up = Action::Escalate { tier: "team-lead".into(), reason: "vip".into() };
        assert_eq!(up.apply(&mut facts), Some(Effect::Escalated { tier: "team-lead".into(), reason: "vip".into() }));
        let down = Action::Escalate { tier: "senior-agent".into(), reason: "x".into() };
        assert_eq!(down.apply(&mut facts), None);
        assert_eq!(up.apply(&mut facts), None);
        assert_eq!(facts.get("escalation_tier"), &Value::text("team-lead"));
        let unknown = Action::Escalate { tier: "ceo".into(), reason: "x".into() };
        assert_eq!(unknown.apply(&mut facts), None);
    }

    #[test]
    fn notes_and_webhooks_render_templates() {
        let (_, note) = apply(Action::AddInternalNote { body: "Ask {{requester.first_name}}".into() });
        assert_eq!(note, Some(Effect::InternalNote { body: "Ask Ada".into() }));
        let (_, hook) = apply(Action::NotifyWebhook { webhook_id: "slack".into(), body: "{{ticket.status}}".into() });
        assert_eq!(hook, Some(Effect::Webhook { webhook_id: "slack".into(), body: "open".into() }));
    }

    #[test]
    fn status_change_restarts_clocks() {
        let mut facts = ticket().with("hours_since.solved", Value::Number(300));
        set_field("status", Value::text("solved")).apply(&mut facts);
        assert_eq!(facts.get("hours_since.solved"), &Value::Number(0));
        assert_eq!(facts.get("hours_since.status_changed"), &Value::Number(0));
        assert_eq!(facts.get("hours_since.updated"), &Value::Number(0));
        assert_eq!(facts.get("hours_since.assigned"), &Value::Absent);
    }

    #[test]
    fn actions_serialize_with_type_tag() {
        let action = Action::AddTags { tags: vec!["vip".into()] };
        assert_eq!(serde_json::to_string(&action).unwrap(), r#"{"type":"add_tags","tags":["vip"]}"#);
        let parsed: Action = serde_json::from_str(r#"{"type":"assign","team_id":"tier-2"}"#).unwrap();
        assert_eq!(parsed, Action::Assign { assignee_id: String::new(), team_id: "tier-2".into() });
    }
}
