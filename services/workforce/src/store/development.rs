//! Development records. They carry no behaviour of their own — their checks are in
//! `domain::development` — so they are stored and read as the protobuf records themselves,
//! with nested lists as JSON.
use frontline_proto::workforce::v1 as pb;
use frontline_shared::database::time::{from_timestamp, optional_timestamp, to_timestamp};
use sqlx::{AnyConnection, Row};

use crate::domain::development::{ActionItem, Criterion, CriterionScore, Goal};

fn json<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value).expect("records serialise")
}

fn parse<T: serde::de::DeserializeOwned>(column: &str, text: &str) -> sqlx::Result<T> {
    serde_json::from_str(text).map_err(|e| sqlx::Error::ColumnDecode { index: column.into(), source: Box::new(e) })
}

fn micros(t: &Option<prost_types::Timestamp>) -> Option<i64> {
    t.as_ref().and_then(from_timestamp)
}

pub async fn insert_program(
    connection: &mut AnyConnection,
    program: &pb::TrainingProgram,
    now: i64,
) -> sqlx::Result<()> {
    sqlx::query("INSERT INTO training_programs (id, name, description, created_at) VALUES ($1, $2, $3, $4)")
        .bind(&program.id)
        .bind(&program.name)
        .bind(&program.description)
        .bind(now)
        .execute(connection)
        .await?;
    Ok(())
}

pub async fn programs(connection: &mut AnyConnection) -> sqlx::Result<Vec<pb::TrainingProgram>> {
    let rows = sqlx::query("SELECT id, name, description, created_at FROM training_programs ORDER BY name")
        .fetch_all(connection)
        .await?;
    rows.iter()
        .map(|r| {
            Ok(pb::TrainingProgram {
                id: r.try_get("id")?,
                name: r.try_get("name")?,
                description: r.try_get("description")?,
                created_at: Some(to_timestamp(r.try_get("created_at")?)),
            })
        })
        .collect()
}

pub async fn program_exists(connection: &mut AnyConnection, id: &str) -> sqlx::Result<bool> {
    Ok(sqlx::query("SELECT 1 FROM training_programs WHERE id = $1")
        .bind(id)
        .fetch_optional(connection)
        .await?
        .is_some())
}

/// Enrols, or returns false when already enrolled.
pub async fn enroll(connection: &mut AnyConnection, program_id: &str, person_id: &str, now: i64) -> sqlx::Result<bool> {
    Ok(sqlx::query(
        "INSERT INTO enrollments (program_id, person_id, status, enrolled_at) VALUES ($1, $2, $3, $4) ON CONFLICT (program_id, person_id) DO NOTHING",
    )
    .bind(program_id)
    .bind(person_id)
    .bind(pb::EnrollmentStatus::Enrolled as i64)
    .bind(now)
    .execute(connection)
    .await?
    .rows_affected()
        == 1)
}

/// Marks an enrolment completed; false when there is no open enrolment.
pub async fn complete(
    connection: &mut AnyConnection,
    program_id: &str,
    person_id: &str,
    now: i64,
) -> sqlx::Result<bool> {
    Ok(sqlx::query("UPDATE enrollments SET status = $3, completed_at = $4 WHERE program_id = $1 AND person_id = $2 AND status = $5")
        .bind(program_id)
        .bind(person_id)
        .bind(pb::EnrollmentStatus::Completed as i64)
        .bind(now)
        .bind(pb::EnrollmentStatus::Enrolled as i64)
        .execute(connection)
        .await?
        .rows_affected()
        == 1)
}

pub async fn enrollments(
    connection: &mut AnyConnection,
    program_id: &str,
    person_id: &str,
) -> sqlx::Result<Vec<pb::Enrollment>> {
    let rows = sqlx::query(
        "SELECT program_id, person_id, status, enrolled_at, completed_at FROM enrollments
         WHERE ($1 = '' OR program_id = $1) AND ($2 = '' OR person_id = $2) ORDER BY enrolled_at, person_id",
    )
    .bind(program_id)
    .bind(person_id)
    .fetch_all(connection)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(pb::Enrollment {
                program_id: r.try_get("program_id")?,
                person_id: r.try_get("person_id")?,
                status: r.try_get::<i64, _>("status")? as i32,
                enrolled_at: Some(to_timestamp(r.try_get("enrolled_at")?)),
                completed_at: optional_timestamp(r.try_get("completed_at")?),
            })
        })
        .collect()
}

pub async fn insert_certification(connection: &mut AnyConnection, c: &pb::Certification) -> sqlx::Result<()> {
    sqlx::query("INSERT INTO certifications (id, person_id, name, issuer, issued_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(&c.id)
        .bind(&c.person_id)
        .bind(&c.name)
        .bind(&c.issuer)
        .bind(micros(&c.issued_at).unwrap_or_default())
        .bind(micros(&c.expires_at))
        .execute(connection)
        .await?;
    Ok(())
}

/// Certifications of the given people, or expiring before `expiring_before` when set, soonest first.
pub async fn certifications(
    connection: &mut AnyConnection,
    person_ids: &[String],
    expiring_before: Option<i64>,
) -> sqlx::Result<Vec<pb::Certification>> {
    let mut certifications = Vec::new();
    for person_id in person_ids {
        let rows = sqlx::query(
            "SELECT id, person_id, name, issuer, issued_at, expires_at FROM certifications
             WHERE person_id = $1 AND ($2 = 0 OR (expires_at IS NOT NULL AND expires_at < $3)) ORDER BY expires_at, name",
        )
        .bind(person_id)
        .bind(i64::from(expiring_before.is_some()))
        .bind(expiring_before.unwrap_or(0))
        .fetch_all(&mut *connection)
        .await?;
        for r in rows {
            certifications.push(pb::Certification {
                id: r.try_get("id")?,
                person_id: r.try_get("person_id")?,
                name: r.try_get("name")?,
                issuer: r.try_get("issuer")?,
                issued_at: Some(to_timestamp(r.try_get("issued_at")?)),
                expires_at: optional_timestamp(r.try_get("expires_at")?),
            });
        }
    }
    certifications.sort_by_key(|c| c.expires_at.as_ref().map_or(i64::MAX, |t| t.seconds));
    Ok(certifications)
}

pub async fn insert_coaching(
    connection: &mut AnyConnection,
    s: &pb::CoachingSession,
    items: &[ActionItem],
    now: i64,
) -> sqlx::Result<()> {
    sqlx::query("INSERT INTO coaching_sessions (id, person_id, coach_id, held_at, notes, action_items, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)")
        .bind(&s.id)
        .bind(&s.person_id)
        .bind(&s.coach_id)
        .bind(micros(&s.held_at).unwrap_or(now))
        .bind(&s.notes)
        .bind(json(&items))
        .bind(now)
        .execute(connection)
        .await?;
    Ok(())
}

pub async fn coaching_sessions(
    connection: &mut AnyConnection,
    person_id: &str,
) -> sqlx::Result<Vec<pb::CoachingSession>> {
    let rows = sqlx::query("SELECT id, person_id, coach_id, held_at, notes, action_items, created_at FROM coaching_sessions WHERE person_id = $1 ORDER BY held_at")
        .bind(person_id)
        .fetch_all(connection)
        .await?;
    rows.iter()
        .map(|r| {
            let items: Vec<ActionItem> = parse("action_items", &r.try_get::<String, _>("action_items")?)?;
            Ok(pb::CoachingSession {
                id: r.try_get("id")?,
                person_id: r.try_get("person_id")?,
                coach_id: r.try_get("coach_id")?,
                held_at: Some(to_timestamp(r.try_get("held_at")?)),
                notes: r.try_get("notes")?,
                action_items: items.into_iter().map(|i| pb::ActionItem { text: i.text, done: i.done }).collect(),
                created_at: Some(to_timestamp(r.try_get("created_at")?)),
            })
        })
        .collect()
}

pub async fn insert_review(
    connection: &mut AnyConnection,
    r: &pb::PerformanceReview,
    goals: &[Goal],
    now: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO performance_reviews (id, person_id, reviewer_id, period_start, period_end, goals, overall_rating, summary, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(&r.id)
    .bind(&r.person_id)
    .bind(&r.reviewer_id)
    .bind(micros(&r.period_start).unwrap_or_default())
    .bind(micros(&r.period_end).unwrap_or_default())
    .bind(json(&goals))
    .bind(i64::from(r.overall_rating))
    .bind(&r.summary)
    .bind(now)
    .execute(connection)
    .await?;
    Ok(())
}

pub async fn reviews(connection: &mut AnyConnection, person_id: &str) -> sqlx::Result<Vec<pb::PerformanceReview>> {
    let rows = sqlx::query(
        "SELECT id, person_id, reviewer_id, period_start, period_end, goals, overall_rating, summary, created_at
         FROM performance_reviews WHERE person_id = $1 ORDER BY period_end",
    )
    .bind(person_id)
    .fetch_all(connection)
    .await?;
    rows.iter()
        .map(|r| {
            let goals: Vec<Goal> = parse("goals", &r.try_get::<String, _>("goals")?)?;
            Ok(pb::PerformanceReview {
                id: r.try_get("id")?,
                person_id: r.try_get("person_id")?,
                reviewer_id: r.try_get("reviewer_id")?,
                period_start: Some(to_timestamp(r.try_get("period_start")?)),
                period_end: Some(to_timestamp(r.try_get("period_end")?)),
                goals: goals
                    .into_iter()
                    .map(|g| pb::ReviewGoal { description: g.description, rating: g.rating as i32 })
                    .collect(),
                overall_rating: r.try_get::<i64, _>("overall_rating")? as i32,
                summary: r.try_get("summary")?,
                created_at: Some(to_timestamp(r.try_get("created_at")?)),
            })
        })
        .collect()
}

pub async fn insert_kudos(connection: &mut AnyConnection, k: &pb::Kudos, now: i64) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO kudos (id, from_person_id, to_person_id, message, created_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(&k.id)
    .bind(&k.from_person_id)
    .bind(&k.to_person_id)
    .bind(&k.message)
    .bind(now)
    .execute(connection)
    .await?;
    Ok(())
}

pub async fn kudos(connection: &mut AnyConnection, person_id: &str) -> sqlx::Result<Vec<pb::Kudos>> {
    let rows = sqlx::query("SELECT id, from_person_id, to_person_id, message, created_at FROM kudos WHERE to_person_id = $1 ORDER BY created_at DESC")
        .bind(person_id)
        .fetch_all(connection)
        .await?;
    rows.iter()
        .map(|r| {
            Ok(pb::Kudos {
                id: r.try_get("id")?,
                from_person_id: r.try_get("from_person_id")?,
                to_person_id: r.try_get("to_person_id")?,
                message: r.try_get("message")?,
                created_at: Some(to_timestamp(r.try_get("created_at")?)),
            })
        })
        .collect()
}

pub async fn insert_scorecard(
    connection: &mut AnyConnection,
    id: &str,
    name: &str,
    criteria: &[Criterion],
    now: i64,
) -> sqlx::Result<()> {
    sqlx::query("INSERT INTO scorecards (id, name, criteria, created_at) VALUES ($1, $2, $3, $4)")
        .bind(id)
        .bind(name)
        .bind(json(&criteria))
        .bind(now)
        .execute(connection)
        .await?;
    Ok(())
}

/// (id, name, criteria, created_at)
pub async fn scorecards(
    connection: &mut AnyConnection,
    id: Option<&str>,
) -> sqlx::Result<Vec<(String, String, Vec<Criterion>, i64)>> {
    let rows =
        sqlx::query("SELECT id, name, criteria, created_at FROM scorecards WHERE ($1 = '' OR id = $1) ORDER BY name")
            .bind(id.unwrap_or(""))
            .fetch_all(connection)
            .await?;
    rows.iter()
        .map(|r| {
            Ok((
                r.try_get("id")?,
                r.try_get("name")?,
                parse("criteria", &r.try_get::<String, _>("criteria")?)?,
                r.try_get("created_at")?,
            ))
        })
        .collect()
}

pub async fn insert_qa_review(
    connection: &mut AnyConnection,
    review: &pb::QaReview,
    scores: &[CriterionScore],
    now: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO qa_reviews (id, scorecard_id, ticket_id, agent_id, reviewer_id, scores, total, comment, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(&review.id)
    .bind(&review.scorecard_id)
    .bind(&review.ticket_id)
    .bind(&review.agent_id)
    .bind(&review.reviewer_id)
    .bind(json(&scores))
    .bind(review.total)
    .bind(&review.comment)
    .bind(now)
    .execute(connection)
    .await?;
    Ok(())
}

pub async fn qa_reviews(
    connection: &mut AnyConnection,
    agent_id: &str,
    ticket_id: &str,
) -> sqlx::Result<Vec<pb::QaReview>> {
    let rows = sqlx::query(
        "SELECT id, scorecard_id, ticket_id, agent_id, reviewer_id, scores, total, comment, created_at FROM qa_reviews
         WHERE ($1 = '' OR agent_id = $1) AND ($2 = '' OR ticket_id = $2) ORDER BY created_at",
    )
    .bind(agent_id)
    .bind(ticket_id)
    .fetch_all(connection)
    .await?;
    rows.iter()
        .map(|r| {
            let scores: Vec<CriterionScore> = parse("scores", &r.try_get::<String, _>("scores")?)?;
            Ok(pb::QaReview {
                id: r.try_get("id")?,
                scorecard_id: r.try_get("scorecard_id")?,
                ticket_id: r.try_get("ticket_id")?,
                agent_id: r.try_get("agent_id")?,
                reviewer_id: r.try_get("reviewer_id")?,
                scores: scores.into_iter().map(|s| pb::CriterionScore { key: s.key, score: s.score }).collect(),
                total: r.try_get("total")?,
                comment: r.try_get("comment")?,
                created_at: Some(to_timestamp(r.try_get("created_at")?)),
            })
        })
        .collect()
}
