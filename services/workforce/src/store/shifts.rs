//! Shifts.
use sqlx::{AnyConnection, Row, any::AnyRow};

use super::decode_enum;
use crate::domain::shift::{MAX_SHIFT_MICROS, Shift, ShiftKind, ShiftState};

const COLUMNS: &str = "id, person_id, team_id, kind, starts_at, ends_at, state, notes, updated_at, revision";

pub async fn insert(connection: &mut AnyConnection, shift: &Shift) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO shifts (id, person_id, team_id, kind, starts_at, ends_at, state, notes, updated_at, revision)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(&shift.id)
    .bind(&shift.person_id)
    .bind(&shift.team_id)
    .bind(shift.kind.number())
    .bind(shift.starts_at)
    .bind(shift.ends_at)
    .bind(shift.state.number())
    .bind(&shift.notes)
    .bind(shift.updated_at)
    .bind(shift.revision)
    .execute(connection)
    .await?;
    Ok(())
}

pub async fn update(connection: &mut AnyConnection, shift: &Shift, expected_revision: i64) -> sqlx::Result<bool> {
    let updated = sqlx::query(
        "UPDATE shifts SET team_id = $2, kind = $3, starts_at = $4, ends_at = $5, state = $6, notes = $7, updated_at = $8,
             revision = $9 WHERE id = $1 AND revision = $10",
    )
    .bind(&shift.id)
    .bind(&shift.team_id)
    .bind(shift.kind.number())
    .bind(shift.starts_at)
    .bind(shift.ends_at)
    .bind(shift.state.number())
    .bind(&shift.notes)
    .bind(shift.updated_at)
    .bind(shift.revision)
    .bind(expected_revision)
    .execute(connection)
    .await?
    .rows_affected();
    Ok(updated == 1)
}

pub async fn delete(connection: &mut AnyConnection, id: &str) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM shifts WHERE id = $1").bind(id).execute(connection).await?;
    Ok(())
}

pub async fn get(connection: &mut AnyConnection, id: &str) -> sqlx::Result<Option<Shift>> {
    let row =
        sqlx::query(&format!("SELECT {COLUMNS} FROM shifts WHERE id = $1")).bind(id).fetch_optional(connection).await?;
    row.as_ref().map(decode).transpose()
}

/// A person's shifts overlapping [from, to).
pub async fn of_person(
    connection: &mut AnyConnection,
    person_id: &str,
    from: i64,
    to: i64,
) -> sqlx::Result<Vec<Shift>> {
    // starts_at > from − a day keeps the index range tight: no shift is longer than a day.
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM shifts WHERE person_id = $1 AND starts_at < $3 AND starts_at > $4 AND ends_at > $2 ORDER BY starts_at"
    ))
    .bind(person_id)
    .bind(from)
    .bind(to)
    .bind(from - MAX_SHIFT_MICROS)
    .fetch_all(connection)
    .await?;
    rows.iter().map(decode).collect()
}

/// A team's shifts overlapping [from, to), drafts only when asked, one person when given.
pub async fn roster(
    connection: &mut AnyConnection,
    team_id: &str,
    from: i64,
    to: i64,
    include_drafts: bool,
    person_id: &str,
) -> sqlx::Result<Vec<Shift>> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM shifts WHERE team_id = $1 AND starts_at < $3 AND starts_at > $4 AND ends_at > $2
             AND (state = $5 OR $6 = 1) AND ($7 = '' OR person_id = $7)
         ORDER BY starts_at, person_id, kind"
    ))
    .bind(team_id)
    .bind(from)
    .bind(to)
    .bind(from - MAX_SHIFT_MICROS)
    .bind(ShiftState::Published.number())
    .bind(i64::from(include_drafts))
    .bind(person_id)
    .fetch_all(connection)
    .await?;
    rows.iter().map(decode).collect()
}

/// Published shifts covering `at`, of anyone (what on-shift lookups start from).
pub async fn published_covering(connection: &mut AnyConnection, at: i64) -> sqlx::Result<Vec<Shift>> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM shifts WHERE state = $1 AND starts_at <= $2 AND starts_at > $3 AND ends_at > $2"
    ))
    .bind(ShiftState::Published.number())
    .bind(at)
    .bind(at - MAX_SHIFT_MICROS)
    .fetch_all(connection)
    .await?;
    rows.iter().map(decode).collect()
}

/// Publishes a team's drafts in [from, to); returns how many.
pub async fn publish(connection: &mut AnyConnection, team_id: &str, from: i64, to: i64, now: i64) -> sqlx::Result<u64> {
    Ok(sqlx::query(
        "UPDATE shifts SET state = $1, updated_at = $5, revision = revision + 1
         WHERE team_id = $2 AND state = $6 AND starts_at >= $3 AND starts_at < $4",
    )
    .bind(ShiftState::Published.number())
    .bind(team_id)
    .bind(from)
    .bind(to)
    .bind(now)
    .bind(ShiftState::Draft.number())
    .execute(connection)
    .await?
    .rows_affected())
}

/// Shifts by id (up to a few hundred), in no particular order.
pub async fn by_ids(connection: &mut AnyConnection, ids: &[String]) -> sqlx::Result<Vec<Shift>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let placeholders: Vec<String> = (1..=ids.len()).map(|n| format!("${n}")).collect();
    let sql = format!("SELECT {COLUMNS} FROM shifts WHERE id IN ({})", placeholders.join(", "));
    let mut query = sqlx::query(&sql);
    for id in ids {
        query = query.bind(id.as_str());
    }
    query.fetch_all(connection).await?.iter().map(decode).collect()
}

pub fn kind_of(number: i64) -> Option<ShiftKind> {
    ShiftKind::from_number(number)
}

fn decode(row: &AnyRow) -> sqlx::Result<Shift> {
    Ok(Shift {
        id: row.try_get("id")?,
        person_id: row.try_get("person_id")?,
        team_id: row.try_get("team_id")?,
        kind: decode_enum("kind", row.try_get("kind")?, ShiftKind::from_number)?,
        starts_at: row.try_get("starts_at")?,
        ends_at: row.try_get("ends_at")?,
        state: decode_enum("state", row.try_get("state")?, ShiftState::from_number)?,
        notes: row.try_get("notes")?,
        updated_at: row.try_get("updated_at")?,
        revision: row.try_get("revision")?,
    })
}
