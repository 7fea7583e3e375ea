//! Workforce facts: people as the feed last showed them, certifications, QA scores, coaching
//! sessions and kudos. Writes are keyed so that applying an event again is harmless.
use sqlx::{AnyConnection, Row};

use crate::domain::workforce_metrics::{Certification, Person, QaScore};

/// Active in the workforce sense: employment_status ACTIVE.
const ACTIVE: i64 = 1;

pub async fn upsert_person(
    connection: &mut AnyConnection,
    person_id: &str,
    team_id: &str,
    role: i32,
    employment_status: i32,
    position: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO workforce_people (person_id, team_id, role, employment_status, last_position) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (person_id) DO UPDATE SET team_id = excluded.team_id, role = excluded.role,
             employment_status = excluded.employment_status, last_position = excluded.last_position
         WHERE workforce_people.last_position < excluded.last_position",
    )
    .bind(person_id)
    .bind(team_id)
    .bind(i64::from(role))
    .bind(i64::from(employment_status))
    .bind(position)
    .execute(connection)
    .await?;
    Ok(())
}

/// The person's team as analytics knows it ("" when unknown).
pub async fn team_of(connection: &mut AnyConnection, person_id: &str) -> sqlx::Result<String> {
    Ok(sqlx::query_scalar("SELECT team_id FROM workforce_people WHERE person_id = $1")
        .bind(person_id)
        .fetch_optional(connection)
        .await?
        .unwrap_or_default())
}

pub async fn record_certification(
    connection: &mut AnyConnection,
    certification_id: &str,
    certification: &Certification,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO workforce_certifications (certification_id, person_id, name, issued_at, expires_at)
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (certification_id) DO NOTHING",
    )
    .bind(certification_id)
    .bind(&certification.person_id)
    .bind(&certification.name)
    .bind(certification.issued_at)
    .bind(certification.expires_at)
    .execute(connection)
    .await?;
    Ok(())
}

pub async fn record_qa_score(
    connection: &mut AnyConnection,
    review_id: &str,
    score: &QaScore,
    scored_at: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO workforce_qa_scores (review_id, agent_id, team_id, total, scored_at) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (review_id) DO NOTHING",
    )
    .bind(review_id)
    .bind(&score.agent_id)
    .bind(&score.team_id)
    .bind(score.total)
    .bind(scored_at)
    .execute(connection)
    .await?;
    Ok(())
}

/// A coaching session or kudos ("coaching" / "kudos"), one per feed position.
pub async fn record_development(
    connection: &mut AnyConnection,
    position: i64,
    kind: &str,
    person_id: &str,
    team_id: &str,
    at: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO workforce_development (position, kind, person_id, team_id, at) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (position) DO NOTHING",
    )
    .bind(position)
    .bind(kind)
    .bind(person_id)
    .bind(team_id)
    .bind(at)
    .execute(connection)
    .await?;
    Ok(())
}

/// People of `team_id` ("" for everyone).
pub async fn people(connection: &mut AnyConnection, team_id: &str) -> sqlx::Result<Vec<Person>> {
    let rows = sqlx::query("SELECT person_id, employment_status FROM workforce_people WHERE ($1 = '' OR team_id = $1)")
        .bind(team_id)
        .fetch_all(connection)
        .await?;
    rows.iter()
        .map(|row| {
            Ok(Person {
                person_id: row.try_get("person_id")?,
                active: row.try_get::<i64, _>("employment_status")? == ACTIVE,
            })
        })
        .collect()
}

/// The certifications of the people of `team_id` ("" for everyone).
pub async fn certifications(connection: &mut AnyConnection, team_id: &str) -> sqlx::Result<Vec<Certification>> {
    let rows = sqlx::query(
        "SELECT c.person_id, c.name, c.issued_at, c.expires_at FROM workforce_certifications c
         JOIN workforce_people p ON p.person_id = c.person_id WHERE ($1 = '' OR p.team_id = $1)",
    )
    .bind(team_id)
    .fetch_all(connection)
    .await?;
    rows.iter()
        .map(|row| {
            Ok(Certification {
                person_id: row.try_get("person_id")?,
                name: row.try_get("name")?,
                issued_at: row.try_get("issued_at")?,
                expires_at: row.try_get("expires_at")?,
            })
        })
        .collect()
}

/// What the period's facts are narrowed to.
pub struct Period<'a> {
    pub from: i64,
    pub to: i64,
    /// "" for every team.
    pub team_id: &'a str,
    /// "" for every person.
    pub person_id: &'a str,
}

pub async fn qa_scores(connection: &mut AnyConnection, period: &Period<'_>) -> sqlx::Result<Vec<QaScore>> {
    let rows = sqlx::query(
        "SELECT agent_id, team_id, total FROM workforce_qa_scores
         WHERE scored_at >= $1 AND scored_at < $2 AND ($3 = '' OR team_id = $3) AND ($4 = '' OR agent_id = $4)",
    )
    .bind(period.from)
    .bind(period.to)
    .bind(period.team_id)
    .bind(period.person_id)
    .fetch_all(connection)
    .await?;
    rows.iter()
        .map(|row| {
            Ok(QaScore {
                agent_id: row.try_get("agent_id")?,
                team_id: row.try_get("team_id")?,
                total: row.try_get("total")?,
            })
        })
        .collect()
}

/// How many coaching sessions and kudos the period holds (for people of the team, or the person).
pub async fn development_counts(connection: &mut AnyConnection, period: &Period<'_>) -> sqlx::Result<(i64, i64)> {
    let rows = sqlx::query(
        "SELECT kind, COUNT(*) AS count FROM workforce_development
         WHERE at >= $1 AND at < $2 AND ($3 = '' OR team_id = $3) AND ($4 = '' OR person_id = $4)
         GROUP BY kind",
    )
    .bind(period.from)
    .bind(period.to)
    .bind(period.team_id)
    .bind(period.person_id)
    .fetch_all(connection)
    .await?;
    let mut counts = (0, 0);
    for row in &rows {
        let count: i64 = row.try_get("count")?;
        match row.try_get::<String, _>("kind")?.as_str() {
            "coaching" => counts.0 = count,
            _ => counts.1 = count,
        }
    }
    Ok(counts)
}
