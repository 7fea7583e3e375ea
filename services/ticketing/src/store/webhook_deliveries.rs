//! Webhook deliveries: the queue the worker claims from, each attempt's outcome, and the
//! dead-letter list.
use sqlx::{AnyConnection, Row, any::AnyRow};

use super::decode_enum;
use crate::domain::webhook::{AfterAttempt, Delivery, DeliveryStatus};

const COLUMNS: &str = "id, webhook_id, event_id, event_type, body, status, attempts, next_attempt_at, \
                       last_status_code, last_error, created_at, delivered_at";

/// Enqueues a delivery; false when this event already has one for this webhook (another
/// replica, or an earlier run, enqueued it).
pub async fn insert(connection: &mut AnyConnection, delivery: &Delivery) -> sqlx::Result<bool> {
    let inserted = sqlx::query(&format!(
        "INSERT INTO webhook_deliveries ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
         ON CONFLICT (webhook_id, event_id) DO NOTHING"
    ))
    .bind(&delivery.id)
    .bind(&delivery.webhook_id)
    .bind(&delivery.event_id)
    .bind(&delivery.event_type)
    .bind(&delivery.body)
    .bind(delivery.status.number())
    .bind(delivery.attempts)
    .bind(delivery.next_attempt_at.unwrap_or(delivery.created_at))
    .bind(delivery.last_status_code.map_or(0, i64::from))
    .bind(&delivery.last_error)
    .bind(delivery.created_at)
    .bind(delivery.delivered_at)
    .execute(connection)
    .await?
    .rows_affected();
    Ok(inserted == 1)
}

pub async fn get(connection: &mut AnyConnection, id: &str) -> sqlx::Result<Option<Delivery>> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM webhook_deliveries WHERE id = $1"))
        .bind(id)
        .fetch_optional(connection)
        .await?;
    row.as_ref().map(decode).transpose()
}

/// One page of a webhook's deliveries, newest first, starting after `after` (the created_at
/// and id of the previous page's last item); `limit` rows at most.
pub async fn page(
    connection: &mut AnyConnection,
    webhook_id: &str,
    status: Option<DeliveryStatus>,
    after: Option<(i64, &str)>,
    limit: i64,
) -> sqlx::Result<Vec<Delivery>> {
    let (after_at, after_id) = after.unwrap_or((i64::MAX, ""));
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM webhook_deliveries
         WHERE webhook_id = $1 AND ($2 = 0 OR status = $2)
           AND (created_at < $3 OR (created_at = $3 AND ($4 = '' OR id < $4)))
         ORDER BY created_at DESC, id DESC LIMIT $5"
    ))
    .bind(webhook_id)
    .bind(status.map_or(0, DeliveryStatus::number))
    .bind(after_at)
    .bind(after_id)
    .bind(limit)
    .fetch_all(connection)
    .await?;
    rows.iter().map(decode).collect()
}

/// Pending deliveries of active webhooks whose attempt is due by `now`, earliest first.
pub async fn due(connection: &mut AnyConnection, now: i64, limit: i64) -> sqlx::Result<Vec<Delivery>> {
    let rows = sqlx::query(&format!(
        "SELECT {} FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id
         WHERE d.status = $1 AND d.next_attempt_at <= $2 AND w.active = 1
         ORDER BY d.next_attempt_at, d.id LIMIT $3",
        qualified("d")
    ))
    .bind(DeliveryStatus::Pending.number())
    .bind(now)
    .bind(limit)
    .fetch_all(connection)
    .await?;
    rows.iter().map(decode).collect()
}

fn qualified(alias: &str) -> String {
    COLUMNS.split(", ").map(|column| format!("{alias}.{column}")).collect::<Vec<_>>().join(", ")
}

/// Claims a due delivery for one attempt: counts the attempt and moves its due time to
/// `lease_until`, so no one else tries it meanwhile and a replica that dies mid-attempt only
/// delays it. The update only matches the row as the caller saw it, so of replicas racing for
/// a delivery exactly one wins (Postgres re-checks the condition after the row lock; SQLite
/// has one writer).
pub async fn claim(connection: &mut AnyConnection, seen: &Delivery, lease_until: i64) -> sqlx::Result<bool> {
    let claimed = sqlx::query(
        "UPDATE webhook_deliveries SET attempts = attempts + 1, next_attempt_at = $2
         WHERE id = $1 AND status = $3 AND attempts = $4 AND next_attempt_at = $5",
    )
    .bind(&seen.id)
    .bind(lease_until)
    .bind(DeliveryStatus::Pending.number())
    .bind(seen.attempts)
    .bind(seen.next_attempt_at.unwrap_or(seen.created_at))
    .execute(connection)
    .await?
    .rows_affected();
    Ok(claimed == 1)
}

/// Records the outcome of attempt number `attempt`; false when the delivery has moved on since
/// it was claimed (its lease ran out and another replica tried it, or it was deleted).
pub async fn record(
    connection: &mut AnyConnection,
    id: &str,
    attempt: i64,
    after: &AfterAttempt,
    now: i64,
) -> sqlx::Result<bool> {
    let delivered_at = (after.status == DeliveryStatus::Delivered).then_some(now);
    let recorded = sqlx::query(
        "UPDATE webhook_deliveries SET status = $3, next_attempt_at = $4, last_status_code = $5, last_error = $6,
             delivered_at = $7
         WHERE id = $1 AND attempts = $2 AND status = $8",
    )
    .bind(id)
    .bind(attempt)
    .bind(after.status.number())
    .bind(after.next_attempt_at.unwrap_or(now))
    .bind(after.status_code.map_or(0, i64::from))
    .bind(&after.error)
    .bind(delivered_at)
    .bind(DeliveryStatus::Pending.number())
    .execute(connection)
    .await?
    .rows_affected();
    Ok(recorded == 1)
}

/// Puts a dead delivery back in the queue, due at `now`, with a fresh set of attempts; false
/// when it is not dead.
pub async fn redeliver(connection: &mut AnyConnection, id: &str, now: i64) -> sqlx::Result<bool> {
    let updated = sqlx::query(
        "UPDATE webhook_deliveries SET status = $2, attempts = 0, next_attempt_at = $3 WHERE id = $1 AND status = $4",
    )
    .bind(id)
    .bind(DeliveryStatus::Pending.number())
    .bind(now)
    .bind(DeliveryStatus::Dead.number())
    .execute(connection)
    .await?
    .rows_affected();
    Ok(updated == 1)
}

/// When the earliest pending delivery of an active webhook is due: when the worker must wake.
pub async fn next_due(connection: &mut AnyConnection) -> sqlx::Result<Option<i64>> {
    sqlx::query_scalar(
        "SELECT MIN(d.next_attempt_at) FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id
         WHERE d.status = $1 AND w.active = 1",
    )
    .bind(DeliveryStatus::Pending.number())
    .fetch_one(connection)
    .await
}

fn decode(row: &AnyRow) -> sqlx::Result<Delivery> {
    let status = decode_enum("status", row.try_get("status")?, DeliveryStatus::from_number)?;
    let status_code: i64 = row.try_get("last_status_code")?;
    Ok(Delivery {
        id: row.try_get("id")?,
        webhook_id: row.try_get("webhook_id")?,
        event_id: row.try_get("event_id")?,
        event_type: row.try_get("event_type")?,
        body: row.try_get("body")?,
        status,
        attempts: row.try_get("attempts")?,
        next_attempt_at: (status == DeliveryStatus::Pending).then(|| row.try_get("next_attempt_at")).transpose()?,
        last_status_code: u16::try_from(status_code).ok().filter(|code| *code != 0),
        last_error: row.try_get("last_error")?,
        created_at: row.try_get("created_at")?,
        delivered_at: row.try_get("delivered_at")?,
    })
}
