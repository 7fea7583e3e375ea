//! Team routing settings, round robin's place, and the open load routing weighs.
use std::collections::HashMap;

use sqlx::{AnyConnection, Row, any::AnyRow};

use super::decode_enum;
use crate::domain::{
    Status,
    routing::{Strategy, TeamRouting},
};

const COLUMNS: &str = "team_id, strategy, capacity_per_agent, product_field, last_assignee_id, revision, updated_at";

/// Creates or replaces the team's routing if it is still at `expected_revision` (0: absent).
pub async fn save(connection: &mut AnyConnection, routing: &TeamRouting, expected_revision: i64) -> sqlx::Result<bool> {
    let written = if expected_revision == 0 {
        sqlx::query(&format!(
            "INSERT INTO team_routings ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (team_id) DO NOTHING"
        ))
        .bind(&routing.team_id)
        .bind(routing.strategy.number())
        .bind(routing.capacity_per_agent)
        .bind(&routing.product_field)
        .bind(&routing.last_assignee_id)
        .bind(routing.revision)
        .bind(routing.updated_at)
        .execute(connection)
        .await?
    } else {
        sqlx::query(
            "UPDATE team_routings SET strategy = $2, capacity_per_agent = $3, product_field = $4, revision = $5,
             updated_at = $6 WHERE team_id = $1 AND revision = $7",
        )
        .bind(&routing.team_id)
        .bind(routing.strategy.number())
        .bind(routing.capacity_per_agent)
        .bind(&routing.product_field)
        .bind(routing.revision)
        .bind(routing.updated_at)
        .bind(expected_revision)
        .execute(connection)
        .await?
    };
    Ok(written.rows_affected() == 1)
}

/// Moves round robin on; not a change of settings, so the revision stays.
pub async fn set_last_assignee(connection: &mut AnyConnection, team_id: &str, assignee_id: &str) -> sqlx::Result<()> {
    sqlx::query("UPDATE team_routings SET last_assignee_id = $2 WHERE team_id = $1")
        .bind(team_id)
        .bind(assignee_id)
        .execute(connection)
        .await?;
    Ok(())
}

pub async fn delete(connection: &mut AnyConnection, team_id: &str) -> sqlx::Result<bool> {
    let deleted = sqlx::query("DELETE FROM team_routings WHERE team_id = $1")
        .bind(team_id)
        .execute(connection)
        .await?
        .rows_affected();
    Ok(deleted == 1)
}

pub async fn get(connection: &mut AnyConnection, team_id: &str) -> sqlx::Result<Option<TeamRouting>> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM team_routings WHERE team_id = $1"))
        .bind(team_id)
        .fetch_optional(connection)
        .await?;
    row.as_ref().map(decode).transpose()
}

pub async fn all(connection: &mut AnyConnection) -> sqlx::Result<Vec<TeamRouting>> {
    let rows =
        sqlx::query(&format!("SELECT {COLUMNS} FROM team_routings ORDER BY team_id")).fetch_all(connection).await?;
    rows.iter().map(decode).collect()
}

/// Unsolved tickets held by each of `agents` (absent: none).
pub async fn open_load(connection: &mut AnyConnection, agents: &[String]) -> sqlx::Result<HashMap<String, i64>> {
    if agents.is_empty() {
        return Ok(HashMap::new());
    }
    let placeholders: Vec<String> = (3..agents.len() + 3).map(|n| format!("${n}")).collect();
    let sql = format!(
        "SELECT assignee_id, COUNT(*) AS load FROM tickets WHERE status >= $1 AND status < $2
         AND assignee_id IN ({}) GROUP BY assignee_id",
        placeholders.join(", ")
    );
    let mut query = sqlx::query(&sql).bind(Status::New.number()).bind(Status::Solved.number());
    for agent in agents {
        query = query.bind(agent.as_str());
    }
    let rows = query.fetch_all(connection).await?;
    rows.iter().map(|row| Ok((row.try_get("assignee_id")?, row.try_get("load")?))).collect()
}

fn decode(row: &AnyRow) -> sqlx::Result<TeamRouting> {
    Ok(TeamRouting {
        team_id: row.try_get("team_id")?,
        strategy: decode_enum("strategy", row.try_get("strategy")?, Strategy::from_number)?,
        capacity_per_agent: row.try_get("capacity_per_agent")?,
        product_field: row.try_get("product_field")?,
        last_assignee_id: row.try_get("last_assignee_id")?,
        revision: row.try_get("revision")?,
        updated_at: row.try_get("updated_at")?,
    })
}
