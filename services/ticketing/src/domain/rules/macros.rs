//! Macros: canned actions plus a reply an agent applies by hand, and the preview the agent sees before
//! submitting. The reply is rendered after the actions, so `{{ticket.status}}` shows the new status.

use serde::{Deserialize, Serialize};

use super::action::{Action, Effect, apply_actions};
use super::facts::{Facts, FieldChange};
use super::template;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub struct Macro {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub actions: Vec<Action>,
    /// A template; empty means the macro adds no reply.
    #[serde(default)]
    pub reply: String,
    /// Public replies reach the requester; private ones are internal notes.
    #[serde(default)]
    pub reply_public: bool,
}

/// The ticket as it would be if the agent submitted the macro now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub struct MacroPreview {
    pub facts_after: Facts,
    pub changed_fields: Vec<String>,
    pub changes: Vec<FieldChange>,
    /// Rendered; empty when the macro has no reply.
    pub reply: String,
    pub reply_public: bool,
    pub effects: Vec<Effect>,
}

/// Applies the macro to a copy of the facts; the caller decides whether to submit the result.
pub fn preview(macro_: &Macro, facts: &Facts) -> MacroPreview {
    let mut facts_after = facts.clone();
    let effects = apply_actions(&macro_.actions, &mut facts_after);
    let changes = facts.changes_to(&facts_after);
    let changed_fields = changes.iter().map(|change| change.field.clone()).collect();
    let reply = template::render(&macro_.reply, &facts_after);
    MacroPreview { facts_after, changed_fields, changes, reply, reply_public: macro_.reply_public, effects }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::rules::facts::Value;

    #[test]
    fn reply_sees_the_macro_changes() {
        let close_out = Macro {
            id: "close-out".into(),
            name: "Solve with thanks".into(),
            actions: vec![Action::SetField { field: "status".into(), value: Value::text("solved") }],
            reply: "Marked {{ticket.status}}.".into(),
            reply_public: true,
        };
        let facts = Facts::new().with("status", Value::text("open"));
        let shown = preview(&close_out, &facts);
        assert_eq!(shown.reply, "Marked solved.");
        assert_eq!(shown.changed_fields, vec!["status"]);
        assert!(shown.reply_public);
        assert_eq!(facts.get("status"), &Value::text("open"), "preview must not touch the input");
    }

    #[test]
    fn reply_only_macro_changes_nothing() {
        let canned = Macro {
            id: "m".into(),
            name: "Canned".into(),
            actions: vec![],
            reply: "Thanks!".into(),
            reply_public: false,
        };
        let shown = preview(&canned, &Facts::new());
        assert!(shown.changes.is_empty() && shown.effects.is_empty());
        assert_eq!(shown.reply, "Thanks!");
    }
}
