//! The escalation history of tickets and the automatic escalation rules.
use serde::{Deserialize, Serialize};
use sqlx::{AnyConnection, Row, any::AnyRow};

use super::{decode_enum, parse_json};
use crate::domain::{
    escalation::{Direction, Escalation, EscalationRule, RuleCondition, Tier},
    sla::Metric,
};

const HISTORY_COLUMNS: &str =
    "id, ticket_id, direction, from_tier, to_tier, team_id, assignee_id, reason, actor, rule_id, created_at";
const RULE_COLUMNS: &str = "id, name, active, condition, tier, team_id, assignee_id, revision, created_at";

/// Records a step. A rule's second step on the same ticket breaks the unique index: the caller
/// treats that as "already escalated by this rule".
pub async fn insert(connection: &mut AnyConnection, escalation: &Escalation) -> sqlx::Result<()> {
    sqlx::query(&format!(
        "INSERT INTO ticket_escalations ({HISTORY_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
    ))
    .bind(&escalation.id)
    .bind(escalation.ticket_id)
    .bind(escalation.direction.number())
    .bind(escalation.from_tier.number())
    .bind(escalation.to_tier.number())
    .bind(&escalation.team_id)
    .bind(&escalation.assignee_id)
    .bind(&escalation.reason)
    .bind(&escalation.actor)
    .bind(&escalation.rule_id)
    .bind(escalation.created_at)
    .execute(connection)
    .await?;
    Ok(())
}

/// Whether `rule_id` already escalated the ticket (each rule acts once per ticket).
pub async fn rule_applied(connection: &mut AnyConnection, ticket_id: i64, rule_id: &str) -> sqlx::Result<bool> {
    let row = sqlx::query("SELECT COUNT(*) AS n FROM ticket_escalations WHERE ticket_id = $1 AND rule_id = $2")
        .bind(ticket_id)
        .bind(rule_id)
        .fetch_one(connection)
        .await?;
    Ok(row.try_get::<i64, _>("n")? > 0)
}

pub async fn for_ticket(connection: &mut AnyConnection, ticket_id: i64) -> sqlx::Result<Vec<Escalation>> {
    let rows = sqlx::query(&format!(
        "SELECT {HISTORY_COLUMNS} FROM ticket_escalations WHERE ticket_id = $1 ORDER BY created_at, id"
    ))
    .bind(ticket_id)
    .fetch_all(connection)
    .await?;
    rows.iter().map(decode_escalation).collect()
}

fn decode_escalation(row: &AnyRow) -> sqlx::Result<Escalation> {
    Ok(Escalation {
        id: row.try_get("id")?,
        ticket_id: row.try_get("ticket_id")?,
        direction: decode_enum("direction", row.try_get("direction")?, Direction::from_number)?,
        from_tier: decode_enum("from_tier", row.try_get("from_tier")?, Tier::from_number)?,
        to_tier: decode_enum("to_tier", row.try_get("to_tier")?, Tier::from_number)?,
        team_id: row.try_get("team_id")?,
        assignee_id: row.try_get("assignee_id")?,
        reason: row.try_get("reason")?,
        actor: row.try_get("actor")?,
        rule_id: row.try_get("rule_id")?,
        created_at: row.try_get("created_at")?,
    })
}

/// A rule's condition as stored.
#[derive(Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum StoredCondition {
    SlaBreach { metric: i64 },
    VipUrgent,
    Reopened { times: i64 },
    BadSatisfaction,
}

fn condition_json(condition: &Option<RuleCondition>) -> String {
    let stored = match condition {
        Some(RuleCondition::SlaBreach { metric }) => {
            StoredCondition::SlaBreach { metric: metric.map_or(0, Metric::number) }
        }
        Some(RuleCondition::VipUrgent) => StoredCondition::VipUrgent,
        Some(RuleCondition::Reopened { times }) => StoredCondition::Reopened { times: *times },
        Some(RuleCondition::BadSatisfaction) | None => StoredCondition::BadSatisfaction,
    };
    serde_json::to_string(&stored).expect("condition serialises")
}

pub async fn insert_rule(connection: &mut AnyConnection, rule: &EscalationRule) -> sqlx::Result<()> {
    sqlx::query(&format!("INSERT INTO escalation_rules ({RULE_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"))
        .bind(&rule.id)
        .bind(&rule.name)
        .bind(i64::from(rule.active))
        .bind(condition_json(&rule.condition))
        .bind(rule.tier.map_or(0, Tier::number))
        .bind(&rule.team_id)
        .bind(&rule.assignee_id)
        .bind(rule.revision)
        .bind(rule.created_at)
        .execute(connection)
        .await?;
    Ok(())
}

pub async fn update_rule(
    connection: &mut AnyConnection,
    rule: &EscalationRule,
    expected_revision: i64,
) -> sqlx::Result<bool> {
    let updated = sqlx::query(
        "UPDATE escalation_rules SET name = $2, active = $3, condition = $4, tier = $5, team_id = $6,
         assignee_id = $7, revision = $8 WHERE id = $1 AND revision = $9",
    )
    .bind(&rule.id)
    .bind(&rule.name)
    .bind(i64::from(rule.active))
    .bind(condition_json(&rule.condition))
    .bind(rule.tier.map_or(0, Tier::number))
    .bind(&rule.team_id)
    .bind(&rule.assignee_id)
    .bind(rule.revision)
    .bind(expected_revision)
    .execute(connection)
    .await?
    .rows_affected();
    Ok(updated == 1)
}

pub async fn delete_rule(connection: &mut AnyConnection, id: &str) -> sqlx::Result<bool> {
    let deleted =
        sqlx::query("DELETE FROM escalation_rules WHERE id = $1").bind(id).execute(connection).await?.rows_affected();
    Ok(deleted == 1)
}

pub async fn get_rule(connection: &mut AnyConnection, id: &str) -> sqlx::Result<Option<EscalationRule>> {
    let row = sqlx::query(&format!("SELECT {RULE_COLUMNS} FROM escalation_rules WHERE id = $1"))
        .bind(id)
        .fetch_optional(connection)
        .await?;
    row.as_ref().map(decode_rule).transpose()
}

/// Every rule, oldest first (the order they are tried in).
pub async fn rules(connection: &mut AnyConnection) -> sqlx::Result<Vec<EscalationRule>> {
    let rows = sqlx::query(&format!("SELECT {RULE_COLUMNS} FROM escalation_rules ORDER BY created_at, id"))
        .fetch_all(connection)
        .await?;
    rows.iter().map(decode_rule).collect()
}

fn decode_rule(row: &AnyRow) -> sqlx::Result<EscalationRule> {
    let stored: StoredCondition = parse_json("condition", &row.try_get::<String, _>("condition")?)?;
    let condition = match stored {
        StoredCondition::SlaBreach { metric } => RuleCondition::SlaBreach { metric: Metric::from_number(metric) },
        StoredCondition::VipUrgent => RuleCondition::VipUrgent,
        StoredCondition::Reopened { times } => RuleCondition::Reopened { times },
        StoredCondition::BadSatisfaction => RuleCondition::BadSatisfaction,
    };
    Ok(EscalationRule {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        active: row.try_get::<i64, _>("active")? == 1,
        condition: Some(condition),
        tier: Some(decode_enum("tier", row.try_get("tier")?, Tier::from_number)?),
        team_id: row.try_get("team_id")?,
        assignee_id: row.try_get("assignee_id")?,
        revision: row.try_get("revision")?,
        created_at: row.try_get("created_at")?,
    })
}
