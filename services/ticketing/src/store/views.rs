//! Saved ticket views.
use sqlx::{AnyConnection, Row, any::AnyRow};

use crate::domain::view::TicketView;

const COLUMNS: &str = "id, name, filter, order_by, owner_id, team_id, created_at, updated_at, revision";

pub async fn insert(connection: &mut AnyConnection, view: &TicketView) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO ticket_views (id, name, filter, order_by, owner_id, team_id, created_at, updated_at, revision)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(&view.id)
    .bind(&view.name)
    .bind(&view.filter)
    .bind(&view.order_by)
    .bind(&view.owner_id)
    .bind(&view.team_id)
    .bind(view.created_at)
    .bind(view.updated_at)
    .bind(view.revision)
    .execute(connection)
    .await?;
    Ok(())
}

pub async fn update(connection: &mut AnyConnection, view: &TicketView, expected_revision: i64) -> sqlx::Result<bool> {
    let updated = sqlx::query(
        "UPDATE ticket_views SET name = $2, filter = $3, order_by = $4, team_id = $5, updated_at = $6, revision = $7
         WHERE id = $1 AND revision = $8",
    )
    .bind(&view.id)
    .bind(&view.name)
    .bind(&view.filter)
    .bind(&view.order_by)
    .bind(&view.team_id)
    .bind(view.updated_at)
    .bind(view.revision)
    .bind(expected_revision)
    .execute(connection)
    .await?
    .rows_affected();
    Ok(updated == 1)
}

pub async fn delete(connection: &mut AnyConnection, id: &str) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM ticket_views WHERE id = $1").bind(id).execute(connection).await?;
    Ok(())
}

pub async fn get(connection: &mut AnyConnection, id: &str) -> sqlx::Result<Option<TicketView>> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM ticket_views WHERE id = $1"))
        .bind(id)
        .fetch_optional(connection)
        .await?;
    row.as_ref().map(decode).transpose()
}

/// The caller's own views and those shared with `team_id` (or with any team, when `all_teams`).
pub async fn visible(
    connection: &mut AnyConnection,
    owner_id: &str,
    team_id: Option<&str>,
    all_teams: bool,
) -> sqlx::Result<Vec<TicketView>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM ticket_views WHERE owner_id = $1 OR (team_id <> '' AND (team_id = $2 OR $3 = 1)) ORDER BY name, id"
    );
    let rows = sqlx::query(&sql)
        .bind(owner_id)
        .bind(team_id.unwrap_or(""))
        .bind(i64::from(all_teams))
        .fetch_all(connection)
        .await?;
    rows.iter().map(decode).collect()
}

fn decode(row: &AnyRow) -> sqlx::Result<TicketView> {
    Ok(TicketView {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        filter: row.try_get("filter")?,
        order_by: row.try_get("order_by")?,
        owner_id: row.try_get("owner_id")?,
        team_id: row.try_get("team_id")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
        revision: row.try_get("revision")?,
    })
}
