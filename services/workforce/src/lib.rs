//! Workforce: the people side of support — people, teams and reporting lines, shifts and
//! rosters, time off, and staffing that adds up. It owns the workforce database and must never
//! read another service's tables.
pub mod api;
pub mod domain;
pub mod store;

pub use api::WorkforceApi;
pub use store::MIGRATIONS;

/// The database (SQLite file stem / Postgres schema) workforce owns.
pub const DATABASE: &str = "workforce";
