//! Tickets' histories, as recorded from the ticketing feed.
use chrono::{DateTime, Utc};
use sqlx::{AnyConnection, Row};

use crate::domain::ticket_metrics::{HistoryEvent, Status};

/// One entry of a ticket's history (see the migration for what each field means per kind).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub ticket_id: String,
    pub at: i64,
    pub kind: &'static str,
    pub status: i64,
    pub by_agent: bool,
    pub actor_id: String,
    pub detail: String,
}

/// Records the entries one feed event produced; a replayed event records nothing new.
pub async fn record(connection: &mut AnyConnection, feed_position: i64, entries: &[Entry]) -> sqlx::Result<()> {
    for (seq, entry) in entries.iter().enumerate() {
        sqlx::query(
            "INSERT INTO ticket_history (feed_position, seq, ticket_id, at, kind, status, by_agent, actor_id, detail)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (feed_position, seq) DO NOTHING",
        )
        .bind(feed_position)
        .bind(seq as i64)
        .bind(&entry.ticket_id)
        .bind(entry.at)
        .bind(entry.kind)
        .bind(entry.status)
        .bind(i64::from(entry.by_agent))
        .bind(&entry.actor_id)
        .bind(&entry.detail)
        .execute(&mut *connection)
        .await?;
    }
    Ok(())
}

/// A ticket's history in feed order.
pub async fn of_ticket(connection: &mut AnyConnection, ticket_id: &str) -> sqlx::Result<Vec<Entry>> {
    let rows = sqlx::query(
        "SELECT ticket_id, at, kind, status, by_agent, actor_id, detail FROM ticket_history
         WHERE ticket_id = $1 ORDER BY feed_position, seq",
    )
    .bind(ticket_id)
    .fetch_all(connection)
    .await?;
    rows.iter()
        .map(|row| {
            let kind: String = row.try_get("kind")?;
            Ok(Entry {
                ticket_id: row.try_get("ticket_id")?,
                at: row.try_get("at")?,
                kind: KINDS.iter().copied().find(|k| *k == kind).unwrap_or("unknown"),
                status: row.try_get("status")?,
                by_agent: row.try_get::<i64, _>("by_agent")? == 1,
                actor_id: row.try_get("actor_id")?,
                detail: row.try_get("detail")?,
            })
        })
        .collect()
}

pub const KINDS: [&str; 6] = ["created", "status", "public_comment", "rated", "escalated", "sla_breached"];

fn instant(micros: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_micros(micros).unwrap_or_default()
}

fn status(number: i64) -> Status {
    match number {
        2 => Status::Open,
        3 => Status::Pending,
        4 => Status::OnHold,
        5 => Status::Solved,
        6 => Status::Closed,
        _ => Status::New,
    }
}

fn event(entry: Entry) -> Option<HistoryEvent> {
    let at = instant(entry.at);
    Some(match entry.kind {
        "created" => HistoryEvent::Created {
            at,
            by_agent: entry.by_agent,
            status: status(entry.status),
            assignee_id: entry.actor_id,
        },
        "status" => HistoryEvent::StatusChanged { at, to: status(entry.status), assignee_id: entry.actor_id },
        "public_comment" => HistoryEvent::PublicComment { at, by_agent: entry.by_agent, author_id: entry.actor_id },
        "rated" => HistoryEvent::Rated { at, good: entry.detail == "good" },
        "escalated" => HistoryEvent::Escalated { at },
        "sla_breached" => HistoryEvent::SlaBreached { at, metric: entry.detail },
        _ => return None,
    })
}

/// A ticket's history as the metric definitions read it.
pub async fn events_of(connection: &mut AnyConnection, ticket_id: &str) -> sqlx::Result<Vec<HistoryEvent>> {
    Ok(of_ticket(connection, ticket_id).await?.into_iter().filter_map(event).collect())
}
