//! SLA policies, kept in evaluation order.
use serde::{Deserialize, Serialize};
use sqlx::{AnyConnection, Row, any::AnyRow};

use super::{decode_enum, parse_json};
use crate::domain::{
    Channel, CustomerTier, Priority, TicketType,
    service_level::{Conditions, PolicyTarget, SlaPolicy},
    sla::{Hours, Metric, Target},
};

const COLUMNS: &str = "id, name, description, position, conditions, targets, calendar_id, warning_lead_seconds, revision, created_at, updated_at";

/// Conditions as stored: enum numbers, so a renamed variant never breaks stored policies.
#[derive(Serialize, Deserialize, Default)]
struct StoredConditions {
    priorities: Vec<i64>,
    types: Vec<i64>,
    channels: Vec<i64>,
    customer_tiers: Vec<i64>,
    organization_ids: Vec<String>,
    team_ids: Vec<String>,
    tags: Vec<String>,
}

#[derive(Serialize, Deserialize)]
struct StoredTarget {
    priority: i64,
    metric: i64,
    minutes: i64,
    business_hours: bool,
}

fn conditions_json(conditions: &Conditions) -> String {
    let stored = StoredConditions {
        priorities: conditions.priorities.iter().map(|v| v.number()).collect(),
        types: conditions.types.iter().map(|v| v.number()).collect(),
        channels: conditions.channels.iter().map(|v| v.number()).collect(),
        customer_tiers: conditions.customer_tiers.iter().map(|v| v.number()).collect(),
        organization_ids: conditions.organization_ids.clone(),
        team_ids: conditions.team_ids.clone(),
        tags: conditions.tags.clone(),
    };
    serde_json::to_string(&stored).expect("conditions serialise")
}

fn targets_json(targets: &[PolicyTarget]) -> String {
    let stored: Vec<StoredTarget> = targets
        .iter()
        .map(|t| StoredTarget {
            priority: t.priority.number(),
            metric: t.target.metric.number(),
            minutes: t.target.minutes,
            business_hours: t.target.hours == Hours::Business,
        })
        .collect();
    serde_json::to_string(&stored).expect("targets serialise")
}

pub async fn insert(connection: &mut AnyConnection, policy: &SlaPolicy) -> sqlx::Result<()> {
    sqlx::query(&format!("INSERT INTO sla_policies ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"))
        .bind(&policy.id)
        .bind(&policy.name)
        .bind(&policy.description)
        .bind(policy.position)
        .bind(conditions_json(&policy.conditions))
        .bind(targets_json(&policy.targets))
        .bind(&policy.calendar_id)
        .bind(policy.warning_lead_minutes * 60)
        .bind(policy.revision)
        .bind(policy.created_at)
        .bind(policy.updated_at)
        .execute(connection)
        .await?;
    Ok(())
}

/// Writes the policy if it is still at `expected_revision`; false when someone else won.
pub async fn update(connection: &mut AnyConnection, policy: &SlaPolicy, expected_revision: i64) -> sqlx::Result<bool> {
    let updated = sqlx::query(
        "UPDATE sla_policies SET name = $2, description = $3, position = $4, conditions = $5, targets = $6,
         calendar_id = $7, warning_lead_seconds = $8, revision = $9, updated_at = $10 WHERE id = $1 AND revision = $11",
    )
    .bind(&policy.id)
    .bind(&policy.name)
    .bind(&policy.description)
    .bind(policy.position)
    .bind(conditions_json(&policy.conditions))
    .bind(targets_json(&policy.targets))
    .bind(&policy.calendar_id)
    .bind(policy.warning_lead_minutes * 60)
    .bind(policy.revision)
    .bind(policy.updated_at)
    .bind(expected_revision)
    .execute(connection)
    .await?
    .rows_affected();
    Ok(updated == 1)
}

/// Moves a policy to `position` without touching anything else about it.
pub async fn set_position(connection: &mut AnyConnection, id: &str, position: i64) -> sqlx::Result<()> {
    sqlx::query("UPDATE sla_policies SET position = $2 WHERE id = $1")
        .bind(id)
        .bind(position)
        .execute(connection)
        .await?;
    Ok(())
}

pub async fn delete(connection: &mut AnyConnection, id: &str) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM sla_policies WHERE id = $1").bind(id).execute(connection).await?;
    Ok(())
}

pub async fn get(connection: &mut AnyConnection, id: &str) -> sqlx::Result<Option<SlaPolicy>> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM sla_policies WHERE id = $1"))
        .bind(id)
        .fetch_optional(connection)
        .await?;
    row.as_ref().map(decode).transpose()
}

/// Every policy in evaluation order.
pub async fn all(connection: &mut AnyConnection) -> sqlx::Result<Vec<SlaPolicy>> {
    let rows =
        sqlx::query(&format!("SELECT {COLUMNS} FROM sla_policies ORDER BY position, id")).fetch_all(connection).await?;
    rows.iter().map(decode).collect()
}

pub async fn using_calendar(connection: &mut AnyConnection, calendar_id: &str) -> sqlx::Result<Vec<String>> {
    let rows = sqlx::query("SELECT name FROM sla_policies WHERE calendar_id = $1 ORDER BY position")
        .bind(calendar_id)
        .fetch_all(connection)
        .await?;
    rows.iter().map(|row| row.try_get("name")).collect()
}

fn decode_all<T>(column: &str, numbers: &[i64], from_number: fn(i64) -> Option<T>) -> sqlx::Result<Vec<T>> {
    numbers.iter().map(|&n| decode_enum(column, n, from_number)).collect()
}

fn decode(row: &AnyRow) -> sqlx::Result<SlaPolicy> {
    let stored: StoredConditions = parse_json("conditions", &row.try_get::<String, _>("conditions")?)?;
    let conditions = Conditions {
        priorities: decode_all("conditions", &stored.priorities, Priority::from_number)?,
        types: decode_all("conditions", &stored.types, TicketType::from_number)?,
        channels: decode_all("conditions", &stored.channels, Channel::from_number)?,
        customer_tiers: decode_all("conditions", &stored.customer_tiers, CustomerTier::from_number)?,
        organization_ids: stored.organization_ids,
        team_ids: stored.team_ids,
        tags: stored.tags,
    };
    let stored_targets: Vec<StoredTarget> = parse_json("targets", &row.try_get::<String, _>("targets")?)?;
    let targets = stored_targets
        .into_iter()
        .map(|t| {
            Ok(PolicyTarget {
                priority: decode_enum("targets", t.priority, Priority::from_number)?,
                target: Target {
                    metric: decode_enum("targets", t.metric, Metric::from_number)?,
                    minutes: t.minutes,
                    hours: if t.business_hours { Hours::Business } else { Hours::Calendar },
                },
            })
        })
        .collect::<sqlx::Result<Vec<_>>>()?;
    Ok(SlaPolicy {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        description: row.try_get("description")?,
        position: row.try_get("position")?,
        conditions,
        targets,
        calendar_id: row.try_get("calendar_id")?,
        warning_lead_minutes: row.try_get::<i64, _>("warning_lead_seconds")? / 60,
        revision: row.try_get("revision")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}
