//! The `[from, to)` period the metric RPCs take, checked the same way everywhere.
use frontline_shared::{database::time, error::Violations};
use prost_types::Timestamp;

/// `[from, to)` in microseconds, or None with the violations (each field named) recorded.
pub fn checked(violations: &mut Violations, from: &Option<Timestamp>, to: &Option<Timestamp>) -> Option<(i64, i64)> {
    let from = from.as_ref().and_then(time::from_timestamp);
    let to = to.as_ref().and_then(time::from_timestamp);
    violations.check(from.is_some(), "from", "is required");
    match (from, to) {
        (_, None) => violations.add("to", "is required"),
        (Some(from), Some(to)) if to <= from => violations.add("to", "must be after from"),
        (Some(from), Some(to)) => return Some((from, to)),
        (None, Some(_)) => {}
    }
    None
}
