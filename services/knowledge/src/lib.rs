//! Knowledge: articles in collections, their versions and translations, Guru-style
//! verification, and multilingual search (tantivy) with ticket suggestions, feedback and
//! knowledge gaps. It owns the knowledge database and this replica's search index (derived
//! data, rebuilt from the database at will) and must never read another service's tables.
pub mod api;
pub mod domain;
pub mod search;
pub mod store;

pub use api::KnowledgeApi;
pub use store::MIGRATIONS;

/// The database (SQLite file stem / Postgres schema) knowledge owns.
pub const DATABASE: &str = "knowledge";
