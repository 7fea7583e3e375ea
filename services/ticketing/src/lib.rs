//! Ticketing: customers and tickets, their lifecycle and their change feed. It owns the
//! ticketing database and must never read another service's tables — other services are
//! reached through their gRPC clients and feeds.
pub mod api;
pub mod domain;
pub mod store;

pub use api::TicketingApi;
pub use store::MIGRATIONS;

/// The database (SQLite file stem / Postgres schema) ticketing owns.
pub const DATABASE: &str = "ticketing";
