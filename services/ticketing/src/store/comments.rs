//! The conversation of each ticket.
use frontline_shared::database::rows::{self, AnyQuery};
use sqlx::{AnyConnection, Row, any::AnyRow};

use super::{decode_enum, parse_json};
use crate::domain::{
    Channel,
    comment::{AuthorRole, Comment},
};

/// The columns a new comment writes (the database numbers it).
const WRITTEN: &[&str] =
    &["ticket_id", "author_id", "author_role", "public", "body", "channel", "attachments", "created_at"];

const COLUMNS: &str = "id, ticket_id, author_id, author_role, public, body, channel, attachments, created_at";

/// Stores a comment and returns its id.
pub async fn insert(connection: &mut AnyConnection, comment: &Comment) -> sqlx::Result<i64> {
    let sql = format!("{} RETURNING id", rows::insert_sql("ticket_comments", WRITTEN, 1, rows::Placeholders::Numbered));
    bind_comment(sqlx::query(&sql), comment).fetch_one(connection).await?.try_get("id")
}

/// Stores many comments at once (an import's), each ticket's in the order given.
pub async fn insert_all(connection: &mut AnyConnection, comments: &[Comment]) -> sqlx::Result<()> {
    rows::insert(connection, "ticket_comments", WRITTEN, "", comments, bind_comment).await
}

/// Binds a comment's columns in the order of [`WRITTEN`].
fn bind_comment<'q>(query: AnyQuery<'q>, comment: &'q Comment) -> AnyQuery<'q> {
    query
        .bind(comment.ticket_id)
        .bind(comment.author_id.as_str())
        .bind(comment.author_role.number())
        .bind(i64::from(comment.public))
        .bind(comment.body.as_str())
        .bind(comment.channel.number())
        .bind(serde_json::to_string(&comment.attachments).expect("attachments serialise"))
        .bind(comment.created_at)
}

/// The ticket's comments after `after_id`, oldest first; internal notes only when asked.
pub async fn list(
    connection: &mut AnyConnection,
    ticket_id: i64,
    include_internal: bool,
    after_id: i64,
    limit: usize,
) -> sqlx::Result<Vec<Comment>> {
    let visibility = if include_internal { "" } else { "AND public = 1" };
    let sql = format!(
        "SELECT {COLUMNS} FROM ticket_comments WHERE ticket_id = $1 AND id > $2 {visibility} ORDER BY id LIMIT $3"
    );
    let rows = sqlx::query(&sql).bind(ticket_id).bind(after_id).bind(limit as i64).fetch_all(connection).await?;
    rows.iter().map(decode).collect()
}

/// Every comment of a ticket, oldest first (for merges and re-indexing).
pub async fn all(connection: &mut AnyConnection, ticket_id: i64) -> sqlx::Result<Vec<Comment>> {
    list(connection, ticket_id, true, 0, i64::MAX as usize).await
}

fn decode(row: &AnyRow) -> sqlx::Result<Comment> {
    Ok(Comment {
        id: row.try_get("id")?,
        ticket_id: row.try_get("ticket_id")?,
        author_id: row.try_get("author_id")?,
        author_role: decode_enum("author_role", row.try_get("author_role")?, AuthorRole::from_number)?,
        public: row.try_get::<i64, _>("public")? == 1,
        body: row.try_get("body")?,
        channel: decode_enum("channel", row.try_get("channel")?, Channel::from_number)?,
        attachments: parse_json("attachments", &row.try_get::<String, _>("attachments")?)?,
        created_at: row.try_get("created_at")?,
    })
}
