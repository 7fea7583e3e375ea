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
    /// Not a series dimension, but exported with the row.
    pub status: i64,
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
            status: i64::from(ticket.status),
        }
    }
}

/// The instants a ticket's row is dated by (creation, first reply, solve), if it has a row:
/// the slots its rollups must be rebuilt in when the row changes.
pub async fn dated_instants(connection: &mut AnyConnection, ticket_id: &str) -> sqlx::Result<Vec<i64>> {
    let row = sqlx::query("SELECT created_at, first_reply_at, solved_at FROM ticket_metric_facts WHERE ticket_id = $1")
        .bind(ticket_id)
        .fetch_optional(connection)
        .await?;
    let Some(row) = row else { return Ok(Vec::new()) };
    let created: i64 = row.try_get("created_at")?;
    let first_reply: Option<i64> = row.try_get("first_reply_at")?;
    let solved: Option<i64> = row.try_get("solved_at")?;
    Ok([Some(created), first_reply, solved].into_iter().flatten().collect())
}

/// Writes the ticket's row as of feed position `revision` (what the BI export resumes by).
pub async fn upsert(
    connection: &mut AnyConnection,
    ticket_id: &str,
    dimensions: &Dimensions,
    metrics: &TicketMetrics,
    revision: i64,
) -> sqlx::Result<()> {
    let micros = |at: Option<chrono::DateTime<chrono::Utc>>| at.map(|at| at.timestamp_micros());
    let listed = |items: &std::collections::BTreeSet<String>| items.iter().cloned().collect::<Vec<_>>().join(",");
    let next_total = metrics.next_replies.iter().fold((0, 0), |(calendar, business), reply| {
        (calendar + reply.calendar_seconds, business + reply.business_seconds)
    });
    sqlx::query(
        "INSERT INTO ticket_metric_facts (ticket_id, team_id, assignee_id, channel, priority, type, created_at,
             first_reply_at, first_reply_seconds, first_reply_business_seconds, solved_at, full_resolution_seconds,
             full_resolution_business_seconds, requester_wait_seconds, requester_wait_business_seconds, agent_replies,
             reopens, one_touch, csat, escalated, revision, status, agent_wait_seconds, agent_wait_business_seconds,
             on_hold_seconds, on_hold_business_seconds, next_replies, next_reply_total_seconds,
             next_reply_total_business_seconds, requester_replies, sla_breached, handled_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20,
             $21, $22, $23, $24, $25, $26, $27, $28, $29, $30, $31, $32)
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
             csat = excluded.csat, escalated = excluded.escalated, revision = excluded.revision,
             status = excluded.status, agent_wait_seconds = excluded.agent_wait_seconds,
             agent_wait_business_seconds = excluded.agent_wait_business_seconds,
             on_hold_seconds = excluded.on_hold_seconds, on_hold_business_seconds = excluded.on_hold_business_seconds,
             next_replies = excluded.next_replies, next_reply_total_seconds = excluded.next_reply_total_seconds,
             next_reply_total_business_seconds = excluded.next_reply_total_business_seconds,
             requester_replies = excluded.requester_replies, sla_breached = excluded.sla_breached,
             handled_by = excluded.handled_by",
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
    .bind(revision)
    .bind(dimensions.status)
    .bind(metrics.agent_wait.calendar_seconds)
    .bind(metrics.agent_wait.business_seconds)
    .bind(metrics.on_hold.calendar_seconds)
    .bind(metrics.on_hold.business_seconds)
    .bind(metrics.next_replies.len() as i64)
    .bind(next_total.0)
    .bind(next_total.1)
    .bind(metrics.requester_replies)
    .bind(listed(&metrics.sla_breached))
    .bind(listed(&metrics.handled_by))
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

/// Binds a series filter's values after the query's own ($1 and $2).
pub fn bind_filter<'q>(
    mut query: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
    filter: &crate::domain::series_query::SqlFilter,
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
    for value in &filter.values {
        query = match value {
            crate::domain::series_query::SqlValue::Text(text) => query.bind(text.clone()),
            crate::domain::series_query::SqlValue::Number(number) => query.bind(*number),
        };
    }
    query
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
    bind_filter(sqlx::query(&sql).bind(from).bind(to), filter).fetch_all(connection).await?.iter().map(decode).collect()
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

/// A ticket's whole row, as the BI export sends it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ExportedFact {
    pub ticket_id: String,
    pub revision: i64,
    pub status: i64,
    pub team_id: String,
    pub assignee_id: String,
    pub channel: i64,
    pub priority: i64,
    pub ticket_type: i64,
    pub tags: Vec<String>,
    pub created_at: i64,
    pub first_reply_at: Option<i64>,
    pub solved_at: Option<i64>,
    pub first_reply_seconds: Option<i64>,
    pub first_reply_business_seconds: Option<i64>,
    pub full_resolution_seconds: Option<i64>,
    pub full_resolution_business_seconds: Option<i64>,
    pub requester_wait_seconds: i64,
    pub requester_wait_business_seconds: i64,
    pub agent_wait_seconds: i64,
    pub agent_wait_business_seconds: i64,
    pub on_hold_seconds: i64,
    pub on_hold_business_seconds: i64,
    pub next_replies: i64,
    pub next_reply_total_seconds: i64,
    pub next_reply_total_business_seconds: i64,
    pub agent_replies: i64,
    pub requester_replies: i64,
    pub reopens: i64,
    pub one_touch: bool,
    pub csat: i64,
    pub escalated: bool,
    pub sla_breached: Vec<String>,
    pub handled_by: Vec<String>,
}

/// Up to `limit` rows changed after (revision, ticket id), in that order, of one team if given.
pub async fn changed_after(
    connection: &mut AnyConnection,
    revision: i64,
    ticket_id: &str,
    team_id: Option<&str>,
    limit: i64,
) -> sqlx::Result<Vec<ExportedFact>> {
    let team = if team_id.is_some() { " AND team_id = $4" } else { "" };
    let sql = format!(
        "SELECT * FROM ticket_metric_facts WHERE (revision > $1 OR (revision = $1 AND ticket_id > $2)){team}
         ORDER BY revision, ticket_id LIMIT $3"
    );
    let mut query = sqlx::query(&sql).bind(revision).bind(ticket_id).bind(limit);
    if let Some(team_id) = team_id {
        query = query.bind(team_id);
    }
    let rows = query.fetch_all(&mut *connection).await?;
    let mut facts: Vec<ExportedFact> = rows.iter().map(decode_exported).collect::<sqlx::Result<_>>()?;
    if facts.is_empty() {
        return Ok(facts);
    }
    let placeholders: Vec<String> = (1..=facts.len()).map(|n| format!("${n}")).collect();
    let sql = format!(
        "SELECT ticket_id, tag FROM ticket_fact_tags WHERE ticket_id IN ({}) ORDER BY tag",
        placeholders.join(", ")
    );
    let mut query = sqlx::query(&sql);
    for fact in &facts {
        query = query.bind(fact.ticket_id.clone());
    }
    let mut tags: std::collections::HashMap<String, Vec<String>> = std::collections::HashMap::new();
    for row in query.fetch_all(&mut *connection).await? {
        tags.entry(row.try_get("ticket_id")?).or_default().push(row.try_get("tag")?);
    }
    for fact in &mut facts {
        fact.tags = tags.remove(&fact.ticket_id).unwrap_or_default();
    }
    Ok(facts)
}

fn decode_exported(row: &AnyRow) -> sqlx::Result<ExportedFact> {
    let listed =
        |text: String| -> Vec<String> { text.split(',').filter(|item| !item.is_empty()).map(str::to_string).collect() };
    Ok(ExportedFact {
        ticket_id: row.try_get("ticket_id")?,
        revision: row.try_get("revision")?,
        status: row.try_get("status")?,
        team_id: row.try_get("team_id")?,
        assignee_id: row.try_get("assignee_id")?,
        channel: row.try_get("channel")?,
        priority: row.try_get("priority")?,
        ticket_type: row.try_get("type")?,
        tags: Vec::new(),
        created_at: row.try_get("created_at")?,
        first_reply_at: row.try_get("first_reply_at")?,
        solved_at: row.try_get("solved_at")?,
        first_reply_seconds: row.try_get("first_reply_seconds")?,
        first_reply_business_seconds: row.try_get("first_reply_business_seconds")?,
        full_resolution_seconds: row.try_get("full_resolution_seconds")?,
        full_resolution_business_seconds: row.try_get("full_resolution_business_seconds")?,
        requester_wait_seconds: row.try_get("requester_wait_seconds")?,
        requester_wait_business_seconds: row.try_get("requester_wait_business_seconds")?,
        agent_wait_seconds: row.try_get("agent_wait_seconds")?,
        agent_wait_business_seconds: row.try_get("agent_wait_business_seconds")?,
        on_hold_seconds: row.try_get("on_hold_seconds")?,
        on_hold_business_seconds: row.try_get("on_hold_business_seconds")?,
        next_replies: row.try_get("next_replies")?,
        next_reply_total_seconds: row.try_get("next_reply_total_seconds")?,
        next_reply_total_business_seconds: row.try_get("next_reply_total_business_seconds")?,
        agent_replies: row.try_get("agent_replies")?,
        requester_replies: row.try_get("requester_replies")?,
        reopens: row.try_get("reopens")?,
        one_touch: row.try_get::<i64, _>("one_touch")? != 0,
        csat: row.try_get("csat")?,
        escalated: row.try_get::<i64, _>("escalated")? != 0,
        sla_breached: listed(row.try_get("sla_breached")?),
        handled_by: listed(row.try_get("handled_by")?),
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
