//! Zendesk-style business rules as pure logic: the caller loads tickets and rules, hands them in as
//! values, and carries out the returned [`Effect`]s; nothing here touches storage, clocks or the network.
//!
//! - [`facts`]: the ticket as rules see it, and the table of fields rules may name.
//! - [`condition`]: "meet all / meet any" conditions and how each operator judges a field.
//! - [`action`]: what a rule may do to a ticket, and the effects the caller must carry out.
//! - [`engine`]: event-driven triggers, run in loop-safe passes, plus an explaining dry run.
//! - [`automation`]: time-based automations, run by the caller on a clock.
//! - [`template`]: `{{placeholder}}` text used by macro replies, notes and webhook bodies.
//! - [`macros`]: agent-applied macros and their preview.
//! - [`validate`]: save-time checks that return caller-facing paths such as `conditions.all[1].value`.

pub mod action;
pub mod automation;
pub mod condition;
pub mod engine;
pub mod facts;
pub mod macros;
pub mod template;
pub mod validate;

#[cfg(test)]
mod tests;

pub use action::{Action, Effect, apply_actions};
pub use automation::{Automation, AutomationRun, AutomationsRun, run_automation, run_automations};
pub use condition::{Condition, ConditionList, ConditionResult, Conditions, Operator};
pub use engine::{DryRun, Fired, Trigger, TriggerRun, dry_run, run_triggers};
pub use facts::{FIELDS, Facts, FieldChange, FieldKind, FieldScope, FieldSpec, Value, field_spec};
pub use macros::{Macro, MacroPreview, preview};
pub use template::TemplateError;
pub use validate::{Violation, check_automation, check_macro, check_trigger};
