//! Analytics' own bookkeeping: the rebuild epoch export cursors carry, and the rebuild itself.
use frontline_shared::database::{Backend, Database};
use sqlx::AnyConnection;

/// The tables rebuilt from the feeds: everything analytics derived. Keep it complete — a table
/// missing here would keep its rows through a rebuild and count them twice.
pub const DERIVED_TABLES: &[&str] = &[
    "ticket_facts",
    "ticket_history",
    "ticket_metric_facts",
    "ticket_fact_tags",
    "metric_slots",
    "metric_rollups",
    "ticket_unsolved_periods",
    "business_calendars",
    "sla_policies",
];

pub async fn epoch(connection: &mut AnyConnection) -> sqlx::Result<i64> {
    sqlx::query_scalar("SELECT value FROM analytics_state WHERE name = 'rebuild_epoch'").fetch_one(connection).await
}

/// Empties every derived table, sends every follower back to the start of its feed and bumps
/// the epoch, in one transaction; returns the new epoch. Followers notice their cursor moved
/// back and start over (see frontline_shared::feed::Follower).
pub async fn reset_for_rebuild(db: &Database) -> sqlx::Result<i64> {
    let mut transaction = db.begin().await?;
    // On Postgres the cursor rows are locked first, so a batch being applied finishes before the
    // tables are emptied (and none starts until this commits).
    if db.backend() == Backend::Postgres {
        sqlx::query("SELECT position FROM feed_cursors FOR UPDATE").fetch_all(&mut *transaction).await?;
    }
    for table in DERIVED_TABLES {
        sqlx::query(&format!("DELETE FROM {table}")).execute(&mut *transaction).await?;
    }
    sqlx::query("UPDATE feed_cursors SET position = 0, last_error = ''").execute(&mut *transaction).await?;
    sqlx::query("UPDATE analytics_state SET value = value + 1 WHERE name = 'rebuild_epoch'")
        .execute(&mut *transaction)
        .await?;
    let epoch = epoch(&mut transaction).await?;
    transaction.commit().await?;
    Ok(epoch)
}
