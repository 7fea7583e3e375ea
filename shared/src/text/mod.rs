//! Text search shared by every index in Frontline (knowledge articles, tickets): one analysis
//! per language, one query language for the search box, a collector that stops with its call,
//! and the plumbing of an index kept as derived data. An index keeps its own schema and
//! documents; how words become terms is decided here only, so a word is found the same way
//! wherever it was written.
pub mod analysis;
pub mod derived;
pub mod query;
pub mod stoppable;

pub use stoppable::Stoppable;
