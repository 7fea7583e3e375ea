//! Tickets' unsolved periods: the backlog over time and the reopens.
use sqlx::{AnyConnection, Row};

use crate::domain::{backlog::UnsolvedPeriod, series_query::SqlFilter};

/// Replaces the ticket's periods with `periods`.
pub async fn replace(connection: &mut AnyConnection, ticket_id: &str, periods: &[UnsolvedPeriod]) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM ticket_unsolved_periods WHERE ticket_id = $1")
        .bind(ticket_id)
        .execute(&mut *connection)
        .await?;
    for (seq, period) in periods.iter().enumerate() {
        sqlx::query(
            "INSERT INTO ticket_unsolved_periods (ticket_id, seq, starts_at, ends_at, reopened) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(ticket_id)
        .bind(seq as i64)
        .bind(period.start.timestamp_micros())
        .bind(period.end.map(|end| end.timestamp_micros()))
        .bind(i64::from(period.reopened))
        .execute(&mut *connection)
        .await?;
    }
    Ok(())
}

/// A period with its ticket's dimensions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeriodRow {
    pub starts_at: i64,
    pub ends_at: Option<i64>,
    pub reopened: bool,
    pub team_id: String,
    pub assignee_id: String,
    pub channel: i64,
    pub priority: i64,
    pub ticket_type: i64,
}

/// Periods overlapping [from, to) of the tickets `filter` keeps (its placeholders from $3).
pub async fn overlapping(
    connection: &mut AnyConnection,
    from: i64,
    to: i64,
    filter: &SqlFilter,
) -> sqlx::Result<Vec<PeriodRow>> {
    // The filter names the facts' columns unqualified, so it narrows a subquery of its own.
    let sql = format!(
        "SELECT p.starts_at, p.ends_at, p.reopened, f.team_id, f.assignee_id, f.channel, f.priority, f.type
         FROM ticket_unsolved_periods p
         JOIN (SELECT ticket_id, team_id, assignee_id, channel, priority, type FROM ticket_metric_facts WHERE 1 = 1 {}) f
           ON f.ticket_id = p.ticket_id
         WHERE p.starts_at < $2 AND (p.ends_at IS NULL OR p.ends_at > $1)",
        filter.clause
    );
    super::metric_facts::bind_filter(sqlx::query(&sql).bind(from).bind(to), filter)
        .fetch_all(connection)
        .await?
        .iter()
        .map(|row| {
            Ok(PeriodRow {
                starts_at: row.try_get("starts_at")?,
                ends_at: row.try_get("ends_at")?,
                reopened: row.try_get::<i64, _>("reopened")? != 0,
                team_id: row.try_get("team_id")?,
                assignee_id: row.try_get("assignee_id")?,
                channel: row.try_get("channel")?,
                priority: row.try_get("priority")?,
                ticket_type: row.try_get("type")?,
            })
        })
        .collect()
}
