//! The `frontline` binary's library half: starting the suite ([`app::Application`]) and the
//! command-line tools around it, kept in a library so end-to-end tests run the real thing.
pub mod analytics_cli;
pub mod app;
pub mod demo;
pub mod reindex;
pub mod services;

pub use app::Application;
pub use services::ServiceKind;
