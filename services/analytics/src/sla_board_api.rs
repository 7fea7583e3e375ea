//! GetSlaBoard: what a supervisor watches — the unsolved tickets closest to breaching their SLA
//! (those already overdue first) and how many targets were breached today.
use chrono::{NaiveDate, Utc};
use chrono_tz::Tz;
use frontline_proto::analytics::v1 as pb;
use frontline_shared::{
    ApiResult,
    auth::Principal,
    database::{Database, time},
    error::Violations,
    filter::{SqlFilter, SqlValue},
    ticket_scope::ticket_scope,
};
use sqlx::Row;

use crate::domain::series::{Granularity, bucket_start, next_start};

/// Binds a scope clause's values, in order, after the ones already bound.
pub(crate) fn bind_scope<'q>(
    mut query: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
    scope: &'q SqlFilter,
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
    for value in &scope.values {
        query = match value {
            SqlValue::Text(text) => query.bind(text.as_str()),
            SqlValue::Integer(number) => query.bind(*number),
        };
    }
    query
}

const DEFAULT_LIMIT: i64 = 20;
const MAX_LIMIT: i64 = 500;

pub async fn get_sla_board(
    db: &Database,
    principal: &Principal,
    request: pb::GetSlaBoardRequest,
) -> ApiResult<pb::SlaBoard> {
    crate::ticket_metrics_api::check_reader(principal)?;
    let mut violations = Violations::new();
    let zone = if request.time_zone.trim().is_empty() { "UTC" } else { request.time_zone.trim() };
    let tz: Option<Tz> = zone.parse().ok();
    if tz.is_none() {
        violations.add("time_zone", format!("`{zone}` is not an IANA time zone"));
    }
    let day = match request.day.trim() {
        "" => None,
        text => {
            let parsed = NaiveDate::parse_from_str(text, "%Y-%m-%d").ok();
            if parsed.is_none() {
                violations.add("day", format!("`{text}` is not a date as YYYY-MM-DD"));
            }
            parsed
        }
    };
    if request.limit < 0 {
        violations.add("limit", "must not be negative");
    }
    violations.into_result()?;
    let tz = tz.expect("checked");
    let limit = if request.limit == 0 { DEFAULT_LIMIT } else { i64::from(request.limit).min(MAX_LIMIT) };
    // The local day as UTC instants: a day in a zone with daylight saving may be 23 or 25 hours.
    let noon = match day {
        Some(day) => day.and_hms_opt(12, 0, 0).expect("noon exists").and_utc(),
        None => Utc::now(),
    };
    let start = bucket_start(noon, Granularity::Day, tz);
    let end = next_start(start, Granularity::Day, tz);

    // Only tickets the caller may see in ticketing, counted or listed.
    let scope = ticket_scope(principal).sql_clause(3);
    let mut connection = db.reader().acquire().await?;
    let sql = format!(
        "SELECT ticket_id, subject, team_id, assignee_id, priority, sla_breach_at FROM ticket_facts
         WHERE status < 5 AND sla_breach_at IS NOT NULL AND ($1 = '' OR team_id = $1) AND ({})
         ORDER BY sla_breach_at, ticket_id LIMIT $2",
        scope.clause
    );
    let rows =
        bind_scope(sqlx::query(&sql).bind(&request.team_id).bind(limit), &scope).fetch_all(&mut *connection).await?;
    let at_risk = rows
        .iter()
        .map(|row| {
            Ok(pb::SlaBoardTicket {
                ticket_id: row.try_get("ticket_id")?,
                subject: row.try_get("subject")?,
                team_id: row.try_get("team_id")?,
                assignee_id: row.try_get("assignee_id")?,
                priority: row.try_get::<i64, _>("priority")? as i32,
                sla_breach_at: Some(time::to_timestamp(row.try_get("sla_breach_at")?)),
            })
        })
        .collect::<sqlx::Result<Vec<_>>>()?;
    let scope = ticket_scope(principal).sql_clause(4);
    let sql = format!(
        "SELECT h.detail AS metric, COUNT(*) AS breaches FROM ticket_history h
         JOIN ticket_facts f ON f.ticket_id = h.ticket_id
         WHERE h.kind = 'sla_breached' AND h.at >= $1 AND h.at < $2 AND ($3 = '' OR f.team_id = $3)
           AND f.ticket_id IN (SELECT ticket_id FROM ticket_facts WHERE {})
         GROUP BY h.detail ORDER BY h.detail",
        scope.clause
    );
    let query = sqlx::query(&sql).bind(start.timestamp_micros()).bind(end.timestamp_micros()).bind(&request.team_id);
    let breaches = bind_scope(query, &scope).fetch_all(&mut *connection).await?;
    let breaches_by_metric = breaches
        .iter()
        .map(|row| Ok(pb::BreachCount { metric: row.try_get("metric")?, breaches: row.try_get("breaches")? }))
        .collect::<sqlx::Result<Vec<_>>>()?;
    Ok(pb::SlaBoard {
        at_risk,
        breaches_today: breaches_by_metric.iter().map(|b| b.breaches).sum(),
        breaches_by_metric,
    })
}
