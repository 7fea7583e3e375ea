//! Rollups of the metric facts per half-hour slot (see domain/rollup.rs): marking slots stale as
//! facts change, rebuilding stale slots, and reading them for a series.
use std::{collections::BTreeMap, time::Duration};

use frontline_shared::database::{Backend, Database};
use sqlx::{AnyConnection, Row};
use tokio_util::sync::CancellationToken;

use crate::domain::{
    rollup::{self, CellDimension, SLOT_MICROS, Variant},
    series_query::{Observation, SqlFilter},
};

/// Marks the slots of `dated` instants stale as of feed position `revision`. Called in the
/// transaction that changes the facts, with the instants before and after the change.
pub async fn mark_stale(connection: &mut AnyConnection, dated: &[i64], revision: i64) -> sqlx::Result<()> {
    let mut slots: Vec<i64> = dated.iter().map(|&at| rollup::slot_of(at)).collect();
    slots.sort_unstable();
    slots.dedup();
    for slot in slots {
        sqlx::query(
            "INSERT INTO metric_slots (slot, revision, refreshed_revision) VALUES ($1, $2, 0)
             ON CONFLICT (slot) DO UPDATE SET revision = excluded.revision",
        )
        .bind(slot)
        .bind(revision)
        .execute(&mut *connection)
        .await?;
    }
    Ok(())
}

/// Stale slots in [from, to), in order.
pub async fn stale_between(connection: &mut AnyConnection, from: i64, to: i64) -> sqlx::Result<Vec<i64>> {
    sqlx::query_scalar(
        "SELECT slot FROM metric_slots WHERE revision > refreshed_revision AND slot >= $1 AND slot < $2 ORDER BY slot",
    )
    .bind(from)
    .bind(to)
    .fetch_all(connection)
    .await
}

/// One stored cell: its slot, its dimension value and its encoded sketches.
pub struct StoredCell {
    pub slot: i64,
    pub dimension_value: String,
    pub sketches: Vec<u8>,
}

/// The cells of `dimension` (only `value`'s, when given) in slots [from, to).
pub async fn cells_between(
    connection: &mut AnyConnection,
    dimension: CellDimension,
    value: Option<&str>,
    from: i64,
    to: i64,
) -> sqlx::Result<Vec<StoredCell>> {
    let rows = match value {
        Some(value) => {
            sqlx::query(
                "SELECT slot, dimension_value, sketches FROM metric_rollups
                 WHERE dimension = $1 AND dimension_value = $2 AND slot >= $3 AND slot < $4",
            )
            .bind(dimension.as_str())
            .bind(value)
            .bind(from)
            .bind(to)
            .fetch_all(connection)
            .await?
        }
        None => {
            sqlx::query(
                "SELECT slot, dimension_value, sketches FROM metric_rollups
                 WHERE dimension = $1 AND slot >= $2 AND slot < $3",
            )
            .bind(dimension.as_str())
            .bind(from)
            .bind(to)
            .fetch_all(connection)
            .await?
        }
    };
    rows.iter()
        .map(|row| {
            Ok(StoredCell {
                slot: row.try_get("slot")?,
                dimension_value: row.try_get("dimension_value")?,
                sketches: row.try_get("sketches")?,
            })
        })
        .collect()
}

/// A filter fragment keeping rows dated in one of `slots` (ids from our own table, so inlined).
pub fn in_slots(date_column: &str, slots: &[i64]) -> String {
    let list: Vec<String> = slots.iter().map(i64::to_string).collect();
    format!(" AND ({date_column} - ({date_column} % {SLOT_MICROS})) IN ({})", list.join(", "))
}

/// Every variant's observations dated in the slot starting at `slot`: one query per date column.
async fn observations_in(connection: &mut AnyConnection, slot: i64) -> sqlx::Result<Vec<(Variant, Vec<Observation>)>> {
    let mut by_date: BTreeMap<&str, Vec<Variant>> = BTreeMap::new();
    for variant in rollup::variants() {
        by_date.entry(variant.metric.date_column).or_default().push(variant);
    }
    let mut all = Vec::new();
    for (date_column, variants) in by_date {
        let values: Vec<String> = variants
            .iter()
            .enumerate()
            .map(|(i, v)| format!("CAST({} AS DOUBLE PRECISION) AS v{i}", v.value_expression()))
            .collect();
        let sql = format!(
            "SELECT team_id, assignee_id, channel, priority, type, {date_column} AS at, {}
             FROM ticket_metric_facts WHERE {date_column} >= $1 AND {date_column} < $2",
            values.join(", ")
        );
        let rows = sqlx::query(&sql).bind(slot).bind(slot + SLOT_MICROS).fetch_all(&mut *connection).await?;
        let mut per_variant: Vec<Vec<Observation>> = variants.iter().map(|_| Vec::with_capacity(rows.len())).collect();
        for row in &rows {
            for (i, observations) in per_variant.iter_mut().enumerate() {
                observations.push(Observation {
                    at_micros: row.try_get("at")?,
                    value: row.try_get(format!("v{i}").as_str())?,
                    team_id: row.try_get("team_id")?,
                    agent_id: row.try_get("assignee_id")?,
                    channel: row.try_get("channel")?,
                    priority: row.try_get("priority")?,
                    ticket_type: row.try_get("type")?,
                });
            }
        }
        all.extend(variants.into_iter().zip(per_variant));
    }
    Ok(all)
}

/// Rebuilds `slots`' rollups from the facts, in one transaction (one commit for many slots: on
/// SQLite with synchronous=FULL the commit is most of the cost). Each slot is marked fresh only
/// at the revision it was read at: a change committed meanwhile leaves it stale for the next round.
pub async fn refresh_slots(db: &Database, slots: &[i64]) -> sqlx::Result<()> {
    let mut transaction = db.begin().await?;
    // On Postgres the slot row is locked, so replicas refreshing together take turns and a
    // concurrent change waits to mark it stale again; SQLite has one writer anyway.
    let lock = if db.backend() == Backend::Postgres { " FOR UPDATE" } else { "" };
    for &slot in slots {
        let revision: Option<i64> =
            sqlx::query_scalar(&format!("SELECT revision FROM metric_slots WHERE slot = $1{lock}"))
                .bind(slot)
                .fetch_optional(&mut *transaction)
                .await?;
        let Some(revision) = revision else { continue };
        let observations = observations_in(&mut transaction, slot).await?;
        sqlx::query("DELETE FROM metric_rollups WHERE slot = $1").bind(slot).execute(&mut *transaction).await?;
        for cell in rollup::cells(&observations) {
            sqlx::query(
                "INSERT INTO metric_rollups (slot, dimension, dimension_value, sketches) VALUES ($1, $2, $3, $4)",
            )
            .bind(slot)
            .bind(cell.dimension.as_str())
            .bind(&cell.value)
            .bind(rollup::encode(&cell.sketches))
            .execute(&mut *transaction)
            .await?;
        }
        sqlx::query("UPDATE metric_slots SET refreshed_revision = $2 WHERE slot = $1 AND revision = $2")
            .bind(slot)
            .bind(revision)
            .execute(&mut *transaction)
            .await?;
    }
    transaction.commit().await
}

/// Slots rebuilt per transaction: long enough to amortise the commit, short enough not to hold
/// the single SQLite writer (which the follower also needs) for long.
const SLOTS_PER_TRANSACTION: usize = 25;

/// Refreshes up to `limit` stale slots, oldest first; returns how many it refreshed.
pub async fn refresh_stale(db: &Database, limit: i64) -> sqlx::Result<usize> {
    let slots: Vec<i64> =
        sqlx::query_scalar("SELECT slot FROM metric_slots WHERE revision > refreshed_revision ORDER BY slot LIMIT $1")
            .bind(limit)
            .fetch_all(db.reader())
            .await?;
    for chunk in slots.chunks(SLOTS_PER_TRANSACTION) {
        refresh_slots(db, chunk).await?;
    }
    Ok(slots.len())
}

/// How many slots are stale: what a rebuild's progress and the bench wait on.
pub async fn stale_count(db: &Database) -> sqlx::Result<i64> {
    sqlx::query_scalar("SELECT COUNT(*) FROM metric_slots WHERE revision > refreshed_revision")
        .fetch_one(db.reader())
        .await
}

/// Keeps rollups fresh until `shutdown`: a round every `interval`, and at once again while a
/// round found a full batch (a backlog after a rebuild or an import).
pub async fn run_refresher(db: Database, interval: Duration, shutdown: CancellationToken) {
    const BATCH: i64 = 200;
    loop {
        let refreshed = match refresh_stale(&db, BATCH).await {
            Ok(refreshed) => refreshed,
            Err(error) => {
                tracing::warn!(%error, "refreshing metric rollups failed; series read ticket rows meanwhile");
                0
            }
        };
        if refreshed as i64 == BATCH && !shutdown.is_cancelled() {
            continue;
        }
        tokio::select! {
            _ = tokio::time::sleep(interval) => {}
            _ = shutdown.cancelled() => return,
        }
    }
}

/// The slot filter for a series' stale slots, or none to read every row of the range.
pub fn stale_filter(date_column: &str, stale: &[i64]) -> SqlFilter {
    SqlFilter { clause: in_slots(date_column, stale), values: Vec::new() }
}
