//! What the ticket search index is built from, read in batches: the tickets, the words of their
//! conversations, and their requesters' names and addresses.
use std::collections::HashMap;

use frontline_shared::{database::rows::placeholders, filter::SqlFilter};
use sqlx::{AnyConnection, Row};

use super::{parse_json_list, tickets};
use crate::domain::Ticket;

/// The tickets with these ids (missing ones left out), in no particular order.
pub async fn tickets(connection: &mut AnyConnection, ids: &[i64]) -> sqlx::Result<Vec<Ticket>> {
    tickets::among(connection, ids, &SqlFilter { clause: "1 = 1".into(), values: Vec::new() }).await
}

/// The words of a ticket's conversation: public replies apart from internal notes.
#[derive(Debug, Default)]
pub struct Conversation {
    pub public: Vec<String>,
    pub internal: Vec<String>,
}

/// The conversations of these tickets, by ticket id.
pub async fn conversations(connection: &mut AnyConnection, ids: &[i64]) -> sqlx::Result<HashMap<i64, Conversation>> {
    let mut found: HashMap<i64, Conversation> = HashMap::new();
    if ids.is_empty() {
        return Ok(found);
    }
    let sql = format!(
        "SELECT ticket_id, public, body FROM ticket_comments WHERE ticket_id IN ({}) ORDER BY id",
        placeholders(ids.len())
    );
    let mut query = sqlx::query(&sql);
    for id in ids {
        query = query.bind(*id);
    }
    for row in query.fetch_all(connection).await? {
        let conversation = found.entry(row.try_get("ticket_id")?).or_default();
        let body: String = row.try_get("body")?;
        if row.try_get::<i64, _>("public")? == 1 {
            conversation.public.push(body);
        } else {
            conversation.internal.push(body);
        }
    }
    Ok(found)
}

/// A requester as search knows them.
#[derive(Debug, Default, Clone)]
pub struct Requester {
    pub name: String,
    pub emails: Vec<String>,
}

/// The requesters with these ids, by id.
pub async fn requesters(connection: &mut AnyConnection, ids: &[&str]) -> sqlx::Result<HashMap<String, Requester>> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let sql = format!("SELECT id, name, emails FROM customers WHERE id IN ({})", placeholders(ids.len()));
    let mut query = sqlx::query(&sql);
    for id in ids {
        query = query.bind(*id);
    }
    let mut found = HashMap::new();
    for row in query.fetch_all(connection).await? {
        let emails = parse_json_list("emails", &row.try_get::<String, _>("emails")?)?;
        found.insert(row.try_get("id")?, Requester { name: row.try_get("name")?, emails });
    }
    Ok(found)
}

/// Up to `limit` ticket ids after `after`, ascending: the index is rebuilt in this order.
pub async fn ids_after(connection: &mut AnyConnection, after: i64, limit: usize) -> sqlx::Result<Vec<i64>> {
    sqlx::query_scalar("SELECT id FROM tickets WHERE id > $1 ORDER BY id LIMIT $2")
        .bind(after)
        .bind(limit as i64)
        .fetch_all(connection)
        .await
}

pub async fn count(connection: &mut AnyConnection) -> sqlx::Result<i64> {
    sqlx::query_scalar("SELECT COUNT(*) FROM tickets").fetch_one(connection).await
}
