//! End-to-end tests of the whole suite through real gRPC on loopback: each scenario runs on
//! SQLite, and on PostgreSQL when FRONTLINE_TEST_DATABASE_URL is set (see support.rs).
mod support;

mod analytics;
mod apart;
mod auth;
mod customers;
mod feed;
mod shutdown;
mod surface;
mod tickets;
