//! End-to-end tests of the whole suite through real gRPC on loopback: each scenario runs on
//! SQLite, and on PostgreSQL when FRONTLINE_TEST_DATABASE_URL is set (see support.rs).
mod support;

mod access;
mod analytics;
mod analytics_export;
mod analytics_feeds;
mod apart;
mod auth;
mod bad_input;
mod business_rules;
mod conversation;
mod customers;
mod demo;
mod end_users;
mod feed;
mod forecasting;
mod knowledge;
mod knowledge_publishing;
mod knowledge_search;
mod limits;
mod observability;
mod on_behalf;
mod organizations;
mod otlp_receiver;
mod queue;
mod relations;
mod resilience;
mod routing;
mod scenario;
mod service_levels;
mod shutdown;
mod surface;
mod tickets;
mod webhook_receiver;
mod webhooks;
mod workforce;
