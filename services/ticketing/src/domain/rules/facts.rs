//! The ticket as rules see it: a flat map of named values, and the one table (`FIELDS`) of fields that
//! conditions and actions may name, with their kinds, allowed enum names and whether actions may set them.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde::{Deserialize, Serialize};

/// One fact's value. Enum fields hold `Text` of their lower-case name.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Value {
    Text(String),
    Number(i64),
    Tags(Vec<String>),
    Bool(bool),
    #[default]
    Absent,
}

impl Value {
    pub fn text(text: impl Into<String>) -> Self {
        Value::Text(text.into())
    }

    /// Tags normalized the way tickets store them: trimmed, lower-case, deduplicated, sorted.
    pub fn tags<I, S>(tags: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        Value::Tags(normalize_tags(tags))
    }

    /// Empty text and an empty tag list say nothing more than a missing fact, so rules treat them alike.
    pub fn is_blank(&self) -> bool {
        match self {
            Value::Absent => true,
            Value::Text(text) => text.is_empty(),
            Value::Tags(tags) => tags.iter().all(|tag| tag.trim().is_empty()),
            Value::Number(_) | Value::Bool(_) => false,
        }
    }

    pub fn as_text(&self) -> Option<&str> {
        match self {
            Value::Text(text) => Some(text),
            _ => None,
        }
    }

    pub fn as_number(&self) -> Option<i64> {
        match self {
            Value::Number(number) => Some(*number),
            _ => None,
        }
    }

    /// The tags this value names; text is read as whitespace-separated tags, as agents type them.
    pub fn tag_list(&self) -> Vec<String> {
        match self {
            Value::Tags(tags) => normalize_tags(tags),
            Value::Text(text) => normalize_tags(text.split_whitespace()),
            _ => Vec::new(),
        }
    }

    /// One spelling per meaning, so that stored facts compare with plain equality.
    fn canonical(self, kind: Option<&FieldKind>) -> Value {
        match self {
            value if value.is_blank() => Value::Absent,
            Value::Tags(tags) => Value::Tags(normalize_tags(tags)),
            Value::Text(text) if matches!(kind, Some(FieldKind::Enum { .. })) => Value::Text(text.to_lowercase()),
            value => value,
        }
    }
}

impl fmt::Display for Value {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Text(text) => formatter.write_str(text),
            Value::Number(number) => write!(formatter, "{number}"),
            Value::Tags(tags) => formatter.write_str(&tags.join(" ")),
            Value::Bool(flag) => write!(formatter, "{flag}"),
            Value::Absent => Ok(()),
        }
    }
}

/// Trimmed and lower-cased; empty means "not a tag".
pub fn normalize_tag(tag: &str) -> String {
    tag.trim().to_lowercase()
}

pub fn normalize_tags<I, S>(tags: I) -> Vec<String>
where
    I: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    let unique: BTreeSet<String> =
        tags.into_iter().map(|tag| normalize_tag(tag.as_ref())).filter(|tag| !tag.is_empty()).collect();
    unique.into_iter().collect()
}

/// A tag is one word: agents search and filter by whole tags.
pub fn is_valid_tag(tag: &str) -> bool {
    let tag = tag.trim();
    !tag.is_empty() && !tag.chars().any(char::is_whitespace)
}

/// One field whose value differs between two versions of the facts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub struct FieldChange {
    pub field: String,
    pub before: Value,
    pub after: Value,
}

/// The ticket as rules see it. Values are kept canonical (see [`Facts::set`]), so equality means "same ticket".
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(from = "BTreeMap<String, Value>", into = "BTreeMap<String, Value>")]
pub struct Facts(BTreeMap<String, Value>);

const ABSENT: &Value = &Value::Absent;

impl Facts {
    pub fn new() -> Self {
        Self::default()
    }

    /// A missing fact reads as `Absent`, so rules never fail on tickets that lack a field.
    pub fn get(&self, field: &str) -> &Value {
        self.0.get(field).unwrap_or(ABSENT)
    }

    /// Stores the canonical form: blanks are removed, tags normalized, enum names lower-cased.
    pub fn set(&mut self, field: impl Into<String>, value: Value) {
        let field = field.into();
        match value.canonical(field_spec(&field).map(|spec| &spec.kind)) {
            Value::Absent => {
                self.0.remove(&field);
            }
            value => {
                self.0.insert(field, value);
            }
        }
    }

    pub fn with(mut self, field: impl Into<String>, value: Value) -> Self {
        self.set(field, value);
        self
    }

    pub fn fields(&self) -> impl Iterator<Item = (&str, &Value)> {
        self.0.iter().map(|(field, value)| (field.as_str(), value))
    }

    pub fn tags(&self) -> Vec<String> {
        self.get("tags").tag_list()
    }

    /// Fields whose value differs in `later`, in field-name order. Time facts are left out: they are
    /// derived from timestamps the caller keeps, so reporting them would only be noise.
    pub fn changes_to(&self, later: &Facts) -> Vec<FieldChange> {
        let names: BTreeSet<&String> = self.0.keys().chain(later.0.keys()).collect();
        names
            .into_iter()
            .filter(|name| field_spec(name).is_none_or(|spec| spec.scope != FieldScope::Time))
            .filter(|name| self.get(name) != later.get(name))
            .map(|name| FieldChange {
                field: name.clone(),
                before: self.get(name).clone(),
                after: later.get(name).clone(),
            })
            .collect()
    }
}

impl From<BTreeMap<String, Value>> for Facts {
    fn from(map: BTreeMap<String, Value>) -> Self {
        map.into_iter().collect()
    }
}

impl From<Facts> for BTreeMap<String, Value> {
    fn from(facts: Facts) -> Self {
        facts.0
    }
}

impl<K: Into<String>> FromIterator<(K, Value)> for Facts {
    fn from_iter<I: IntoIterator<Item = (K, Value)>>(pairs: I) -> Self {
        let mut facts = Facts::new();
        for (field, value) in pairs {
            facts.set(field, value);
        }
        facts
    }
}

/// What sort of value a field holds, which decides the operators and values rules may use with it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldKind {
    /// A closed list of lower-case names; `ordered` fields also compare with less/greater than.
    Enum {
        values: &'static [&'static str],
        ordered: bool,
    },
    /// Free text, compared case-insensitively.
    Text,
    /// An identifier, compared exactly.
    Id,
    Number,
    Tags,
    Bool,
}

impl FieldKind {
    /// Position of an enum name in its list, ignoring case; `None` for unknown names or non-enums.
    pub fn rank(&self, name: &str) -> Option<usize> {
        match self {
            FieldKind::Enum { values, .. } => values.iter().position(|known| known.eq_ignore_ascii_case(name.trim())),
            _ => None,
        }
    }

    pub fn is_ordered(&self) -> bool {
        matches!(self, FieldKind::Number | FieldKind::Enum { ordered: true, .. })
    }
}

/// Where a fact comes from, which decides which kind of rule may look at it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldScope {
    /// Stored on the ticket (or its requester/assignee).
    Ticket,
    /// Describes the event being processed; only triggers see one.
    Event,
    /// Hours since an instant; only automations, which run on a clock, see them.
    Time,
}

/// One row of [`FIELDS`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub struct FieldSpec {
    pub name: &'static str,
    pub kind: FieldKind,
    /// Whether `SetField` may change it; other fields change only through dedicated actions or not at all.
    pub settable: bool,
    pub scope: FieldScope,
}

pub const STATUSES: &[&str] = &["new", "open", "pending", "on-hold", "solved", "closed"];
pub const PRIORITIES: &[&str] = &["low", "normal", "high", "urgent"];
pub const TICKET_TYPES: &[&str] = &["question", "incident", "problem", "task", "complaint", "order"];
pub const CHANNELS: &[&str] = &["email", "phone", "chat", "social", "web", "api"];
pub const REQUESTER_TIERS: &[&str] = &["standard", "priority", "vip"];
pub const ESCALATION_TIERS: &[&str] = &["agent", "senior-agent", "team-lead", "supervisor", "manager", "director"];
pub const SATISFACTION_RATINGS: &[&str] = &["unoffered", "offered", "good", "bad"];
pub const EVENTS: &[&str] = &["created", "updated", "commented", "rated"];
pub const COMMENT_AUTHORS: &[&str] = &["requester", "agent"];

const fn field(name: &'static str, kind: FieldKind, settable: bool, scope: FieldScope) -> FieldSpec {
    FieldSpec { name, kind, settable, scope }
}

const fn ordered(values: &'static [&'static str]) -> FieldKind {
    FieldKind::Enum { values, ordered: true }
}

const fn unordered(values: &'static [&'static str]) -> FieldKind {
    FieldKind::Enum { values, ordered: false }
}

use FieldKind::{Bool, Id, Number, Tags, Text};
use FieldScope::{Event, Ticket, Time};

/// The only fields conditions and actions may name.
pub const FIELDS: &[FieldSpec] = &[
    field("status", ordered(STATUSES), true, Ticket),
    field("priority", ordered(PRIORITIES), true, Ticket),
    field("type", unordered(TICKET_TYPES), true, Ticket),
    field("channel", unordered(CHANNELS), false, Ticket),
    field("subject", Text, false, Ticket),
    field("description", Text, false, Ticket),
    field("assignee_id", Id, true, Ticket),
    field("team_id", Id, true, Ticket),
    field("requester_id", Id, false, Ticket),
    field("organization_id", Id, false, Ticket),
    field("locale", Id, true, Ticket),
    field("tags", Tags, false, Ticket),
    field("requester.tier", unordered(REQUESTER_TIERS), false, Ticket),
    field("requester.name", Text, false, Ticket),
    field("requester.email", Text, false, Ticket),
    field("assignee.name", Text, false, Ticket),
    field("escalation_tier", ordered(ESCALATION_TIERS), false, Ticket),
    field("ticket.id", Number, false, Ticket),
    field("reopens", Number, false, Ticket),
    field("satisfaction", unordered(SATISFACTION_RATINGS), false, Ticket),
    field("event", unordered(EVENTS), false, Event),
    field("comment.public", Bool, false, Event),
    field("comment.author", unordered(COMMENT_AUTHORS), false, Event),
    field("comment.body", Text, false, Event),
    field("hours_since.created", Number, false, Time),
    field("hours_since.updated", Number, false, Time),
    field("hours_since.status_changed", Number, false, Time),
    field("hours_since.solved", Number, false, Time),
    field("hours_since.assigned", Number, false, Time),
    field("hours_since.requester_replied", Number, false, Time),
    field("hours_since.agent_replied", Number, false, Time),
];

pub fn field_spec(name: &str) -> Option<&'static FieldSpec> {
    FIELDS.iter().find(|spec| spec.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_fact_reads_as_absent() {
        assert_eq!(Facts::new().get("priority"), &Value::Absent);
    }

    #[test]
    fn set_keeps_values_canonical() {
        let facts = Facts::new()
            .with("status", Value::text("Pending"))
            .with("tags", Value::Tags(vec![" VIP".into(), "billing".into(), "vip".into()]))
            .with("assignee_id", Value::text(""));
        assert_eq!(facts.get("status"), &Value::text("pending"));
        assert_eq!(facts.get("tags"), &Value::Tags(vec!["billing".into(), "vip".into()]));
        assert_eq!(facts.fields().count(), 2);
    }

    #[test]
    fn ids_keep_their_case() {
        let facts = Facts::new().with("assignee_id", Value::text("Agent-7"));
        assert_eq!(facts.get("assignee_id"), &Value::text("Agent-7"));
    }

    #[test]
    fn changes_skip_time_facts() {
        let before = Facts::new().with("status", Value::text("open")).with("hours_since.updated", Value::Number(5));
        let after = Facts::new().with("status", Value::text("solved")).with("hours_since.updated", Value::Number(0));
        let changes = before.changes_to(&after);
        assert_eq!(changes.len(), 1);
        assert_eq!(changes[0].field, "status");
        assert_eq!(changes[0].before, Value::text("open"));
    }

    #[test]
    fn enum_rank_follows_table_order_and_ignores_case() {
        let status = &field_spec("status").unwrap().kind;
        assert!(status.rank("Pending") < status.rank("solved"));
        assert_eq!(status.rank("archived"), None);
    }

    #[test]
    fn field_names_are_unique() {
        let names: BTreeSet<_> = FIELDS.iter().map(|spec| spec.name).collect();
        assert_eq!(names.len(), FIELDS.len());
    }

    #[test]
    fn facts_round_trip_through_json_canonically() {
        let json = r#"{"priority":{"text":"URGENT"},"tags":{"tags":["b","A"]},"ticket.id":{"number":42}}"#;
        let facts: Facts = serde_json::from_str(json).unwrap();
        assert_eq!(facts.get("priority"), &Value::text("urgent"));
        assert_eq!(facts.tags(), vec!["a", "b"]);
        let again: Facts = serde_json::from_str(&serde_json::to_string(&facts).unwrap()).unwrap();
        assert_eq!(again, facts);
    }
}
