//! Text search shared by every index in Frontline (knowledge articles, tickets): one analysis
//! per language, one query language for the search box, and a collector that stops with its
//! call. An index keeps its own schema and documents; how words become terms is decided here
//! only, so a word is found the same way wherever it was written.
pub mod analysis;
pub mod capped_count;
pub mod derived;
pub mod query;
pub mod stoppable;

pub use capped_count::{CappedCount, Counted};
pub use stoppable::Stoppable;
