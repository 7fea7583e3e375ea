//! Analytics' SQL, one file per kind of fact. Functions take a connection (the follower's
//! transaction when applying events); they hold no rules.
pub mod calendars;
pub mod history;
pub mod knowledge;
pub mod metric_facts;
pub mod periods;
pub mod rollups;
pub mod state;
pub mod workforce;
