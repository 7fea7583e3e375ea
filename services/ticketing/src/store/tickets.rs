//! Tickets, their tag index and their audit trail.
use frontline_shared::{filter::SqlFilter, pagination::Cursor};
use sqlx::{AnyConnection, Row, any::AnyRow};

use super::{bind_all, decode_enum, json_list, optional_text, parse_json_list};
use crate::domain::{
    Channel, Priority, Status, Ticket, TicketType,
    listing::{TicketOrder, TicketSortKey},
};

const COLUMNS: &str = "id, subject, description, requester_id, organization_id, channel, type, order_reference, priority, status, \
    assignee_id, team_id, tags, due_at, external_id, locale, created_at, updated_at, first_reply_at, solved_at, closed_at, revision";

/// Stores a new ticket and returns its number.
pub async fn insert(connection: &mut AnyConnection, ticket: &Ticket) -> sqlx::Result<i64> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO tickets (subject, description, requester_id, organization_id, channel, type, order_reference, priority,
             status, assignee_id, team_id, tags, due_at, external_id, locale, created_at, updated_at, first_reply_at,
             solved_at, closed_at, revision)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21)
         RETURNING id",
    )
    .bind(&ticket.subject)
    .bind(&ticket.description)
    .bind(&ticket.requester_id)
    .bind(&ticket.organization_id)
    .bind(ticket.channel.number())
    .bind(ticket.ticket_type.number())
    .bind(&ticket.order_reference)
    .bind(ticket.priority.number())
    .bind(ticket.status.number())
    .bind(&ticket.assignee_id)
    .bind(&ticket.team_id)
    .bind(json_list(&ticket.tags))
    .bind(ticket.due_at)
    .bind(optional_text(&ticket.external_id))
    .bind(&ticket.locale)
    .bind(ticket.created_at)
    .bind(ticket.updated_at)
    .bind(ticket.first_reply_at)
    .bind(ticket.solved_at)
    .bind(ticket.closed_at)
    .bind(ticket.revision)
    .fetch_one(&mut *connection)
    .await?;
    insert_tags(connection, id, &ticket.tags).await?;
    Ok(id)
}

/// Writes `ticket` if it is still at `expected_revision`; false when someone else got there first.
pub async fn update(
    connection: &mut AnyConnection,
    ticket: &Ticket,
    expected_revision: i64,
    tags_changed: bool,
) -> sqlx::Result<bool> {
    let updated = sqlx::query(
        "UPDATE tickets SET subject = $2, description = $3, requester_id = $4, organization_id = $5, type = $6,
             order_reference = $7, priority = $8, status = $9, assignee_id = $10, team_id = $11, tags = $12, due_at = $13,
             external_id = $14, locale = $15, updated_at = $16, first_reply_at = $17, solved_at = $18, closed_at = $19,
             revision = $20
         WHERE id = $1 AND revision = $21",
    )
    .bind(ticket.id)
    .bind(&ticket.subject)
    .bind(&ticket.description)
    .bind(&ticket.requester_id)
    .bind(&ticket.organization_id)
    .bind(ticket.ticket_type.number())
    .bind(&ticket.order_reference)
    .bind(ticket.priority.number())
    .bind(ticket.status.number())
    .bind(&ticket.assignee_id)
    .bind(&ticket.team_id)
    .bind(json_list(&ticket.tags))
    .bind(ticket.due_at)
    .bind(optional_text(&ticket.external_id))
    .bind(&ticket.locale)
    .bind(ticket.updated_at)
    .bind(ticket.first_reply_at)
    .bind(ticket.solved_at)
    .bind(ticket.closed_at)
    .bind(ticket.revision)
    .bind(expected_revision)
    .execute(&mut *connection)
    .await?
    .rows_affected();
    if updated == 1 && tags_changed {
        sqlx::query("DELETE FROM ticket_tags WHERE ticket_id = $1").bind(ticket.id).execute(&mut *connection).await?;
        insert_tags(connection, ticket.id, &ticket.tags).await?;
    }
    Ok(updated == 1)
}

async fn insert_tags(connection: &mut AnyConnection, ticket_id: i64, tags: &[String]) -> sqlx::Result<()> {
    for tag in tags {
        sqlx::query("INSERT INTO ticket_tags (tag, ticket_id) VALUES ($1, $2)")
            .bind(tag)
            .bind(ticket_id)
            .execute(&mut *connection)
            .await?;
    }
    Ok(())
}

/// Records who did what to a ticket; `changes` is a JSON object of field → [before, after].
pub async fn insert_audit(
    connection: &mut AnyConnection,
    ticket_id: i64,
    actor: &str,
    action: &str,
    changes: &serde_json::Value,
    at: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO ticket_audits (ticket_id, actor, action, changes, created_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(ticket_id)
    .bind(actor)
    .bind(action)
    .bind(changes.to_string())
    .bind(at)
    .execute(connection)
    .await?;
    Ok(())
}

pub async fn get(connection: &mut AnyConnection, id: i64) -> sqlx::Result<Option<Ticket>> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM tickets WHERE id = $1"))
        .bind(id)
        .fetch_optional(connection)
        .await?;
    row.as_ref().map(decode).transpose()
}

pub async fn find_by_external_id(connection: &mut AnyConnection, external_id: &str) -> sqlx::Result<Option<Ticket>> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM tickets WHERE external_id = $1"))
        .bind(external_id)
        .fetch_optional(connection)
        .await?;
    row.as_ref().map(decode).transpose()
}

/// The SQL expression a sort key orders by. Undated tickets get the largest instant, so they
/// sort last ascending and keyset pagination never meets a NULL.
fn sort_expression(key: TicketSortKey) -> &'static str {
    match key {
        TicketSortKey::CreatedAt => "created_at",
        TicketSortKey::UpdatedAt => "updated_at",
        TicketSortKey::Priority => "priority",
        TicketSortKey::DueAt => "COALESCE(due_at, 9223372036854775807)",
    }
}

/// The value of the sort key of `ticket`, as a page token carries it.
pub fn sort_value(ticket: &Ticket, key: TicketSortKey) -> i64 {
    match key {
        TicketSortKey::CreatedAt => ticket.created_at,
        TicketSortKey::UpdatedAt => ticket.updated_at,
        TicketSortKey::Priority => ticket.priority.number(),
        TicketSortKey::DueAt => ticket.due_at.unwrap_or(i64::MAX),
    }
}

pub async fn list(
    connection: &mut AnyConnection,
    filter: &SqlFilter,
    order: TicketOrder,
    after: Option<&Cursor>,
    limit: usize,
) -> sqlx::Result<Vec<Ticket>> {
    let sort = sort_expression(order.key);
    let (direction, beyond) = if order.descending { ("DESC", "<") } else { ("ASC", ">") };
    let next = filter.values.len() + 1;
    let keyset = match after {
        Some(_) => format!("AND ({sort} {beyond} ${next} OR ({sort} = ${next} AND id {beyond} ${}))", next + 1),
        None => String::new(),
    };
    let sql = format!(
        "SELECT {COLUMNS} FROM tickets WHERE {} {keyset} ORDER BY {sort} {direction}, id {direction} LIMIT {limit}",
        filter.clause
    );
    let mut query = bind_all(sqlx::query(&sql), &filter.values);
    if let Some(cursor) = after {
        let sort_value: i64 = cursor.sort_key.parse().unwrap_or_default();
        let id: i64 = cursor.id.parse().unwrap_or_default();
        query = query.bind(sort_value).bind(id);
    }
    query.fetch_all(connection).await?.iter().map(decode).collect()
}

fn decode(row: &AnyRow) -> sqlx::Result<Ticket> {
    Ok(Ticket {
        id: row.try_get("id")?,
        subject: row.try_get("subject")?,
        description: row.try_get("description")?,
        requester_id: row.try_get("requester_id")?,
        organization_id: row.try_get("organization_id")?,
        channel: decode_enum("channel", row.try_get("channel")?, Channel::from_number)?,
        ticket_type: decode_enum("type", row.try_get("type")?, TicketType::from_number)?,
        order_reference: row.try_get("order_reference")?,
        priority: decode_enum("priority", row.try_get("priority")?, Priority::from_number)?,
        status: decode_enum("status", row.try_get("status")?, Status::from_number)?,
        assignee_id: row.try_get("assignee_id")?,
        team_id: row.try_get("team_id")?,
        tags: parse_json_list("tags", &row.try_get::<String, _>("tags")?)?,
        due_at: row.try_get("due_at")?,
        external_id: row.try_get::<Option<String>, _>("external_id")?.unwrap_or_default(),
        locale: row.try_get("locale")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
        first_reply_at: row.try_get("first_reply_at")?,
        solved_at: row.try_get("solved_at")?,
        closed_at: row.try_get("closed_at")?,
        revision: row.try_get("revision")?,
    })
}
