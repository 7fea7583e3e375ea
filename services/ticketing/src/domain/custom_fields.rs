//! Administrator-defined ticket fields: their definitions, and the checks every ticket write
//! passes — known key, right type, a listed option, and a value before a ticket may be solved.
use frontline_proto::limits::ticketing as limits;
use frontline_shared::{
    ApiError, ApiResult,
    error::{FieldViolation, Violations},
};
use serde::{Deserialize, Serialize};

use super::{field_mask, validate};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum FieldType {
    Text = 1,
    Number = 2,
    Date = 3,
    Dropdown = 4,
    Checkbox = 5,
}

impl FieldType {
    pub fn number(self) -> i64 {
        self as i64
    }

    pub fn from_number(number: i64) -> Option<Self> {
        match number {
            1 => Some(Self::Text),
            2 => Some(Self::Number),
            3 => Some(Self::Date),
            4 => Some(Self::Dropdown),
            5 => Some(Self::Checkbox),
            _ => None,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Self::Text => "text",
            Self::Number => "number",
            Self::Date => "date",
            Self::Dropdown => "dropdown",
            Self::Checkbox => "checkbox",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldValue {
    Text(String),
    Number(f64),
    /// "YYYY-MM-DD"
    Date(String),
    Option(String),
    Checkbox(bool),
}

impl FieldValue {
    fn field_type(&self) -> FieldType {
        match self {
            Self::Text(_) => FieldType::Text,
            Self::Number(_) => FieldType::Number,
            Self::Date(_) => FieldType::Date,
            Self::Option(_) => FieldType::Dropdown,
            Self::Checkbox(_) => FieldType::Checkbox,
        }
    }
}

/// A field's value on a ticket; `value: None` in an update clears the field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CustomValue {
    pub key: String,
    pub value: Option<FieldValue>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct FieldDefinition {
    pub key: String,
    pub title: String,
    pub field_type: FieldType,
    pub options: Vec<String>,
    pub required_on_solve: bool,
    pub active: bool,
    pub description: String,
    pub created_at: i64,
    pub updated_at: i64,
    pub revision: i64,
}

pub const MAX_FIELDS_PER_TICKET: usize = limits::TICKET_CUSTOM_FIELDS_MAX_ITEMS;
pub const MAX_OPTIONS: usize = limits::CUSTOM_FIELD_DEFINITION_OPTIONS_MAX_ITEMS;
pub const MAX_TEXT_CHARS: usize = limits::CUSTOM_FIELD_VALUE_TEXT_MAX_CHARS;
pub const UPDATABLE_FIELDS: &[&str] = &["title", "options", "required_on_solve", "active", "description"];

/// What an administrator sends to define a field.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DefinitionFields {
    pub key: String,
    pub title: String,
    pub field_type: Option<FieldType>,
    pub options: Vec<String>,
    pub required_on_solve: bool,
    pub active: bool,
    pub description: String,
}

impl FieldDefinition {
    pub fn create(fields: DefinitionFields, now: i64) -> ApiResult<Self> {
        let mut violations = Violations::new();
        let key_ok = !fields.key.is_empty()
            && fields.key.len() <= 64
            && fields.key.starts_with(|c: char| c.is_ascii_lowercase())
            && fields.key.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        violations.check(key_ok, "field.key", "must be 1–64 lower-case letters, digits or _, starting with a letter");
        if fields.field_type.is_none() {
            violations.add("field.type", "is required");
        }
        let definition = FieldDefinition {
            key: fields.key,
            title: fields.title.trim().to_string(),
            field_type: fields.field_type.unwrap_or(FieldType::Text),
            options: fields.options.iter().map(|o| o.trim().to_string()).collect(),
            required_on_solve: fields.required_on_solve,
            active: true,
            description: fields.description,
            created_at: now,
            updated_at: now,
            revision: 1,
        };
        definition.check(&mut violations);
        violations.into_result()?;
        Ok(definition)
    }

    pub fn update(&self, fields: &DefinitionFields, paths: &[String], now: i64) -> ApiResult<FieldDefinition> {
        // An update without a mask names what it sets; booleans cannot be told apart from unset.
        let paths = field_mask::resolve(paths, UPDATABLE_FIELDS, |path| match path {
            "title" => !fields.title.is_empty(),
            "options" => !fields.options.is_empty(),
            "description" => !fields.description.is_empty(),
            _ => false,
        })?;
        let mut next = self.clone();
        for path in paths {
            match path {
                "title" => next.title = fields.title.trim().to_string(),
                "options" => next.options = fields.options.iter().map(|o| o.trim().to_string()).collect(),
                "required_on_solve" => next.required_on_solve = fields.required_on_solve,
                "active" => next.active = fields.active,
                "description" => next.description = fields.description.clone(),
                other => unreachable!("not an updatable field property: {other}"),
            }
        }
        let mut violations = Violations::new();
        next.check(&mut violations);
        violations.into_result()?;
        if next != *self {
            next.updated_at = now;
            next.revision = self.revision + 1;
        }
        Ok(next)
    }

    pub fn etag(&self) -> String {
        self.revision.to_string()
    }

    fn check(&self, violations: &mut Violations) {
        violations.check(!self.title.is_empty(), "field.title", "must not be empty");
        validate::max_chars(violations, "field.title", &self.title, 200);
        validate::max_chars(violations, "field.description", &self.description, 2000);
        if self.field_type == FieldType::Dropdown {
            violations.check(!self.options.is_empty(), "field.options", "a dropdown needs at least one option");
        } else {
            violations.check(self.options.is_empty(), "field.options", "only a dropdown has options");
        }
        violations.check(self.options.len() <= MAX_OPTIONS, "field.options", "at most 500 options");
        violations.check(
            self.options.iter().all(|o| !o.is_empty() && o.chars().count() <= 200),
            "field.options",
            "options must be 1–200 characters",
        );
        let mut unique = self.options.clone();
        unique.sort();
        unique.dedup();
        violations.check(unique.len() == self.options.len(), "field.options", "must not repeat an option");
    }
}

/// The values after applying `incoming` to `current`: given keys are set, cleared ones removed.
pub fn merge(current: &[CustomValue], incoming: &[CustomValue]) -> Vec<CustomValue> {
    let mut merged: Vec<CustomValue> = current.to_vec();
    for change in incoming {
        merged.retain(|value| value.key != change.key);
        if change.value.is_some() {
            merged.push(change.clone());
        }
    }
    merged.sort_by(|a, b| a.key.cmp(&b.key));
    merged
}

/// Checks the values a caller sent against the definitions.
pub fn validate_values(definitions: &[FieldDefinition], incoming: &[CustomValue]) -> Vec<FieldViolation> {
    let mut violations = Vec::new();
    let mut bad = |key: &str, description: String| {
        violations.push(FieldViolation::new(format!("ticket.custom_fields.{key}"), description));
    };
    if incoming.len() > MAX_FIELDS_PER_TICKET {
        bad("*", format!("at most {MAX_FIELDS_PER_TICKET} fields per ticket"));
    }
    for (index, value) in incoming.iter().enumerate() {
        if incoming[..index].iter().any(|earlier| earlier.key == value.key) {
            bad(&value.key, "is given twice".into());
            continue;
        }
        let Some(definition) = definitions.iter().find(|d| d.key == value.key) else {
            bad(&value.key, "no such custom field; see ListCustomFields".into());
            continue;
        };
        let Some(given) = &value.value else { continue };
        if !definition.active {
            bad(&value.key, "the field is inactive and takes no new values".into());
            continue;
        }
        if given.field_type() != definition.field_type {
            bad(&value.key, format!("is a {} field, not {}", definition.field_type.name(), given.field_type().name()));
            continue;
        }
        match given {
            FieldValue::Text(text) if text.chars().count() > MAX_TEXT_CHARS => {
                bad(&value.key, format!("must be at most {MAX_TEXT_CHARS} characters"))
            }
            FieldValue::Number(number) if !number.is_finite() => bad(&value.key, "must be a finite number".into()),
            FieldValue::Date(date) if chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d").is_err() => {
                bad(&value.key, format!("`{date}` is not a date such as 2026-11-23"))
            }
            FieldValue::Option(option) if !definition.options.contains(option) => {
                bad(&value.key, format!("`{option}` is not one of {}", definition.options.join(", ")))
            }
            _ => {}
        }
    }
    violations
}

/// Required-on-solve fields without a value, by key.
pub fn missing_on_solve(definitions: &[FieldDefinition], values: &[CustomValue]) -> Vec<String> {
    definitions
        .iter()
        .filter(|d| d.active && d.required_on_solve)
        .filter(|d| !values.iter().any(|v| v.key == d.key && v.value.is_some()))
        .map(|d| d.key.clone())
        .collect()
}

/// The error a solve without the required values gets.
pub fn required_on_solve_error(missing: &[String]) -> ApiError {
    ApiError::InvalidArgument(
        missing
            .iter()
            .map(|key| FieldViolation::new(format!("ticket.custom_fields.{key}"), "is required to solve the ticket"))
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dropdown() -> FieldDefinition {
        FieldDefinition::create(
            DefinitionFields {
                key: "product".into(),
                title: "Product".into(),
                field_type: Some(FieldType::Dropdown),
                options: vec!["Cloud".into(), "On-premise".into()],
                required_on_solve: true,
                ..Default::default()
            },
            0,
        )
        .unwrap()
    }

    fn value(key: &str, value: FieldValue) -> CustomValue {
        CustomValue { key: key.into(), value: Some(value) }
    }

    #[test]
    fn values_must_match_their_definition() {
        let definitions = [dropdown()];
        assert!(validate_values(&definitions, &[value("product", FieldValue::Option("Cloud".into()))]).is_empty());
        let wrong_option = validate_values(&definitions, &[value("product", FieldValue::Option("Mainframe".into()))]);
        assert_eq!(wrong_option[0].field, "ticket.custom_fields.product");
        assert!(!validate_values(&definitions, &[value("product", FieldValue::Number(1.0))]).is_empty());
        assert!(!validate_values(&definitions, &[value("colour", FieldValue::Text("red".into()))]).is_empty());
    }

    #[test]
    fn required_fields_block_a_solve_until_set() {
        let definitions = [dropdown()];
        assert_eq!(missing_on_solve(&definitions, &[]), ["product"]);
        assert!(missing_on_solve(&definitions, &[value("product", FieldValue::Option("Cloud".into()))]).is_empty());
    }

    #[test]
    fn merge_sets_given_keys_and_clears_empty_ones() {
        let current = vec![value("a", FieldValue::Checkbox(true)), value("b", FieldValue::Text("x".into()))];
        let merged =
            merge(&current, &[CustomValue { key: "a".into(), value: None }, value("c", FieldValue::Number(2.0))]);
        let keys: Vec<_> = merged.iter().map(|v| v.key.as_str()).collect();
        assert_eq!(keys, ["b", "c"]);
    }

    #[test]
    fn definitions_are_checked() {
        let error = FieldDefinition::create(
            DefinitionFields {
                key: "Bad Key".into(),
                title: String::new(),
                field_type: Some(FieldType::Dropdown),
                ..Default::default()
            },
            0,
        )
        .unwrap_err()
        .to_string();
        for field in ["field.key", "field.title", "field.options"] {
            assert!(error.contains(field), "{error}");
        }
    }
}
