//! Workforce's rules, free of storage and transport: who people are and where they sit, how
//! shifts may lie, when someone is working, how time off is decided, and how many agents the
//! work needs (Erlang C / A) against what the roster provides.
pub mod access;
pub mod development;
pub mod erlang;
pub mod icalendar;
pub mod person;
pub mod shift;
pub mod staffing;
pub mod team;
pub mod time_off;

/// Implements number round-trips for an enum whose numbers are its protobuf numbers.
macro_rules! numbered_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident = $number:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
        pub enum $name { $($variant = $number),+ }

        impl $name {
            pub fn number(self) -> i64 { self as i64 }

            pub fn from_number(number: i64) -> Option<Self> {
                match number { $($number => Some(Self::$variant),)+ _ => None }
            }
        }
    };
}
pub(crate) use numbered_enum;

pub(crate) fn check_time_zone(violations: &mut frontline_shared::error::Violations, field: &str, value: &str) {
    if !value.is_empty() && value.parse::<chrono_tz::Tz>().is_err() {
        violations.add(field, "must be an IANA time zone such as Europe/Warsaw or America/New_York");
    }
}

pub(crate) fn check_length(violations: &mut frontline_shared::error::Violations, field: &str, value: &str, max: usize) {
    if value.chars().count() > max {
        violations.add(field, format!("must be at most {max} characters"));
    }
}
