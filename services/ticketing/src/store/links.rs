//! Links between tickets: related, duplicate, incident of a problem.
use sqlx::{AnyConnection, Row};

/// (ticket_id, linked_ticket_id, kind number, created_at)
pub type LinkRow = (i64, i64, i64, i64);

/// Stores a link; false when the two tickets were already linked that way round.
pub async fn insert(connection: &mut AnyConnection, link: LinkRow) -> sqlx::Result<bool> {
    let inserted = sqlx::query(
        "INSERT INTO ticket_links (ticket_id, linked_ticket_id, kind, created_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (ticket_id, linked_ticket_id) DO NOTHING",
    )
    .bind(link.0)
    .bind(link.1)
    .bind(link.2)
    .bind(link.3)
    .execute(connection)
    .await?
    .rows_affected();
    Ok(inserted == 1)
}

/// Removes the link and returns it, if there was one.
pub async fn delete(
    connection: &mut AnyConnection,
    ticket_id: i64,
    linked_ticket_id: i64,
) -> sqlx::Result<Option<LinkRow>> {
    let existing = get(connection, ticket_id, linked_ticket_id).await?;
    if existing.is_some() {
        sqlx::query("DELETE FROM ticket_links WHERE ticket_id = $1 AND linked_ticket_id = $2")
            .bind(ticket_id)
            .bind(linked_ticket_id)
            .execute(connection)
            .await?;
    }
    Ok(existing)
}

pub async fn get(
    connection: &mut AnyConnection,
    ticket_id: i64,
    linked_ticket_id: i64,
) -> sqlx::Result<Option<LinkRow>> {
    let row = sqlx::query("SELECT ticket_id, linked_ticket_id, kind, created_at FROM ticket_links WHERE ticket_id = $1 AND linked_ticket_id = $2")
        .bind(ticket_id)
        .bind(linked_ticket_id)
        .fetch_optional(connection)
        .await?;
    row.map(|row| {
        Ok((
            row.try_get("ticket_id")?,
            row.try_get("linked_ticket_id")?,
            row.try_get("kind")?,
            row.try_get("created_at")?,
        ))
    })
    .transpose()
}

/// Links from and to `ticket_id`.
pub async fn of_ticket(connection: &mut AnyConnection, ticket_id: i64) -> sqlx::Result<Vec<LinkRow>> {
    let rows = sqlx::query(
        "SELECT ticket_id, linked_ticket_id, kind, created_at FROM ticket_links
         WHERE ticket_id = $1 OR linked_ticket_id = $1 ORDER BY created_at, ticket_id, linked_ticket_id",
    )
    .bind(ticket_id)
    .fetch_all(connection)
    .await?;
    rows.iter()
        .map(|row| {
            Ok((
                row.try_get("ticket_id")?,
                row.try_get("linked_ticket_id")?,
                row.try_get("kind")?,
                row.try_get("created_at")?,
            ))
        })
        .collect()
}
