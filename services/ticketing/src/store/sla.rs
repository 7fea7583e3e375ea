//! Each ticket's SLA history (what its clocks are computed from) and its SLA deadlines: the
//! warning and breach instants still to fire, and those fired, kept so each fires once.
use chrono::DateTime;
use frontline_shared::database::rows;
use sqlx::{AnyConnection, Row, any::AnyRow};

use super::decode_enum;
use crate::domain::{
    Status,
    service_level::AlertKind,
    sla::{self, Event, Metric},
};

/// Appends one event to the ticket's SLA history.
pub async fn record(connection: &mut AnyConnection, ticket_id: i64, event: &Event) -> sqlx::Result<()> {
    record_all(connection, &[(ticket_id, *event)]).await
}

/// Records many tickets' events at once; each ticket's in the order given.
pub async fn record_all(connection: &mut AnyConnection, events: &[(i64, Event)]) -> sqlx::Result<()> {
    const COLUMNS: &[&str] = &["ticket_id", "at", "kind", "status", "by_agent"];
    rows::insert(connection, "ticket_sla_events", COLUMNS, "", events, |query, (ticket_id, event)| {
        let (kind, status, by_agent) = match *event {
            Event::Created { by_agent, .. } => ("created", 0, by_agent),
            Event::StatusChanged { to, .. } => ("status", domain_status(to).number(), false),
            Event::PublicComment { by_agent, .. } => ("public_comment", 0, by_agent),
        };
        query.bind(*ticket_id).bind(event.at().timestamp_micros()).bind(kind).bind(status).bind(i64::from(by_agent))
    })
    .await
}

/// The ticket's SLA history in the order it happened.
pub async fn history(connection: &mut AnyConnection, ticket_id: i64) -> sqlx::Result<Vec<Event>> {
    let rows = sqlx::query("SELECT at, kind, status, by_agent FROM ticket_sla_events WHERE ticket_id = $1 ORDER BY id")
        .bind(ticket_id)
        .fetch_all(connection)
        .await?;
    rows.iter().map(decode_event).collect()
}

fn decode_event(row: &AnyRow) -> sqlx::Result<Event> {
    let at = DateTime::from_timestamp_micros(row.try_get("at")?).unwrap_or_default();
    let by_agent = row.try_get::<i64, _>("by_agent")? == 1;
    let kind: String = row.try_get("kind")?;
    Ok(match kind.as_str() {
        "created" => Event::Created { at, by_agent },
        "public_comment" => Event::PublicComment { at, by_agent },
        _ => {
            let status = decode_enum("status", row.try_get("status")?, Status::from_number)?;
            Event::StatusChanged { at, to: sla_status(status) }
        }
    })
}

pub fn sla_status(status: Status) -> sla::Status {
    match status {
        Status::New => sla::Status::New,
        Status::Open => sla::Status::Open,
        Status::Pending => sla::Status::Pending,
        Status::OnHold => sla::Status::OnHold,
        Status::Solved => sla::Status::Solved,
        Status::Closed => sla::Status::Closed,
    }
}

fn domain_status(status: sla::Status) -> Status {
    match status {
        sla::Status::New => Status::New,
        sla::Status::Open => Status::Open,
        sla::Status::Pending => Status::Pending,
        sla::Status::OnHold => Status::OnHold,
        sla::Status::Solved => Status::Solved,
        sla::Status::Closed => Status::Closed,
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deadline {
    pub id: i64,
    pub ticket_id: i64,
    pub policy_id: String,
    pub metric: Metric,
    pub kind: AlertKind,
    pub due_at: i64,
}

/// Replaces the ticket's unfired deadlines with `wanted`. A wanted instant that already fired
/// stays fired (the unique key keeps it), which is what makes each fire once.
pub async fn replace_pending(
    connection: &mut AnyConnection,
    ticket_id: i64,
    policy_id: &str,
    wanted: &[(Metric, AlertKind, i64)],
) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM sla_deadlines WHERE ticket_id = $1 AND fired_at IS NULL")
        .bind(ticket_id)
        .execute(&mut *connection)
        .await?;
    let deadlines: Vec<Scheduled> =
        wanted.iter().map(|&(metric, kind, due_at)| Scheduled { ticket_id, policy_id, metric, kind, due_at }).collect();
    schedule(connection, &deadlines).await
}

/// A deadline to schedule for a ticket under its policy.
pub struct Scheduled<'a> {
    pub ticket_id: i64,
    pub policy_id: &'a str,
    pub metric: Metric,
    pub kind: AlertKind,
    pub due_at: i64,
}

/// Schedules deadlines for any number of tickets; one already scheduled is left as it is.
pub async fn schedule(connection: &mut AnyConnection, deadlines: &[Scheduled<'_>]) -> sqlx::Result<()> {
    const COLUMNS: &[&str] = &["ticket_id", "policy_id", "metric", "kind", "due_at"];
    let suffix = "ON CONFLICT (ticket_id, metric, kind, due_at) DO NOTHING";
    rows::insert(connection, "sla_deadlines", COLUMNS, suffix, deadlines, |query, deadline| {
        query
            .bind(deadline.ticket_id)
            .bind(deadline.policy_id)
            .bind(deadline.metric.number())
            .bind(deadline.kind.number())
            .bind(deadline.due_at)
    })
    .await
}

/// Unfired deadlines due by `now`, earliest first. A warning is due at its instant; a breach
/// only after it, because a reply at exactly the due instant still meets the target.
pub async fn due(connection: &mut AnyConnection, now: i64, limit: i64) -> sqlx::Result<Vec<Deadline>> {
    let rows = sqlx::query(
        "SELECT id, ticket_id, policy_id, metric, kind, due_at FROM sla_deadlines
         WHERE fired_at IS NULL AND (due_at < $1 OR (due_at = $1 AND kind = $3)) ORDER BY due_at, id LIMIT $2",
    )
    .bind(now)
    .bind(limit)
    .bind(AlertKind::Warning.number())
    .fetch_all(connection)
    .await?;
    rows.iter()
        .map(|row| {
            Ok(Deadline {
                id: row.try_get("id")?,
                ticket_id: row.try_get("ticket_id")?,
                policy_id: row.try_get("policy_id")?,
                metric: decode_enum("metric", row.try_get("metric")?, Metric::from_number)?,
                kind: decode_enum("kind", row.try_get("kind")?, AlertKind::from_number)?,
                due_at: row.try_get("due_at")?,
            })
        })
        .collect()
}

/// Marks a deadline fired. Only one caller ever gets true for a deadline, whatever the number
/// of replicas racing for it: the row lock (Postgres) or the single writer (SQLite) orders
/// them, and the loser sees `fired_at` already set.
pub async fn claim(connection: &mut AnyConnection, id: i64, now: i64) -> sqlx::Result<bool> {
    let claimed = sqlx::query("UPDATE sla_deadlines SET fired_at = $2 WHERE id = $1 AND fired_at IS NULL")
        .bind(id)
        .bind(now)
        .execute(connection)
        .await?
        .rows_affected();
    Ok(claimed == 1)
}

/// The earliest unfired deadline, if any: when the scheduler must next wake.
pub async fn next_due(connection: &mut AnyConnection) -> sqlx::Result<Option<i64>> {
    let row = sqlx::query("SELECT MIN(due_at) AS due_at FROM sla_deadlines WHERE fired_at IS NULL")
        .fetch_one(connection)
        .await?;
    row.try_get("due_at")
}

/// How many warnings and breaches are waiting for their time (a gauge for operators).
pub async fn pending(connection: &mut AnyConnection) -> sqlx::Result<i64> {
    let row = sqlx::query("SELECT COUNT(*) AS pending FROM sla_deadlines WHERE fired_at IS NULL")
        .fetch_one(connection)
        .await?;
    row.try_get("pending")
}

/// When the ticket's status last changed (None: never since creation).
pub async fn last_status_change(connection: &mut AnyConnection, ticket_id: i64) -> sqlx::Result<Option<i64>> {
    let row = sqlx::query("SELECT MAX(at) AS at FROM ticket_sla_events WHERE ticket_id = $1 AND kind = 'status'")
        .bind(ticket_id)
        .fetch_one(connection)
        .await?;
    row.try_get("at")
}
