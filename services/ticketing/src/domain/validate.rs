//! Field checks shared by tickets and customers.
use frontline_shared::error::Violations;

pub(crate) fn max_chars(violations: &mut Violations, field: &str, value: &str, max: usize) {
    if value.chars().count() > max {
        violations.add(field, format!("must be at most {max} characters"));
    }
}

/// BCP 47 language tags as support tools use them: `en`, `en-GB`, `zh-Hans`, `pt-BR`.
pub(crate) fn locale(violations: &mut Violations, field: &str, value: &str) {
    if value.is_empty() {
        return;
    }
    let mut parts = value.split('-');
    let language_ok = parts
        .next()
        .is_some_and(|language| (2..=3).contains(&language.len()) && language.chars().all(|c| c.is_ascii_alphabetic()));
    let rest_ok = parts.all(|part| (2..=8).contains(&part.len()) && part.chars().all(|c| c.is_ascii_alphanumeric()));
    if !(language_ok && rest_ok) {
        violations.add(field, "must be a BCP 47 language tag such as en, en-GB or zh-Hans");
    }
}

pub(crate) fn time_zone(violations: &mut Violations, field: &str, value: &str) {
    if !value.is_empty() && value.parse::<chrono_tz::Tz>().is_err() {
        violations.add(field, "must be an IANA time zone such as Europe/Warsaw or America/New_York");
    }
}

pub(crate) fn external_id(violations: &mut Violations, field: &str, value: &str) {
    max_chars(violations, field, value, 255);
    if value.chars().any(char::is_control) {
        violations.add(field, "must not contain control characters");
    }
}

pub(crate) fn reference(violations: &mut Violations, field: &str, value: &str) {
    max_chars(violations, field, value, 128);
}
