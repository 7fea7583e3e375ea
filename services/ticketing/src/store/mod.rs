//! Ticketing's SQL, one file per aggregate. Functions take a connection (a transaction when
//! the caller needs one); they hold no rules — the domain decides, the store records.
pub mod business_rules;
pub mod calendars;
pub mod comments;
pub mod custom_fields;
pub mod customers;
pub mod escalations;
pub mod idempotency;
pub mod links;
pub mod organizations;
pub mod routing;
pub mod search_source;
pub mod sla;
pub mod sla_policies;
pub mod suggestions;
pub mod tickets;
pub mod views;
pub mod webhook_deliveries;
pub mod webhooks;

use frontline_shared::{
    database::{MigrationFile, Migrations},
    filter::SqlValue,
};
use sqlx::{Any, any::AnyArguments, query::Query};

pub const MIGRATIONS: Migrations = Migrations::new(
    &[
        MigrationFile {
            version: 100,
            description: "customers and tickets",
            sql: include_str!("../../migrations/sqlite/0100_customers_tickets.sql"),
        },
        MigrationFile {
            version: 101,
            description: "ticket lifecycle",
            sql: include_str!("../../migrations/sqlite/0101_ticket_lifecycle.sql"),
        },
        MigrationFile {
            version: 102,
            description: "ticket suggestions",
            sql: include_str!("../../migrations/sqlite/0102_ticket_suggestions.sql"),
        },
        MigrationFile {
            version: 103,
            description: "service levels and escalation",
            sql: include_str!("../../migrations/sqlite/0103_service_levels.sql"),
        },
        MigrationFile {
            version: 104,
            description: "business rules",
            sql: include_str!("../../migrations/0104_business_rules.sql"),
        },
        MigrationFile {
            version: 105,
            description: "webhooks",
            sql: include_str!("../../migrations/0105_webhooks.sql"),
        },
        MigrationFile { version: 106, description: "routing", sql: include_str!("../../migrations/0106_routing.sql") },
        MigrationFile {
            version: 107,
            description: "shared organisations",
            sql: include_str!("../../migrations/0107_shared_organizations.sql"),
        },
        MigrationFile {
            version: 108,
            description: "ticket search on tantivy",
            sql: include_str!("../../migrations/0108_ticket_search_on_tantivy.sql"),
        },
    ],
    &[
        MigrationFile {
            version: 100,
            description: "customers and tickets",
            sql: include_str!("../../migrations/postgres/0100_customers_tickets.sql"),
        },
        MigrationFile {
            version: 101,
            description: "ticket lifecycle",
            sql: include_str!("../../migrations/postgres/0101_ticket_lifecycle.sql"),
        },
        MigrationFile {
            version: 102,
            description: "ticket suggestions",
            sql: include_str!("../../migrations/postgres/0102_ticket_suggestions.sql"),
        },
        MigrationFile {
            version: 103,
            description: "service levels and escalation",
            sql: include_str!("../../migrations/postgres/0103_service_levels.sql"),
        },
        MigrationFile {
            version: 104,
            description: "business rules",
            sql: include_str!("../../migrations/0104_business_rules.sql"),
        },
        MigrationFile {
            version: 105,
            description: "webhooks",
            sql: include_str!("../../migrations/0105_webhooks.sql"),
        },
        MigrationFile { version: 106, description: "routing", sql: include_str!("../../migrations/0106_routing.sql") },
        MigrationFile {
            version: 107,
            description: "shared organisations",
            sql: include_str!("../../migrations/0107_shared_organizations.sql"),
        },
        MigrationFile {
            version: 108,
            description: "ticket search on tantivy",
            sql: include_str!("../../migrations/0108_ticket_search_on_tantivy.sql"),
        },
    ],
);

fn bind_all<'q>(
    mut query: Query<'q, Any, AnyArguments<'q>>,
    values: &'q [SqlValue],
) -> Query<'q, Any, AnyArguments<'q>> {
    for value in values {
        query = match value {
            SqlValue::Text(text) => query.bind(text.as_str()),
            SqlValue::Integer(number) => query.bind(*number),
        };
    }
    query
}

fn json_list(values: &[String]) -> String {
    serde_json::to_string(values).expect("a list of strings serialises")
}

fn parse_json_list(column: &str, text: &str) -> sqlx::Result<Vec<String>> {
    parse_json(column, text)
}

fn parse_json<T: serde::de::DeserializeOwned>(column: &str, text: &str) -> sqlx::Result<T> {
    serde_json::from_str(text)
        .map_err(|error| sqlx::Error::ColumnDecode { index: column.into(), source: Box::new(error) })
}

fn decode_enum<T>(column: &str, number: i64, from_number: fn(i64) -> Option<T>) -> sqlx::Result<T> {
    from_number(number).ok_or_else(|| sqlx::Error::ColumnDecode {
        index: column.into(),
        source: format!("{number} is not a known value").into(),
    })
}

/// External ids are stored as NULL when unset, so the unique index permits any number of them.
fn optional_text(value: &str) -> Option<&str> {
    (!value.is_empty()).then_some(value)
}
