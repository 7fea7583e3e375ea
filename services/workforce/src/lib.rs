//! Workforce: people, teams, rosters, development and staffing. It owns the workforce database and must never read another
//! service's tables. Today it serves its change feed; its domain arrives with the workforce issue.
pub mod api;

use frontline_shared::database::Migrations;

pub use api::WorkforceApi;

/// The database (SQLite file stem / Postgres schema) workforce owns.
pub const DATABASE: &str = "workforce";

/// Workforce's own migrations (the shared change-feed tables are applied for every service).
pub const MIGRATIONS: Migrations = Migrations::new(&[], &[]);
