//! Knowledge's rules, free of I/O: article states and validation, bodies and their sanitising,
//! front matter, version comparison, verification, near-duplicate fingerprints, gap grouping,
//! the publishing workflow, and who may do what.
pub mod access;
pub mod article;
pub mod content;
pub mod diff;
pub mod front_matter;
pub mod gaps;
pub mod model;
pub mod publishing;
pub mod similarity;
pub mod verification;
