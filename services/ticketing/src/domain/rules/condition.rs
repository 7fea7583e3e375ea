//! Conditions: Zendesk's "meet all / meet any" lists, what each operator means for each kind of field,
//! and which operators a field accepts. Evaluation is total: unknown or missing fields read as `Absent`.

use std::cmp::Ordering;

use serde::{Deserialize, Serialize};

use super::facts::{Facts, FieldKind, FieldScope, FieldSpec, Value, field_spec};

/// All of `all` must hold, and when `any` is non-empty at least one of it must hold.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub struct Conditions {
    #[serde(default)]
    pub all: Vec<Condition>,
    #[serde(default)]
    pub any: Vec<Condition>,
}

/// Which of the two lists a condition sits in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConditionList {
    All,
    Any,
}

impl ConditionList {
    pub fn name(self) -> &'static str {
        match self {
            ConditionList::All => "all",
            ConditionList::Any => "any",
        }
    }
}

/// How one condition judged the facts, for explaining a dry run to an admin.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub struct ConditionResult {
    pub list: ConditionList,
    pub index: usize,
    pub holds: bool,
}

impl Conditions {
    pub fn is_empty(&self) -> bool {
        self.all.is_empty() && self.any.is_empty()
    }

    /// Every condition with its list and index, in the order admins see them.
    pub fn iter(&self) -> impl Iterator<Item = (ConditionList, usize, &Condition)> {
        let all = self.all.iter().enumerate().map(|(index, condition)| (ConditionList::All, index, condition));
        let any = self.any.iter().enumerate().map(|(index, condition)| (ConditionList::Any, index, condition));
        all.chain(any)
    }

    /// `before` is the ticket before the event (`None` when the event created it).
    pub fn hold(&self, before: Option<&Facts>, facts: &Facts) -> bool {
        self.all.iter().all(|condition| condition.holds(before, facts))
            && (self.any.is_empty() || self.any.iter().any(|condition| condition.holds(before, facts)))
    }

    /// Judges every condition, without short-circuiting, so an admin sees each result.
    pub fn explain(&self, before: Option<&Facts>, facts: &Facts) -> Vec<ConditionResult> {
        self.iter()
            .map(|(list, index, condition)| ConditionResult { list, index, holds: condition.holds(before, facts) })
            .collect()
    }
}

/// One test of one field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub struct Condition {
    pub field: String,
    pub operator: Operator,
    /// Ignored by operators that take no value (`present`, `absent`, `changed`, `not_changed`).
    #[serde(default)]
    pub value: Value,
}

/// How a condition compares a field with its value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Operator {
    Is,
    IsNot,
    /// Numbers and ordered enums only.
    LessThan,
    GreaterThan,
    /// Tags: at least one of the given tags is present.
    Includes,
    /// Tags: none of the given tags is present.
    NotIncludes,
    /// Text: case-insensitive substring.
    Contains,
    NotContains,
    Present,
    Absent,
    Changed,
    ChangedTo,
    ChangedFrom,
    NotChanged,
}

impl Operator {
    pub fn takes_value(self) -> bool {
        !matches!(self, Operator::Present | Operator::Absent | Operator::Changed | Operator::NotChanged)
    }

    /// Operators that compare with the ticket before the event; meaningless where there is no event.
    pub fn judges_change(self) -> bool {
        matches!(self, Operator::Changed | Operator::ChangedTo | Operator::ChangedFrom | Operator::NotChanged)
    }

    /// Whether this operator means something for the field.
    pub fn applies_to(self, spec: &FieldSpec) -> bool {
        let kind = spec.kind;
        match self {
            Operator::Present | Operator::Absent => true,
            Operator::Is | Operator::IsNot => kind != FieldKind::Tags,
            Operator::LessThan | Operator::GreaterThan => kind.is_ordered(),
            Operator::Includes | Operator::NotIncludes => kind == FieldKind::Tags,
            Operator::Contains | Operator::NotContains => kind == FieldKind::Text,
            // Event and time facts describe one moment, so "changed" has nothing to compare them with.
            Operator::Changed | Operator::NotChanged => spec.scope == FieldScope::Ticket,
            Operator::ChangedTo | Operator::ChangedFrom => {
                spec.scope == FieldScope::Ticket && !matches!(kind, FieldKind::Tags | FieldKind::Bool)
            }
        }
    }
}

impl Condition {
    pub fn new(field: impl Into<String>, operator: Operator, value: Value) -> Self {
        Self { field: field.into(), operator, value }
    }

    /// Whether the condition holds; `before` is `None` when the event created the ticket, and then
    /// every present field counts as changed.
    pub fn holds(&self, before: Option<&Facts>, facts: &Facts) -> bool {
        let kind = field_spec(&self.field).map(|spec| &spec.kind);
        let current = facts.get(&self.field);
        let previous = before.map(|before| before.get(&self.field));
        let changed = match previous {
            None => !current.is_blank(),
            Some(previous) => !same(kind, previous, current),
        };
        match self.operator {
            Operator::Is => same(kind, current, &self.value),
            Operator::IsNot => !same(kind, current, &self.value),
            Operator::LessThan => compare(kind, current, &self.value) == Some(Ordering::Less),
            Operator::GreaterThan => compare(kind, current, &self.value) == Some(Ordering::Greater),
            Operator::Includes => includes(current, &self.value),
            Operator::NotIncludes => !includes(current, &self.value),
            Operator::Contains => contains(current, &self.value),
            Operator::NotContains => !contains(current, &self.value),
            Operator::Present => !current.is_blank(),
            Operator::Absent => current.is_blank(),
            Operator::Changed => changed,
            Operator::ChangedTo => changed && same(kind, current, &self.value),
            Operator::ChangedFrom => changed && previous.is_some_and(|previous| same(kind, previous, &self.value)),
            Operator::NotChanged => !changed,
        }
    }
}

/// Equality as support staff mean it: enum names and free text ignore case, ids and numbers are exact,
/// tags compare as sets, and blank equals absent.
fn same(kind: Option<&FieldKind>, left: &Value, right: &Value) -> bool {
    match (left, right) {
        (left, right) if left.is_blank() || right.is_blank() => left.is_blank() && right.is_blank(),
        (Value::Text(left), Value::Text(right)) => match kind {
            Some(FieldKind::Enum { .. }) => left.trim().eq_ignore_ascii_case(right.trim()),
            Some(FieldKind::Text) => left.to_lowercase() == right.to_lowercase(),
            _ => left == right,
        },
        (Value::Tags(_), Value::Tags(_)) => left.tag_list() == right.tag_list(),
        (left, right) => left == right,
    }
}

fn compare(kind: Option<&FieldKind>, left: &Value, right: &Value) -> Option<Ordering> {
    match (kind?, left, right) {
        (FieldKind::Number, Value::Number(left), Value::Number(right)) => Some(left.cmp(right)),
        (kind @ FieldKind::Enum { ordered: true, .. }, Value::Text(left), Value::Text(right)) => {
            Some(kind.rank(left)?.cmp(&kind.rank(right)?))
        }
        _ => None,
    }
}

fn includes(current: &Value, wanted: &Value) -> bool {
    let present = current.tag_list();
    wanted.tag_list().iter().any(|tag| present.contains(tag))
}

fn contains(current: &Value, needle: &Value) -> bool {
    match (current, needle) {
        (Value::Text(haystack), Value::Text(needle)) if !needle.is_empty() => {
            haystack.to_lowercase().contains(&needle.to_lowercase())
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ticket() -> Facts {
        Facts::new()
            .with("status", Value::text("pending"))
            .with("priority", Value::text("high"))
            .with("subject", Value::text("Refund for Order 1234"))
            .with("assignee_id", Value::text("Agent-7"))
            .with("tags", Value::tags(["billing", "vip"]))
            .with("reopens", Value::Number(2))
    }

    fn holds(field: &str, operator: Operator, value: Value) -> bool {
        Condition::new(field, operator, value).holds(Some(&ticket()), &ticket())
    }

    #[test]
    fn enum_is_ignores_case() {
        assert!(holds("status", Operator::Is, Value::text("PENDING")));
        assert!(holds("status", Operator::IsNot, Value::text("open")));
    }

    #[test]
    fn ids_compare_exactly() {
        assert!(holds("assignee_id", Operator::Is, Value::text("Agent-7")));
        assert!(!holds("assignee_id", Operator::Is, Value::text("agent-7")));
    }

    #[test]
    fn ordered_enums_and_numbers_compare() {
        assert!(holds("priority", Operator::GreaterThan, Value::text("normal")));
        assert!(!holds("priority", Operator::GreaterThan, Value::text("urgent")));
        assert!(holds("status", Operator::LessThan, Value::text("solved")));
        assert!(holds("reopens", Operator::GreaterThan, Value::Number(1)));
        assert!(!holds("subject", Operator::LessThan, Value::text("z")));
        assert!(!holds("priority", Operator::LessThan, Value::text("bogus")));
    }

    #[test]
    fn tags_include_any_and_exclude_all() {
        assert!(holds("tags", Operator::Includes, Value::tags(["spam", "VIP"])));
        assert!(!holds("tags", Operator::Includes, Value::tags(["spam"])));
        assert!(holds("tags", Operator::NotIncludes, Value::tags(["spam", "legal"])));
        assert!(!holds("tags", Operator::NotIncludes, Value::tags(["spam", "billing"])));
    }

    #[test]
    fn contains_is_case_insensitive_substring() {
        assert!(holds("subject", Operator::Contains, Value::text("refund")));
        assert!(holds("subject", Operator::NotContains, Value::text("invoice")));
    }

    #[test]
    fn missing_fields_never_panic() {
        for operator in [Operator::Is, Operator::LessThan, Operator::Includes, Operator::Contains, Operator::ChangedTo]
        {
            assert!(!holds("team_id", operator, Value::text("x")));
            assert!(!holds("no.such.field", operator, Value::Number(3)));
        }
        assert!(holds("team_id", Operator::Absent, Value::Absent));
        assert!(holds("team_id", Operator::IsNot, Value::text("tier-2")));
    }

    #[test]
    fn changed_compares_with_before() {
        let before = ticket();
        let after = ticket().with("status", Value::text("solved"));
        let check = |operator, value| Condition::new("status", operator, value).holds(Some(&before), &after);
        assert!(check(Operator::Changed, Value::Absent));
        assert!(check(Operator::ChangedTo, Value::text("solved")));
        assert!(check(Operator::ChangedFrom, Value::text("pending")));
        assert!(!check(Operator::ChangedFrom, Value::text("open")));
        assert!(!check(Operator::NotChanged, Value::Absent));
        let priority = Condition::new("priority", Operator::NotChanged, Value::Absent);
        assert!(priority.holds(Some(&before), &after));
    }

    #[test]
    fn on_creation_everything_present_counts_as_changed() {
        let facts = ticket();
        assert!(Condition::new("priority", Operator::Changed, Value::Absent).holds(None, &facts));
        assert!(Condition::new("priority", Operator::ChangedTo, Value::text("high")).holds(None, &facts));
        assert!(!Condition::new("priority", Operator::ChangedFrom, Value::text("low")).holds(None, &facts));
        assert!(!Condition::new("team_id", Operator::Changed, Value::Absent).holds(None, &facts));
    }

    #[test]
    fn all_and_any_combine() {
        let conditions = Conditions {
            all: vec![Condition::new("status", Operator::Is, Value::text("pending"))],
            any: vec![
                Condition::new("priority", Operator::Is, Value::text("urgent")),
                Condition::new("tags", Operator::Includes, Value::tags(["vip"])),
            ],
        };
        assert!(conditions.hold(None, &ticket()));
        let results = conditions.explain(None, &ticket());
        assert_eq!(results.iter().map(|result| result.holds).collect::<Vec<_>>(), vec![true, false, true]);
        assert_eq!(results[2], ConditionResult { list: ConditionList::Any, index: 1, holds: true });
    }

    #[test]
    fn operator_fit_by_kind() {
        let spec = |name| field_spec(name).unwrap();
        assert!(Operator::LessThan.applies_to(spec("priority")));
        assert!(!Operator::LessThan.applies_to(spec("type")));
        assert!(!Operator::LessThan.applies_to(spec("subject")));
        assert!(Operator::Includes.applies_to(spec("tags")));
        assert!(!Operator::Includes.applies_to(spec("subject")));
        assert!(!Operator::Is.applies_to(spec("tags")));
        assert!(!Operator::Changed.applies_to(spec("comment.public")));
        assert!(!Operator::ChangedTo.applies_to(spec("hours_since.created")));
    }

    #[test]
    fn conditions_serialize_snake_case() {
        let condition = Condition::new("status", Operator::ChangedTo, Value::text("solved"));
        let json = serde_json::to_string(&condition).unwrap();
        assert_eq!(json, r#"{"field":"status","operator":"changed_to","value":{"text":"solved"}}"#);
        let conditions: Conditions = serde_json::from_str(r#"{"all":[]}"#).unwrap();
        assert!(conditions.is_empty());
    }
}
