//! Verification rules.
use sqlx::{AnyConnection, Row, any::AnyRow};

use crate::domain::{model::Rule, verification::RuleTrigger};

pub async fn insert(connection: &mut AnyConnection, rule: &Rule) -> sqlx::Result<()> {
    let (at_least, within_days, tag) = match &rule.trigger {
        RuleTrigger::NotHelpfulVotes { at_least, within_days } => {
            (i64::from(*at_least), within_days.map_or(0, i64::from), "")
        }
        RuleTrigger::TagChanged { tag } => (0, 0, tag.as_str()),
    };
    sqlx::query(
        "INSERT INTO verification_rules (id, name, collection_id, not_helpful_at_least, not_helpful_within_days, tag_changed, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(&rule.id)
    .bind(&rule.name)
    .bind(&rule.collection_id)
    .bind(at_least)
    .bind(within_days)
    .bind(tag)
    .bind(rule.created_at)
    .execute(connection)
    .await?;
    Ok(())
}

pub async fn delete(connection: &mut AnyConnection, id: &str) -> sqlx::Result<bool> {
    Ok(sqlx::query("DELETE FROM verification_rules WHERE id = $1").bind(id).execute(connection).await?.rows_affected()
        == 1)
}

pub async fn all(connection: &mut AnyConnection) -> sqlx::Result<Vec<Rule>> {
    let rows = sqlx::query(
        "SELECT id, name, collection_id, not_helpful_at_least, not_helpful_within_days, tag_changed, created_at
         FROM verification_rules ORDER BY created_at, id",
    )
    .fetch_all(connection)
    .await?;
    rows.iter().map(decode).collect()
}

fn decode(row: &AnyRow) -> sqlx::Result<Rule> {
    let tag: String = row.try_get("tag_changed")?;
    let trigger = if tag.is_empty() {
        let within_days: i64 = row.try_get("not_helpful_within_days")?;
        RuleTrigger::NotHelpfulVotes {
            at_least: row.try_get::<i64, _>("not_helpful_at_least")?.try_into().unwrap_or(u32::MAX),
            within_days: (within_days > 0).then(|| within_days.try_into().unwrap_or(u32::MAX)),
        }
    } else {
        RuleTrigger::TagChanged { tag }
    };
    Ok(Rule {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        collection_id: row.try_get("collection_id")?,
        trigger,
        created_at: row.try_get("created_at")?,
    })
}
