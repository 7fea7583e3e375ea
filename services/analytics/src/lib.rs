//! Analytics: follows the other services' change feeds and keeps the facts support KPIs are
//! computed from. It owns the analytics database, learns of other services only through their
//! feeds (it asks workforce for staffing plans, through its API), and never writes anywhere else.
pub mod api;
pub mod domain;
mod export_api;
mod forecast_api;
pub mod ingest;
mod knowledge_metrics_api;
mod period;
mod scorecard_api;
mod series_api;
mod sla_board_api;
pub mod store;
mod ticket_metrics_api;
mod workforce_metrics_api;

use frontline_shared::database::{MigrationFile, Migrations};

pub use api::AnalyticsApi;

/// The database (SQLite file stem / Postgres schema) analytics owns.
pub const DATABASE: &str = "analytics";

pub const MIGRATIONS: Migrations = Migrations::new(
    &[
        MigrationFile {
            version: 100,
            description: "ticket facts",
            sql: include_str!("../migrations/sqlite/0100_ticket_facts.sql"),
        },
        MigrationFile {
            version: 101,
            description: "ticket history",
            sql: include_str!("../migrations/0101_ticket_history.sql"),
        },
        MigrationFile {
            version: 102,
            description: "metric facts",
            sql: include_str!("../migrations/0102_metric_facts.sql"),
        },
        MigrationFile { version: 103, description: "SLA board", sql: include_str!("../migrations/0103_sla_board.sql") },
        MigrationFile {
            version: 104,
            description: "export facts",
            sql: include_str!("../migrations/0104_export_facts.sql"),
        },
        MigrationFile {
            version: 105,
            description: "metric rollups",
            sql: include_str!("../migrations/sqlite/0105_metric_rollups.sql"),
        },
        MigrationFile {
            version: 106,
            description: "unsolved periods",
            sql: include_str!("../migrations/0106_unsolved_periods.sql"),
        },
        MigrationFile {
            version: 110,
            description: "knowledge and workforce facts",
            sql: include_str!("../migrations/0110_knowledge_workforce_facts.sql"),
        },
    ],
    &[
        MigrationFile {
            version: 100,
            description: "ticket facts",
            sql: include_str!("../migrations/postgres/0100_ticket_facts.sql"),
        },
        MigrationFile {
            version: 101,
            description: "ticket history",
            sql: include_str!("../migrations/0101_ticket_history.sql"),
        },
        MigrationFile {
            version: 102,
            description: "metric facts",
            sql: include_str!("../migrations/0102_metric_facts.sql"),
        },
        MigrationFile { version: 103, description: "SLA board", sql: include_str!("../migrations/0103_sla_board.sql") },
        MigrationFile {
            version: 104,
            description: "export facts",
            sql: include_str!("../migrations/0104_export_facts.sql"),
        },
        MigrationFile {
            version: 105,
            description: "metric rollups",
            sql: include_str!("../migrations/postgres/0105_metric_rollups.sql"),
        },
        MigrationFile {
            version: 106,
            description: "unsolved periods",
            sql: include_str!("../migrations/0106_unsolved_periods.sql"),
        },
        MigrationFile {
            version: 110,
            description: "knowledge and workforce facts",
            sql: include_str!("../migrations/0110_knowledge_workforce_facts.sql"),
        },
    ],
);
