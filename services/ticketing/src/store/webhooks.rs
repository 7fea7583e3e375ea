//! Webhook subscriptions.
use sqlx::{AnyConnection, Row, any::AnyRow};

use super::{json_list, parse_json_list};
use crate::domain::webhook::{RetiringSecret, Webhook};

const COLUMNS: &str = "id, name, url, event_types, secret, previous_secret, previous_secret_expires_at, \
                       allow_private_targets, active, revision, created_at, updated_at";

pub async fn insert(connection: &mut AnyConnection, webhook: &Webhook) -> sqlx::Result<()> {
    let (previous_secret, previous_expires_at) = previous(webhook);
    sqlx::query(&format!(
        "INSERT INTO webhooks ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"
    ))
    .bind(&webhook.id)
    .bind(&webhook.name)
    .bind(&webhook.url)
    .bind(json_list(&webhook.event_types))
    .bind(&webhook.secret)
    .bind(previous_secret)
    .bind(previous_expires_at)
    .bind(i64::from(webhook.allow_private_targets))
    .bind(i64::from(webhook.active))
    .bind(webhook.revision)
    .bind(webhook.created_at)
    .bind(webhook.updated_at)
    .execute(connection)
    .await?;
    Ok(())
}

/// Stores every field of `webhook` if it is still at `expected_revision`; false when another
/// writer got there first.
pub async fn update(connection: &mut AnyConnection, webhook: &Webhook, expected_revision: i64) -> sqlx::Result<bool> {
    let (previous_secret, previous_expires_at) = previous(webhook);
    let updated = sqlx::query(
        "UPDATE webhooks SET name = $2, url = $3, event_types = $4, secret = $5, previous_secret = $6,
         previous_secret_expires_at = $7, allow_private_targets = $8, active = $9, revision = $10, updated_at = $11
         WHERE id = $1 AND revision = $12",
    )
    .bind(&webhook.id)
    .bind(&webhook.name)
    .bind(&webhook.url)
    .bind(json_list(&webhook.event_types))
    .bind(&webhook.secret)
    .bind(previous_secret)
    .bind(previous_expires_at)
    .bind(i64::from(webhook.allow_private_targets))
    .bind(i64::from(webhook.active))
    .bind(webhook.revision)
    .bind(webhook.updated_at)
    .bind(expected_revision)
    .execute(connection)
    .await?
    .rows_affected();
    Ok(updated == 1)
}

fn previous(webhook: &Webhook) -> (&str, Option<i64>) {
    match &webhook.previous_secret {
        Some(previous) => (previous.secret.as_str(), Some(previous.expires_at)),
        None => ("", None),
    }
}

/// Makes an active webhook inactive (its receiver said 410 Gone); false when it already was.
pub async fn deactivate(connection: &mut AnyConnection, id: &str, now: i64) -> sqlx::Result<bool> {
    let updated = sqlx::query(
        "UPDATE webhooks SET active = 0, revision = revision + 1, updated_at = $2 WHERE id = $1 AND active = 1",
    )
    .bind(id)
    .bind(now)
    .execute(connection)
    .await?
    .rows_affected();
    Ok(updated == 1)
}

/// Deletes the webhook and (by cascade) its deliveries.
pub async fn delete(connection: &mut AnyConnection, id: &str, expected_revision: i64) -> sqlx::Result<bool> {
    let deleted = sqlx::query("DELETE FROM webhooks WHERE id = $1 AND revision = $2")
        .bind(id)
        .bind(expected_revision)
        .execute(connection)
        .await?
        .rows_affected();
    Ok(deleted == 1)
}

pub async fn get(connection: &mut AnyConnection, id: &str) -> sqlx::Result<Option<Webhook>> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM webhooks WHERE id = $1"))
        .bind(id)
        .fetch_optional(connection)
        .await?;
    row.as_ref().map(decode).transpose()
}

/// Every webhook, oldest first.
pub async fn all(connection: &mut AnyConnection) -> sqlx::Result<Vec<Webhook>> {
    let rows =
        sqlx::query(&format!("SELECT {COLUMNS} FROM webhooks ORDER BY created_at, id")).fetch_all(connection).await?;
    rows.iter().map(decode).collect()
}

/// The webhooks that take new deliveries.
pub async fn active(connection: &mut AnyConnection) -> sqlx::Result<Vec<Webhook>> {
    let rows = sqlx::query(&format!("SELECT {COLUMNS} FROM webhooks WHERE active = 1 ORDER BY created_at, id"))
        .fetch_all(connection)
        .await?;
    rows.iter().map(decode).collect()
}

pub async fn count(connection: &mut AnyConnection) -> sqlx::Result<i64> {
    sqlx::query_scalar("SELECT COUNT(*) FROM webhooks").fetch_one(connection).await
}

fn decode(row: &AnyRow) -> sqlx::Result<Webhook> {
    let previous_secret: String = row.try_get("previous_secret")?;
    let previous_expires_at: Option<i64> = row.try_get("previous_secret_expires_at")?;
    Ok(Webhook {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        url: row.try_get("url")?,
        event_types: parse_json_list("event_types", &row.try_get::<String, _>("event_types")?)?,
        secret: row.try_get("secret")?,
        previous_secret: match previous_expires_at {
            Some(expires_at) if !previous_secret.is_empty() => {
                Some(RetiringSecret { secret: previous_secret, expires_at })
            }
            _ => None,
        },
        allow_private_targets: row.try_get::<i64, _>("allow_private_targets")? == 1,
        active: row.try_get::<i64, _>("active")? == 1,
        revision: row.try_get("revision")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}
