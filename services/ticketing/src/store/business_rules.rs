//! Triggers, automations and macros, and the automation runs that keep automations exactly-once.
use sqlx::{AnyConnection, Row, any::AnyRow};

use super::{decode_enum, parse_json};
use crate::domain::business_rule::{BusinessRule, RuleKind};

const COLUMNS: &str =
    "id, kind, name, position, active, conditions, actions, reply, reply_public, revision, created_at, updated_at";

fn conditions_json(rule: &BusinessRule) -> String {
    serde_json::to_string(&rule.conditions).expect("conditions serialise")
}

fn actions_json(rule: &BusinessRule) -> String {
    serde_json::to_string(&rule.actions).expect("actions serialise")
}

pub async fn insert(connection: &mut AnyConnection, rule: &BusinessRule) -> sqlx::Result<()> {
    sqlx::query(&format!(
        "INSERT INTO business_rules ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"
    ))
    .bind(&rule.id)
    .bind(rule.kind.number())
    .bind(&rule.name)
    .bind(rule.position)
    .bind(i64::from(rule.active))
    .bind(conditions_json(rule))
    .bind(actions_json(rule))
    .bind(&rule.reply)
    .bind(i64::from(rule.reply_public))
    .bind(rule.revision)
    .bind(rule.created_at)
    .bind(rule.updated_at)
    .execute(connection)
    .await?;
    Ok(())
}

/// Writes the rule if it is still at `expected_revision`; false when someone else won.
pub async fn update(connection: &mut AnyConnection, rule: &BusinessRule, expected_revision: i64) -> sqlx::Result<bool> {
    let updated = sqlx::query(
        "UPDATE business_rules SET name = $2, position = $3, active = $4, conditions = $5, actions = $6, reply = $7,
         reply_public = $8, revision = $9, updated_at = $10 WHERE id = $1 AND revision = $11",
    )
    .bind(&rule.id)
    .bind(&rule.name)
    .bind(rule.position)
    .bind(i64::from(rule.active))
    .bind(conditions_json(rule))
    .bind(actions_json(rule))
    .bind(&rule.reply)
    .bind(i64::from(rule.reply_public))
    .bind(rule.revision)
    .bind(rule.updated_at)
    .bind(expected_revision)
    .execute(connection)
    .await?
    .rows_affected();
    Ok(updated == 1)
}

pub async fn delete(connection: &mut AnyConnection, id: &str) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM business_rules WHERE id = $1").bind(id).execute(connection).await?;
    Ok(())
}

pub async fn get(connection: &mut AnyConnection, id: &str) -> sqlx::Result<Option<BusinessRule>> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM business_rules WHERE id = $1"))
        .bind(id)
        .fetch_optional(connection)
        .await?;
    row.as_ref().map(decode).transpose()
}

/// Rules of `kind` (every kind when None) in the order they run.
pub async fn list(connection: &mut AnyConnection, kind: Option<RuleKind>) -> sqlx::Result<Vec<BusinessRule>> {
    let rows = match kind {
        Some(kind) => {
            sqlx::query(&format!("SELECT {COLUMNS} FROM business_rules WHERE kind = $1 ORDER BY position, id"))
                .bind(kind.number())
                .fetch_all(connection)
                .await?
        }
        None => {
            sqlx::query(&format!("SELECT {COLUMNS} FROM business_rules ORDER BY kind, position, id"))
                .fetch_all(connection)
                .await?
        }
    };
    rows.iter().map(decode).collect()
}

/// The next position at the end of `kind`'s list.
pub async fn next_position(connection: &mut AnyConnection, kind: RuleKind) -> sqlx::Result<i64> {
    let row = sqlx::query("SELECT COALESCE(MAX(position), 0) + 1 AS next FROM business_rules WHERE kind = $1")
        .bind(kind.number())
        .fetch_one(connection)
        .await?;
    row.try_get("next")
}

/// Claims one automation's run on one revision of a ticket; false when it already ran there.
pub async fn claim_automation_run(
    connection: &mut AnyConnection,
    automation_id: &str,
    ticket_id: i64,
    ticket_revision: i64,
    now: i64,
) -> sqlx::Result<bool> {
    let inserted = sqlx::query(
        "INSERT INTO automation_runs (automation_id, ticket_id, ticket_revision, ran_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (automation_id, ticket_id, ticket_revision) DO NOTHING",
    )
    .bind(automation_id)
    .bind(ticket_id)
    .bind(ticket_revision)
    .bind(now)
    .execute(connection)
    .await?
    .rows_affected();
    Ok(inserted == 1)
}

fn decode(row: &AnyRow) -> sqlx::Result<BusinessRule> {
    Ok(BusinessRule {
        id: row.try_get("id")?,
        kind: decode_enum("kind", row.try_get("kind")?, RuleKind::from_number)?,
        name: row.try_get("name")?,
        position: row.try_get("position")?,
        active: row.try_get::<i64, _>("active")? == 1,
        conditions: parse_json("conditions", &row.try_get::<String, _>("conditions")?)?,
        actions: parse_json("actions", &row.try_get::<String, _>("actions")?)?,
        reply: row.try_get("reply")?,
        reply_public: row.try_get::<i64, _>("reply_public")? == 1,
        revision: row.try_get("revision")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}
