//! Cross-module tests: realistic help-desk rules end to end, and properties of the trigger cycle.

mod properties;
mod scenarios;
