//! Workforce's SQL, one file per aggregate; functions take a connection (a transaction when
//! the caller needs one) and hold no rules.
pub mod development;
pub mod on_shift;
pub mod people;
pub mod shifts;
pub mod teams;
pub mod time_off;

use frontline_shared::database::{MigrationFile, Migrations};

/// Portable SQL (no autoincrement keys), so both backends run the one file.
const DEVELOPMENT: MigrationFile = MigrationFile {
    version: 101,
    description: "development",
    sql: include_str!("../../migrations/0101_development.sql"),
};

pub const MIGRATIONS: Migrations = Migrations::new(
    &[
        MigrationFile {
            version: 100,
            description: "people and rosters",
            sql: include_str!("../../migrations/sqlite/0100_people_and_rosters.sql"),
        },
        DEVELOPMENT,
    ],
    &[
        MigrationFile {
            version: 100,
            description: "people and rosters",
            sql: include_str!("../../migrations/postgres/0100_people_and_rosters.sql"),
        },
        DEVELOPMENT,
    ],
);

fn decode_enum<T>(column: &str, number: i64, from_number: fn(i64) -> Option<T>) -> sqlx::Result<T> {
    from_number(number).ok_or_else(|| sqlx::Error::ColumnDecode {
        index: column.into(),
        source: format!("{number} is not a known value").into(),
    })
}

fn optional_text(value: &str) -> Option<&str> {
    (!value.is_empty()).then_some(value)
}
