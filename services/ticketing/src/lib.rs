//! Ticketing: customers and tickets, their lifecycle and their change feed, and the webhooks
//! that carry its events out. It owns the ticketing database and must never read another
//! service's tables — other services are reached through their gRPC clients and feeds — nor
//! send a webhook anywhere the address guard has not checked.
pub mod api;
pub mod domain;
pub mod outbound;
pub mod search;
pub mod store;

pub use api::{TicketingApi, WebhookWorkerSettings};
pub use store::MIGRATIONS;

/// The database (SQLite file stem / Postgres schema) ticketing owns.
pub const DATABASE: &str = "ticketing";
