//! Time off.
use sqlx::{AnyConnection, Row, any::AnyRow};

use super::decode_enum;
use crate::domain::time_off::{TimeOff, TimeOffKind, TimeOffStatus};

const COLUMNS: &str = "id, person_id, kind, starts_at, ends_at, status, reason, decided_by, decided_at, decision_note, created_at, revision";

pub async fn insert(connection: &mut AnyConnection, time_off: &TimeOff) -> sqlx::Result<()> {
    sqlx::query(&format!(
        "INSERT INTO time_off ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"
    ))
    .bind(&time_off.id)
    .bind(&time_off.person_id)
    .bind(time_off.kind.number())
    .bind(time_off.starts_at)
    .bind(time_off.ends_at)
    .bind(time_off.status.number())
    .bind(&time_off.reason)
    .bind(&time_off.decided_by)
    .bind(time_off.decided_at)
    .bind(&time_off.decision_note)
    .bind(time_off.created_at)
    .bind(time_off.revision)
    .execute(connection)
    .await?;
    Ok(())
}

pub async fn update(connection: &mut AnyConnection, time_off: &TimeOff, expected_revision: i64) -> sqlx::Result<bool> {
    let updated = sqlx::query(
        "UPDATE time_off SET status = $2, decided_by = $3, decided_at = $4, decision_note = $5, revision = $6
         WHERE id = $1 AND revision = $7",
    )
    .bind(&time_off.id)
    .bind(time_off.status.number())
    .bind(&time_off.decided_by)
    .bind(time_off.decided_at)
    .bind(&time_off.decision_note)
    .bind(time_off.revision)
    .bind(expected_revision)
    .execute(connection)
    .await?
    .rows_affected();
    Ok(updated == 1)
}

pub async fn get(connection: &mut AnyConnection, id: &str) -> sqlx::Result<Option<TimeOff>> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM time_off WHERE id = $1"))
        .bind(id)
        .fetch_optional(connection)
        .await?;
    row.as_ref().map(decode).transpose()
}

/// Time off overlapping [from, to), filtered by person ids (empty: everyone) and status (None: any).
pub async fn overlapping(
    connection: &mut AnyConnection,
    person_ids: &[String],
    status: Option<TimeOffStatus>,
    from: i64,
    to: i64,
) -> sqlx::Result<Vec<TimeOff>> {
    let mut sql =
        format!("SELECT {COLUMNS} FROM time_off WHERE starts_at < $1 AND ends_at > $2 AND ($3 = 0 OR status = $3)");
    if !person_ids.is_empty() {
        let placeholders: Vec<String> = (0..person_ids.len()).map(|n| format!("${}", n + 4)).collect();
        sql.push_str(&format!(" AND person_id IN ({})", placeholders.join(", ")));
    }
    sql.push_str(" ORDER BY starts_at, id");
    let mut query = sqlx::query(&sql).bind(to).bind(from).bind(status.map_or(0, |s| s.number()));
    for id in person_ids {
        query = query.bind(id.as_str());
    }
    query.fetch_all(connection).await?.iter().map(decode).collect()
}

fn decode(row: &AnyRow) -> sqlx::Result<TimeOff> {
    Ok(TimeOff {
        id: row.try_get("id")?,
        person_id: row.try_get("person_id")?,
        kind: decode_enum("kind", row.try_get("kind")?, TimeOffKind::from_number)?,
        starts_at: row.try_get("starts_at")?,
        ends_at: row.try_get("ends_at")?,
        status: decode_enum("status", row.try_get("status")?, TimeOffStatus::from_number)?,
        reason: row.try_get("reason")?,
        decided_by: row.try_get("decided_by")?,
        decided_at: row.try_get("decided_at")?,
        decision_note: row.try_get("decision_note")?,
        created_at: row.try_get("created_at")?,
        revision: row.try_get("revision")?,
    })
}
