//! The knowledge articles suggested for a ticket, in rank order.
use frontline_proto::ticketing::v1::SuggestedArticle;
use sqlx::{AnyConnection, Row};

pub async fn replace(
    connection: &mut AnyConnection,
    ticket_id: i64,
    suggested: &[SuggestedArticle],
) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM ticket_suggestions WHERE ticket_id = $1")
        .bind(ticket_id)
        .execute(&mut *connection)
        .await?;
    for (position, article) in suggested.iter().enumerate() {
        sqlx::query(
            "INSERT INTO ticket_suggestions (ticket_id, position, article_id, title, locale) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(ticket_id)
        .bind(position as i64)
        .bind(&article.article_id)
        .bind(&article.title)
        .bind(&article.locale)
        .execute(&mut *connection)
        .await?;
    }
    Ok(())
}

pub async fn for_ticket(connection: &mut AnyConnection, ticket_id: i64) -> sqlx::Result<Vec<SuggestedArticle>> {
    let rows =
        sqlx::query("SELECT article_id, title, locale FROM ticket_suggestions WHERE ticket_id = $1 ORDER BY position")
            .bind(ticket_id)
            .fetch_all(connection)
            .await?;
    rows.iter()
        .map(|row| {
            Ok(SuggestedArticle {
                article_id: row.try_get("article_id")?,
                title: row.try_get("title")?,
                locale: row.try_get("locale")?,
            })
        })
        .collect()
}
