//! Webhook subscriptions. Their signing secrets are stored sealed (see
//! `frontline_shared::sealing`), bound to the webhook's id: what is written is sealed with the
//! current key, what is read is opened with any configured key.
use frontline_shared::sealing::SealingKeys;
use sqlx::{AnyConnection, Row, any::AnyRow};

use super::{json_list, parse_json_list};
use crate::domain::webhook::{RetiringSecret, Webhook};

const COLUMNS: &str = "id, name, url, event_types, secret, previous_secret, previous_secret_expires_at, \
                       allow_private_targets, active, revision, created_at, updated_at";

pub async fn insert(connection: &mut AnyConnection, keys: &SealingKeys, webhook: &Webhook) -> sqlx::Result<()> {
    let (secret, previous_secret, previous_expires_at) = sealed(keys, webhook)?;
    sqlx::query(&format!(
        "INSERT INTO webhooks ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"
    ))
    .bind(&webhook.id)
    .bind(&webhook.name)
    .bind(&webhook.url)
    .bind(json_list(&webhook.event_types))
    .bind(secret)
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
pub async fn update(
    connection: &mut AnyConnection,
    keys: &SealingKeys,
    webhook: &Webhook,
    expected_revision: i64,
) -> sqlx::Result<bool> {
    let (secret, previous_secret, previous_expires_at) = sealed(keys, webhook)?;
    let updated = sqlx::query(
        "UPDATE webhooks SET name = $2, url = $3, event_types = $4, secret = $5, previous_secret = $6,
         previous_secret_expires_at = $7, allow_private_targets = $8, active = $9, revision = $10, updated_at = $11
         WHERE id = $1 AND revision = $12",
    )
    .bind(&webhook.id)
    .bind(&webhook.name)
    .bind(&webhook.url)
    .bind(json_list(&webhook.event_types))
    .bind(secret)
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

/// The secrets as stored: sealed, and '' for no previous secret.
fn sealed(keys: &SealingKeys, webhook: &Webhook) -> sqlx::Result<(String, String, Option<i64>)> {
    let seal =
        |secret: &str| keys.seal(secret, &associated(&webhook.id)).map_err(|error| sqlx::Error::Encode(error.into()));
    Ok(match &webhook.previous_secret {
        Some(previous) => (seal(&webhook.secret)?, seal(&previous.secret)?, Some(previous.expires_at)),
        None => (seal(&webhook.secret)?, String::new(), None),
    })
}

/// What a sealed secret is bound to: a value copied to another webhook's row does not open.
fn associated(id: &str) -> String {
    format!("webhook:{id}")
}

/// Opens a stored secret. Plain text, stored before sealing existed (or by an older replica
/// during an upgrade), is read as it is until [`seal_stored_secrets`] seals it.
fn open(keys: &SealingKeys, id: &str, stored: &str) -> sqlx::Result<String> {
    if !SealingKeys::is_sealed(stored) {
        return Ok(stored.to_string());
    }
    keys.open(stored, &associated(id)).map_err(|error| sqlx::Error::Decode(unreadable(id, &error).into()))
}

fn unreadable(id: &str, error: &dyn std::fmt::Display) -> String {
    format!(
        "the signing secret of webhook {id} cannot be read: {error}; every ticketing process must have the key \
         it was sealed with as secrets.key or in secrets.previous_keys"
    )
}

/// Seals every secret still stored in plain text and reseals those sealed with a previous key,
/// in one transaction; returns how many webhooks were rewritten. A secret that no configured
/// key opens is an error naming the webhook, and nothing is written: a secret is never lost.
pub async fn seal_stored_secrets(connection: &mut AnyConnection, keys: &SealingKeys) -> anyhow::Result<usize> {
    let rows =
        sqlx::query("SELECT id, secret, previous_secret FROM webhooks ORDER BY id").fetch_all(&mut *connection).await?;
    let mut rewritten = 0;
    for row in rows {
        let (id, secret, previous): (String, String, String) =
            (row.try_get("id")?, row.try_get("secret")?, row.try_get("previous_secret")?);
        let reseal = |stored: &str| -> anyhow::Result<Option<String>> {
            if stored.is_empty() {
                return Ok(None);
            }
            keys.reseal(stored, &associated(&id)).map_err(|error| anyhow::anyhow!(unreadable(&id, &error)))
        };
        let (new_secret, new_previous) = (reseal(&secret)?, reseal(&previous)?);
        if new_secret.is_none() && new_previous.is_none() {
            continue;
        }
        // Neither revision nor updated_at moves: the webhook is the same, only its storage changed.
        // Compared with what was read, so a concurrent rotation is never overwritten.
        let updated = sqlx::query(
            "UPDATE webhooks SET secret = $2, previous_secret = $3 WHERE id = $1 AND secret = $4 AND previous_secret = $5",
        )
        .bind(&id)
        .bind(new_secret.as_deref().unwrap_or(&secret))
        .bind(new_previous.as_deref().unwrap_or(&previous))
        .bind(&secret)
        .bind(&previous)
        .execute(&mut *connection)
        .await?
        .rows_affected();
        rewritten += updated as usize;
    }
    Ok(rewritten)
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

pub async fn get(connection: &mut AnyConnection, keys: &SealingKeys, id: &str) -> sqlx::Result<Option<Webhook>> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM webhooks WHERE id = $1"))
        .bind(id)
        .fetch_optional(connection)
        .await?;
    row.as_ref().map(|row| decode(keys, row)).transpose()
}

/// Every webhook, oldest first.
pub async fn all(connection: &mut AnyConnection, keys: &SealingKeys) -> sqlx::Result<Vec<Webhook>> {
    let rows =
        sqlx::query(&format!("SELECT {COLUMNS} FROM webhooks ORDER BY created_at, id")).fetch_all(connection).await?;
    rows.iter().map(|row| decode(keys, row)).collect()
}

/// The webhooks that take new deliveries.
pub async fn active(connection: &mut AnyConnection, keys: &SealingKeys) -> sqlx::Result<Vec<Webhook>> {
    let rows = sqlx::query(&format!("SELECT {COLUMNS} FROM webhooks WHERE active = 1 ORDER BY created_at, id"))
        .fetch_all(connection)
        .await?;
    rows.iter().map(|row| decode(keys, row)).collect()
}

pub async fn exists(connection: &mut AnyConnection, id: &str) -> sqlx::Result<bool> {
    let found: Option<i64> =
        sqlx::query_scalar("SELECT 1 FROM webhooks WHERE id = $1").bind(id).fetch_optional(connection).await?;
    Ok(found.is_some())
}

pub async fn count(connection: &mut AnyConnection) -> sqlx::Result<i64> {
    sqlx::query_scalar("SELECT COUNT(*) FROM webhooks").fetch_one(connection).await
}

fn decode(keys: &SealingKeys, row: &AnyRow) -> sqlx::Result<Webhook> {
    let id: String = row.try_get("id")?;
    let previous_secret: String = row.try_get("previous_secret")?;
    let previous_expires_at: Option<i64> = row.try_get("previous_secret_expires_at")?;
    Ok(Webhook {
        name: row.try_get("name")?,
        url: row.try_get("url")?,
        event_types: parse_json_list("event_types", &row.try_get::<String, _>("event_types")?)?,
        secret: open(keys, &id, &row.try_get::<String, _>("secret")?)?,
        previous_secret: match previous_expires_at {
            Some(expires_at) if !previous_secret.is_empty() => {
                Some(RetiringSecret { secret: open(keys, &id, &previous_secret)?, expires_at })
            }
            _ => None,
        },
        allow_private_targets: row.try_get::<i64, _>("allow_private_targets")? == 1,
        active: row.try_get::<i64, _>("active")? == 1,
        revision: row.try_get("revision")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
        id,
    })
}
