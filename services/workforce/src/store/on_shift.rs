//! Who is working at an instant — one indexed query, because routing asks on every ticket.
//! It mirrors `domain::shift::working_shift` (which states the rule and is unit-tested): a
//! published work shift covers the instant, no published activity does, no approved time off
//! does, and the person is active.
use sqlx::{AnyConnection, Row};

use crate::domain::{
    person::EmploymentStatus,
    shift::{MAX_SHIFT_MICROS, ShiftKind, ShiftState},
    time_off::TimeOffStatus,
};

/// (person id, work shift id, proficiency in `skill`, 0 without a skill), best first.
///
/// With a skill the query walks its speakers best first and stops at the limit, so the
/// per-candidate checks (busy in an activity? away?) run a few dozen times, each on the
/// person's own index: `+column` is SQLite's way of keeping a planner without statistics from
/// choosing the (state, …) index, which would re-read every shift of the day per candidate.
pub async fn working_at(
    connection: &mut AnyConnection,
    at: i64,
    skill: Option<(&str, i64)>,
    team_id: &str,
    limit: usize,
) -> sqlx::Result<Vec<(String, String, i64)>> {
    // With a skill, walk its speakers best first (an index holds them in that order) and stop
    // at the limit; SQLite keeps a CROSS JOIN's order, other databases plan it as a join.
    let (from, proficiency, order) = match skill {
        Some(_) => (
            "person_skills k CROSS JOIN shifts s CROSS JOIN people p",
            "k.proficiency",
            "k.proficiency DESC, k.person_id",
        ),
        None => ("shifts s CROSS JOIN people p", "0", "s.person_id"),
    };
    let skill_filter =
        if skill.is_some() { "AND k.skill = $9 AND k.proficiency >= $10 AND s.person_id = k.person_id" } else { "" };
    let sql = format!(
        "SELECT s.person_id AS person_id, s.id AS shift_id, {proficiency} AS proficiency
         FROM {from}
         WHERE p.id = s.person_id {skill_filter} AND s.state = $1 AND s.kind = $2 AND s.starts_at <= $3 AND s.starts_at > $4 AND s.ends_at > $3
           AND ($5 = '' OR s.team_id = $5) AND p.employment_status = $6
           AND NOT EXISTS (SELECT 1 FROM shifts a WHERE a.person_id = s.person_id AND a.starts_at <= $3 AND a.starts_at > $4
                             AND a.ends_at > $3 AND +a.state = $1 AND +a.kind <> $2)
           AND NOT EXISTS (SELECT 1 FROM time_off t WHERE t.person_id = s.person_id AND t.starts_at <= $3 AND t.ends_at > $3
                             AND +t.status = $7)
         ORDER BY {order}
         LIMIT $8"
    );
    // Not a cached prepared statement: Postgres would then switch to a generic plan that
    // cannot see the skill and scans every shift of the day (48 ms rather than 1.6 ms, measured).
    let mut query = sqlx::query(&sql)
        .persistent(false)
        .bind(ShiftState::Published.number())
        .bind(ShiftKind::Work.number())
        .bind(at)
        .bind(at - MAX_SHIFT_MICROS)
        .bind(team_id)
        .bind(EmploymentStatus::Active.number())
        .bind(TimeOffStatus::Approved.number())
        .bind(limit as i64);
    if let Some((skill, min_proficiency)) = skill {
        query = query.bind(skill).bind(min_proficiency);
    }
    let rows = query.fetch_all(connection).await?;
    rows.iter()
        .map(|row| Ok((row.try_get("person_id")?, row.try_get("shift_id")?, row.try_get("proficiency")?)))
        .collect()
}
