//! Votes, deflections and knowledge gaps.
use sqlx::{AnyConnection, Row};

use crate::domain::model::{Deflection, Feedback, Gap};

pub async fn insert(connection: &mut AnyConnection, feedback: &Feedback) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO feedback (id, article_id, locale, helpful, comment, voter, ticket_id, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(&feedback.id)
    .bind(&feedback.article_id)
    .bind(&feedback.locale)
    .bind(feedback.helpful as i64)
    .bind(&feedback.comment)
    .bind(&feedback.voter)
    .bind(&feedback.ticket_id)
    .bind(feedback.created_at)
    .execute(connection)
    .await?;
    Ok(())
}

pub async fn set_ticket(connection: &mut AnyConnection, feedback_id: &str, ticket_id: &str) -> sqlx::Result<()> {
    sqlx::query("UPDATE feedback SET ticket_id = $2 WHERE id = $1")
        .bind(feedback_id)
        .bind(ticket_id)
        .execute(connection)
        .await?;
    Ok(())
}

/// Not-helpful votes on an article at or after `since`.
pub async fn not_helpful_since(connection: &mut AnyConnection, article_id: &str, since: i64) -> sqlx::Result<i64> {
    sqlx::query_scalar("SELECT COUNT(*) FROM feedback WHERE article_id = $1 AND helpful = 0 AND created_at >= $2")
        .bind(article_id)
        .bind(since)
        .fetch_one(connection)
        .await
}

/// Records a deflection once per ticket and article; false when it was already recorded.
pub async fn insert_deflection(connection: &mut AnyConnection, deflection: &Deflection) -> sqlx::Result<bool> {
    let exists = sqlx::query("SELECT 1 FROM deflections WHERE ticket_id = $1 AND article_id = $2")
        .bind(&deflection.ticket_id)
        .bind(&deflection.article_id)
        .fetch_optional(&mut *connection)
        .await?
        .is_some();
    if exists {
        return Ok(false);
    }
    sqlx::query(
        "INSERT INTO deflections (ticket_id, article_id, locale, marked_by, marked_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(&deflection.ticket_id)
    .bind(&deflection.article_id)
    .bind(&deflection.locale)
    .bind(&deflection.marked_by)
    .bind(deflection.marked_at)
    .execute(connection)
    .await?;
    Ok(true)
}

pub async fn deflection(
    connection: &mut AnyConnection,
    ticket_id: &str,
    article_id: &str,
) -> sqlx::Result<Option<Deflection>> {
    let row = sqlx::query(
        "SELECT ticket_id, article_id, locale, marked_by, marked_at FROM deflections WHERE ticket_id = $1 AND article_id = $2",
    )
    .bind(ticket_id)
    .bind(article_id)
    .fetch_optional(connection)
    .await?;
    row.map(|row| {
        Ok(Deflection {
            ticket_id: row.try_get("ticket_id")?,
            article_id: row.try_get("article_id")?,
            locale: row.try_get("locale")?,
            marked_by: row.try_get("marked_by")?,
            marked_at: row.try_get("marked_at")?,
        })
    })
    .transpose()
}

/// Adds `count` sightings of a gap seen last at `seen_at`.
pub async fn add_gap(
    connection: &mut AnyConnection,
    query: &str,
    locale: &str,
    count: i64,
    seen_at: i64,
) -> sqlx::Result<()> {
    let updated =
        sqlx::query("UPDATE knowledge_gaps SET count = count + $3, last_seen_at = $4 WHERE query = $1 AND locale = $2")
            .bind(query)
            .bind(locale)
            .bind(count)
            .bind(seen_at)
            .execute(&mut *connection)
            .await?
            .rows_affected();
    if updated == 0 {
        sqlx::query(
            "INSERT INTO knowledge_gaps (query, locale, count, first_seen_at, last_seen_at) VALUES ($1, $2, $3, $4, $4)",
        )
        .bind(query)
        .bind(locale)
        .bind(count)
        .bind(seen_at)
        .execute(connection)
        .await?;
    }
    Ok(())
}

/// Gaps by frequency, keyset-paged on (count desc, query, locale).
pub async fn gaps(
    connection: &mut AnyConnection,
    locale: &str,
    since: i64,
    after: Option<(i64, String, String)>,
    limit: i64,
) -> sqlx::Result<Vec<Gap>> {
    let (after_count, after_query, after_locale) = after.unwrap_or((i64::MAX, String::new(), String::new()));
    let rows = sqlx::query(
        "SELECT query, locale, count, first_seen_at, last_seen_at FROM knowledge_gaps
         WHERE ($1 = '' OR locale = $1) AND last_seen_at >= $2
           AND (count < $3 OR (count = $3 AND (query > $4 OR (query = $4 AND locale > $5))))
         ORDER BY count DESC, query, locale LIMIT $6",
    )
    .bind(locale)
    .bind(since)
    .bind(after_count)
    .bind(after_query)
    .bind(after_locale)
    .bind(limit)
    .fetch_all(connection)
    .await?;
    rows.iter()
        .map(|row| {
            Ok(Gap {
                query: row.try_get("query")?,
                locale: row.try_get("locale")?,
                count: row.try_get("count")?,
                first_seen_at: row.try_get("first_seen_at")?,
                last_seen_at: row.try_get("last_seen_at")?,
            })
        })
        .collect()
}
