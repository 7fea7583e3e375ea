//! A stored business rule — trigger, automation or macro — as administrators keep it, and its
//! checks. What each kind does lives in [`super::rules`].
use frontline_shared::{ApiError, ApiResult, error::FieldViolation};

use super::rules::{Action, Automation, Conditions, Macro, Trigger, check_automation, check_macro, check_trigger};

numbered_enum!(RuleKind { Trigger = 1, Automation = 2, Macro = 3 });

impl RuleKind {
    pub fn name(self) -> &'static str {
        match self {
            RuleKind::Trigger => "trigger",
            RuleKind::Automation => "automation",
            RuleKind::Macro => "macro",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct BusinessRule {
    pub id: String,
    pub kind: RuleKind,
    pub name: String,
    pub position: i64,
    pub active: bool,
    pub conditions: Conditions,
    pub actions: Vec<Action>,
    pub reply: String,
    pub reply_public: bool,
    pub revision: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

impl BusinessRule {
    pub fn as_trigger(&self) -> Trigger {
        Trigger {
            id: self.id.clone(),
            name: self.name.clone(),
            position: self.position,
            active: self.active,
            conditions: self.conditions.clone(),
            actions: self.actions.clone(),
        }
    }

    pub fn as_automation(&self) -> Automation {
        Automation {
            id: self.id.clone(),
            name: self.name.clone(),
            position: self.position,
            active: self.active,
            conditions: self.conditions.clone(),
            actions: self.actions.clone(),
        }
    }

    pub fn as_macro(&self) -> Macro {
        Macro {
            id: self.id.clone(),
            name: self.name.clone(),
            actions: self.actions.clone(),
            reply: self.reply.clone(),
            reply_public: self.reply_public,
        }
    }

    /// The rules engine's checks for this kind, with paths under `rule.`.
    pub fn check(&self) -> ApiResult<()> {
        let violations = match self.kind {
            RuleKind::Trigger => check_trigger(&self.as_trigger()),
            RuleKind::Automation => check_automation(&self.as_automation()),
            RuleKind::Macro => check_macro(&self.as_macro()),
        };
        if violations.is_empty() {
            return Ok(());
        }
        Err(ApiError::InvalidArgument(
            violations.into_iter().map(|v| FieldViolation::new(format!("rule.{}", v.field), v.description)).collect(),
        ))
    }

    pub fn etag(&self) -> String {
        self.revision.to_string()
    }
}
