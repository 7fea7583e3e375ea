//! Each ticket's metrics, as of the latest event about it, with the dimensions series filter
//! and group by.
use frontline_proto::ticketing::v1::Ticket;
use sqlx::{AnyConnection, Row, any::AnyRow};

use crate::domain::ticket_metrics::TicketMetrics;

/// The dimensions of a ticket, as its latest feed event showed them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Dimensions {
    pub team_id: String,
    pub assignee_id: String,
    pub channel: i64,
    pub priority: i64,
    pub ticket_type: i64,
    pub tags: Vec<String>,
}

impl Dimensions {
    pub fn of(ticket: &Ticket) -> Dimensions {
        Dimensions {
            team_id: ticket.team_id.clone(),
            assignee_id: ticket.assignee_id.clone(),
            channel: i64::from(ticket.channel),
            priority: i64::from(ticket.priority),
            ticket_type: i64::from(ticket.r#type),
            tags: ticket.tags.clone(),
        }
    }
}

pub async fn upsert(
    connection: &mut AnyConnection,
    ticket_id: &str,
    dimensions: &Dimensions,
    metrics: &TicketMetrics,
) -> sqlx::Result<()> {
    let micros = |at: Option<chrono::DateTime<chrono::Utc>>| at.map(|at| at.timestamp_micros());
    sqlx::query(
        "INSERT INTO ticket_metric_facts (ticket_id, team_id, assignee_id, channel, priority, type, created_at,
             first_reply_at, first_reply_seconds, first_reply_business_seconds, solved_at, full_resolution_seconds,
             full_resolution_business_seconds, requester_wait_seconds, requester_wait_business_seconds, agent_replies,
             reopens, one_touch, csat, escalated)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20)
         ON CONFLICT (ticket_id) DO UPDATE SET team_id = excluded.team_id, assignee_id = excluded.assignee_id,
             channel = excluded.channel, priority = excluded.priority, type = excluded.type,
             created_at = excluded.created_at, first_reply_at = excluded.first_reply_at,
             first_reply_seconds = excluded.first_reply_seconds,
             first_reply_business_seconds = excluded.first_reply_business_seconds, solved_at = excluded.solved_at,
             full_resolution_seconds = excluded.full_resolution_seconds,
             full_resolution_business_seconds = excluded.full_resolution_business_seconds,
             requester_wait_seconds = excluded.requester_wait_seconds,
             requester_wait_business_seconds = excluded.requester_wait_business_seconds,
             agent_replies = excluded.agent_replies, reopens = excluded.reopens, one_touch = excluded.one_touch,
             csat = excluded.csat, escalated = excluded.escalated",
    )
    .bind(ticket_id)
    .bind(&dimensions.team_id)
    .bind(&dimensions.assignee_id)
    .bind(dimensions.channel)
    .bind(dimensions.priority)
    .bind(dimensions.ticket_type)
    .bind(metrics.created_at.timestamp_micros())
    .bind(micros(metrics.first_reply_at))
    .bind(metrics.first_reply.map(|d| d.calendar_seconds))
    .bind(metrics.first_reply.map(|d| d.business_seconds))
    .bind(micros(metrics.solved_at))
    .bind(metrics.full_resolution.map(|d| d.calendar_seconds))
    .bind(metrics.full_resolution.map(|d| d.business_seconds))
    .bind(metrics.requester_wait.calendar_seconds)
    .bind(metrics.requester_wait.business_seconds)
    .bind(metrics.agent_replies)
    .bind(metrics.reopens)
    .bind(i64::from(metrics.one_touch))
    .bind(match metrics.csat {
        None => 0i64,
        Some(true) => 1,
        Some(false) => 2,
    })
    .bind(i64::from(metrics.escalated))
    .execute(&mut *connection)
    .await?;
    sqlx::query("DELETE FROM ticket_fact_tags WHERE ticket_id = $1").bind(ticket_id).execute(&mut *connection).await?;
    for tag in &dimensions.tags {
        sqlx::query(
            "INSERT INTO ticket_fact_tags (ticket_id, tag) VALUES ($1, $2) ON CONFLICT (ticket_id, tag) DO NOTHING",
        )
        .bind(ticket_id)
        .bind(tag)
        .execute(&mut *connection)
        .await?;
    }
    Ok(())
}

/// One ticket's row as series read it.
#[derive(Debug, Clone, PartialEq)]
pub struct FactRow {
    pub team_id: String,
    pub assignee_id: String,
    pub channel: i64,
    pub priority: i64,
    pub ticket_type: i64,
    /// The instant the metric is dated by (creation, first reply or solve).
    pub at: i64,
    /// The metric's value for this ticket, None when it has none.
    pub value: Option<f64>,
}

/// Rows whose `date_column` lies in [from, to), with `value_expression` as the value, narrowed
/// by `filter` (a WHERE fragment with its values, numbered from $3).
pub async fn rows(
    connection: &mut AnyConnection,
    date_column: &str,
    value_expression: &str,
    from: i64,
    to: i64,
    filter: &crate::domain::series_query::SqlFilter,
) -> sqlx::Result<Vec<FactRow>> {
    let sql = format!(
        "SELECT team_id, assignee_id, channel, priority, type, {date_column} AS at, CAST({value_expression} AS DOUBLE PRECISION) AS value
         FROM ticket_metric_facts WHERE {date_column} >= $1 AND {date_column} < $2 {}",
        filter.clause
    );
    let mut query = sqlx::query(&sql).bind(from).bind(to);
    for value in &filter.values {
        query = match value {
            crate::domain::series_query::SqlValue::Text(text) => query.bind(text.clone()),
            crate::domain::series_query::SqlValue::Number(number) => query.bind(*number),
        };
    }
    query.fetch_all(connection).await?.iter().map(decode).collect()
}

fn decode(row: &AnyRow) -> sqlx::Result<FactRow> {
    Ok(FactRow {
        team_id: row.try_get("team_id")?,
        assignee_id: row.try_get("assignee_id")?,
        channel: row.try_get("channel")?,
        priority: row.try_get("priority")?,
        ticket_type: row.try_get("type")?,
        at: row.try_get("at")?,
        value: row.try_get("value")?,
    })
}

/// Tickets created in [from, to), counted per slot of `slot_micros` from `from` (slot 0 starts at
/// `from`), narrowed to a team and a channel when given. The database groups; only non-empty
/// slots come back, as (slot, tickets).
pub async fn created_per_slot(
    connection: &mut AnyConnection,
    team_id: &str,
    channel: i64,
    from: i64,
    to: i64,
    slot_micros: i64,
) -> sqlx::Result<Vec<(i64, i64)>> {
    let rows = sqlx::query(
        "SELECT (created_at - $1) / $3 AS slot, COUNT(*) AS tickets FROM ticket_metric_facts
         WHERE created_at >= $1 AND created_at < $2 AND ($4 = '' OR team_id = $4) AND ($5 = 0 OR channel = $5)
         GROUP BY 1 ORDER BY 1",
    )
    .bind(from)
    .bind(to)
    .bind(slot_micros)
    .bind(team_id)
    .bind(channel)
    .fetch_all(connection)
    .await?;
    rows.iter().map(|row| Ok((row.try_get("slot")?, row.try_get("tickets")?))).collect()
}
