//! Multilingual full-text search over the knowledge base with tantivy: per-language analysis,
//! a small query language, permission-aware filtering, and an index kept as derived data.
pub mod documents;
pub mod follower;
pub mod index;
pub mod schema;
pub mod searching;
pub mod stats;

pub use frontline_shared::text::derived::Opened;
pub use frontline_shared::text::{analysis, query};
pub use index::SearchIndex;
pub use searching::{Audience, Filters, Found, Hit};
pub use stats::SearchLog;
