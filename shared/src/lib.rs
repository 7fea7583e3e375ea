//! frontline-shared: what every Frontline service stands on — configuration, telemetry, the
//! database and its migrations, authentication, the error mapping, pagination, the change feed
//! and the server builder. It knows no service's domain and must never grow one: a rule about
//! tickets, articles or rosters belongs to that service's crate.
pub mod auth;
pub mod blocking;
pub mod calendar;
pub mod client_trace;
pub mod clock;
pub mod config;
pub mod database;
pub mod deadline;
pub mod error;
pub mod feed;
pub mod field_mask;
pub mod filter;
pub mod metrics;
pub mod pagination;
pub mod peer_health;
pub mod peers;
pub mod private_files;
pub mod sealing;
pub mod server;
pub mod telemetry;
pub mod text;
pub mod ticket_scope;
pub mod web_tls;

pub use error::{ApiError, ApiResult};
