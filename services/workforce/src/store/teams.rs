//! Teams and departments.
use sqlx::{AnyConnection, Row, any::AnyRow};

use crate::domain::team::{Department, Team};

const COLUMNS: &str =
    "id, name, department_id, lead_id, time_zone, max_concurrent_time_off, created_at, updated_at, revision";

pub async fn insert(connection: &mut AnyConnection, team: &Team) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO teams (id, name, department_id, lead_id, time_zone, max_concurrent_time_off, created_at, updated_at, revision)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(&team.id)
    .bind(&team.name)
    .bind(&team.department_id)
    .bind(&team.lead_id)
    .bind(&team.time_zone)
    .bind(team.max_concurrent_time_off)
    .bind(team.created_at)
    .bind(team.updated_at)
    .bind(team.revision)
    .execute(connection)
    .await?;
    Ok(())
}

pub async fn update(connection: &mut AnyConnection, team: &Team, expected_revision: i64) -> sqlx::Result<bool> {
    let updated = sqlx::query(
        "UPDATE teams SET name = $2, department_id = $3, lead_id = $4, time_zone = $5, max_concurrent_time_off = $6,
             updated_at = $7, revision = $8 WHERE id = $1 AND revision = $9",
    )
    .bind(&team.id)
    .bind(&team.name)
    .bind(&team.department_id)
    .bind(&team.lead_id)
    .bind(&team.time_zone)
    .bind(team.max_concurrent_time_off)
    .bind(team.updated_at)
    .bind(team.revision)
    .bind(expected_revision)
    .execute(connection)
    .await?
    .rows_affected();
    Ok(updated == 1)
}

pub async fn get(connection: &mut AnyConnection, id: &str) -> sqlx::Result<Option<Team>> {
    let row =
        sqlx::query(&format!("SELECT {COLUMNS} FROM teams WHERE id = $1")).bind(id).fetch_optional(connection).await?;
    row.as_ref().map(decode).transpose()
}

pub async fn list(connection: &mut AnyConnection, department_id: &str) -> sqlx::Result<Vec<Team>> {
    let rows = sqlx::query(&format!("SELECT {COLUMNS} FROM teams WHERE ($1 = '' OR department_id = $1) ORDER BY name"))
        .bind(department_id)
        .fetch_all(connection)
        .await?;
    rows.iter().map(decode).collect()
}

pub async fn insert_department(connection: &mut AnyConnection, department: &Department) -> sqlx::Result<()> {
    sqlx::query("INSERT INTO departments (id, name, head_id, created_at) VALUES ($1, $2, $3, $4)")
        .bind(&department.id)
        .bind(&department.name)
        .bind(&department.head_id)
        .bind(department.created_at)
        .execute(connection)
        .await?;
    Ok(())
}

pub async fn department_exists(connection: &mut AnyConnection, id: &str) -> sqlx::Result<bool> {
    Ok(sqlx::query("SELECT 1 FROM departments WHERE id = $1").bind(id).fetch_optional(connection).await?.is_some())
}

pub async fn departments(connection: &mut AnyConnection) -> sqlx::Result<Vec<Department>> {
    let rows = sqlx::query("SELECT id, name, head_id, created_at FROM departments ORDER BY name")
        .fetch_all(connection)
        .await?;
    rows.iter()
        .map(|row| {
            Ok(Department {
                id: row.try_get("id")?,
                name: row.try_get("name")?,
                head_id: row.try_get("head_id")?,
                created_at: row.try_get("created_at")?,
            })
        })
        .collect()
}

fn decode(row: &AnyRow) -> sqlx::Result<Team> {
    Ok(Team {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        department_id: row.try_get("department_id")?,
        lead_id: row.try_get("lead_id")?,
        time_zone: row.try_get("time_zone")?,
        max_concurrent_time_off: row.try_get("max_concurrent_time_off")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
        revision: row.try_get("revision")?,
    })
}
