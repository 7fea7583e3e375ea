//! Knowledge: articles, collections, translations, verification and search. It owns the knowledge database and must never read another
//! service's tables. Today it serves its change feed; its domain arrives with the knowledge issue.
pub mod api;

use frontline_shared::database::Migrations;

pub use api::KnowledgeApi;

/// The database (SQLite file stem / Postgres schema) knowledge owns.
pub const DATABASE: &str = "knowledge";

/// Knowledge's own migrations (the shared change-feed tables are applied for every service).
pub const MIGRATIONS: Migrations = Migrations::new(&[], &[]);
