//! ExportTicketFacts and ExportMetricSeries: bulk, resumable, incremental export for BI tools.
//!
//! Facts are read in (revision, ticket id) order, where a row's revision is the feed position
//! of the event that last changed it. The follower applies positions in order and commits each
//! batch at once, so a row committed after an export read past some revision always carries a
//! higher one: resuming from a cursor never misses a change (Zendesk's incremental export keeps
//! a one-minute blind spot for the same reason) and never repeats an unchanged row.
use std::collections::BTreeSet;

use frontline_proto::analytics::v1 as pb;
use frontline_shared::{
    ApiError, ApiResult,
    auth::{Principal, Role},
    database::{Database, time},
    error::Violations,
};
use futures::{StreamExt, stream::BoxStream};
use sha2::{Digest, Sha256};
use tonic::Status;

use crate::{
    domain::{
        export::{CursorError, FactsCursor, SeriesCursor, csv},
        rollup::SLOT_MICROS,
        series::bucket_start,
        series_query::{self, Filters, all_aggregates, metric_named},
    },
    series_api::{SeriesRead, Window, parse_group_by},
    store::{metric_facts, metric_facts::ExportedFact, state},
};

pub type TicketFactsStream = BoxStream<'static, Result<pb::TicketFactsBatch, Status>>;
pub type SeriesRowsStream = BoxStream<'static, Result<pb::SeriesRowsBatch, Status>>;

const DEFAULT_BATCH: i64 = 500;
const MOST_PER_BATCH: i64 = 5000;
/// Buckets per series batch: a year of days for a handful of groups fits comfortably.
const BUCKETS_PER_BATCH: usize = 400;

/// Exports are for the people who steer support and for BI: everything for bi_reader,
/// directors, managers and administrators; their own team for team leads and supervisors.
/// Returns the team the caller is limited to.
fn check_exporter(principal: &Principal, team_id: &str) -> ApiResult<Option<String>> {
    match principal.role {
        Role::BiReader | Role::Director | Role::Manager | Role::Administrator => {
            Ok((!team_id.is_empty()).then(|| team_id.to_string()))
        }
        Role::TeamLead | Role::Supervisor => {
            let Some(own) = principal.team_id.clone() else {
                return Err(ApiError::permission_denied(
                    "a team lead's token must name their team (--team) to export it",
                ));
            };
            if team_id.is_empty() || team_id == own {
                Ok(Some(own))
            } else {
                Err(ApiError::permission_denied(format!("a {} may export only their own team ({own})", principal.role)))
            }
        }
        role => Err(ApiError::permission_denied(format!("the {role} role may not export analytics"))),
    }
}

fn cursor_error(error: CursorError) -> ApiError {
    match error {
        CursorError::Expired => {
            ApiError::FailedPrecondition { reason: "CURSOR_EXPIRED", message: format!("cursor {error}") }
        }
        other => ApiError::invalid("cursor", other.to_string()),
    }
}

fn wants_csv(format: i32, violations: &mut Violations) -> bool {
    match pb::ExportFormat::try_from(format) {
        Ok(pb::ExportFormat::Csv) => true,
        Ok(_) => false,
        Err(_) => {
            violations.add("format", "must be EXPORT_FORMAT_ROWS or EXPORT_FORMAT_CSV");
            false
        }
    }
}

pub async fn export_ticket_facts(
    db: &Database,
    principal: &Principal,
    request: pb::ExportTicketFactsRequest,
) -> ApiResult<TicketFactsStream> {
    let team = check_exporter(principal, request.team_id.trim())?;
    let mut violations = Violations::new();
    if !(0..=MOST_PER_BATCH as i32).contains(&request.batch_size) {
        violations.add("batch_size", format!("must be between 1 and {MOST_PER_BATCH} (0 for {DEFAULT_BATCH})"));
    }
    let as_csv = wants_csv(request.format, &mut violations);
    violations.into_result()?;
    let batch_size = if request.batch_size == 0 { DEFAULT_BATCH } else { i64::from(request.batch_size) };
    let epoch = state::epoch(&mut *db.reader().acquire().await?).await?;
    let start = FactsCursor::decode(&request.cursor, epoch).map_err(cursor_error)?;

    struct Progress {
        db: Database,
        cursor: FactsCursor,
        first: bool,
        done: bool,
    }
    let progress = Progress { db: db.clone(), cursor: start, first: true, done: false };
    let stream = futures::stream::unfold(progress, move |mut progress| {
        let team = team.clone();
        async move {
            if progress.done {
                return None;
            }
            let batch = async {
                let mut connection = progress.db.reader().acquire().await?;
                let facts = metric_facts::changed_after(
                    &mut connection,
                    progress.cursor.revision,
                    &progress.cursor.ticket_id,
                    team.as_deref(),
                    batch_size,
                )
                .await?;
                Ok::<_, ApiError>(facts)
            }
            .await;
            let facts = match batch {
                Ok(facts) => facts,
                Err(error) => {
                    progress.done = true;
                    return Some((Err(Status::from(error)), progress));
                }
            };
            if let Some(last) = facts.last() {
                progress.cursor.revision = last.revision;
                progress.cursor.ticket_id = last.ticket_id.clone();
            }
            let caught_up = (facts.len() as i64) < batch_size;
            progress.done = caught_up;
            let facts: Vec<pb::TicketFact> = facts.into_iter().map(wire_fact).collect();
            let batch = if as_csv {
                let header = progress.first.then_some(FACT_COLUMNS);
                let rows: Vec<Vec<String>> = facts.iter().map(fact_row).collect();
                pb::TicketFactsBatch {
                    facts: Vec::new(),
                    csv: csv(header, &rows),
                    cursor: progress.cursor.encode(),
                    caught_up,
                }
            } else {
                pb::TicketFactsBatch { facts, csv: String::new(), cursor: progress.cursor.encode(), caught_up }
            };
            progress.first = false;
            Some((Ok(batch), progress))
        }
    });
    Ok(stream.boxed())
}

fn wire_fact(fact: ExportedFact) -> pb::TicketFact {
    let mean = |total: i64| (fact.next_replies > 0).then(|| total as f64 / fact.next_replies as f64);
    pb::TicketFact {
        next_reply_mean_seconds: mean(fact.next_reply_total_seconds),
        next_reply_mean_business_seconds: mean(fact.next_reply_total_business_seconds),
        ticket_id: fact.ticket_id,
        status: fact.status as i32,
        team_id: fact.team_id,
        assignee_id: fact.assignee_id,
        channel: fact.channel as i32,
        priority: fact.priority as i32,
        r#type: fact.ticket_type as i32,
        tags: fact.tags,
        created_at: Some(time::to_timestamp(fact.created_at)),
        first_reply_at: time::optional_timestamp(fact.first_reply_at),
        solved_at: time::optional_timestamp(fact.solved_at),
        first_reply_seconds: fact.first_reply_seconds,
        first_reply_business_seconds: fact.first_reply_business_seconds,
        full_resolution_seconds: fact.full_resolution_seconds,
        full_resolution_business_seconds: fact.full_resolution_business_seconds,
        requester_wait_seconds: fact.requester_wait_seconds,
        requester_wait_business_seconds: fact.requester_wait_business_seconds,
        agent_wait_seconds: fact.agent_wait_seconds,
        agent_wait_business_seconds: fact.agent_wait_business_seconds,
        on_hold_seconds: fact.on_hold_seconds,
        on_hold_business_seconds: fact.on_hold_business_seconds,
        next_replies: fact.next_replies as i32,
        agent_replies: fact.agent_replies as i32,
        requester_replies: fact.requester_replies as i32,
        reopens: fact.reopens as i32,
        one_touch: fact.one_touch,
        csat: match fact.csat {
            1 => pb::Csat::Good,
            2 => pb::Csat::Bad,
            _ => pb::Csat::NotRated,
        } as i32,
        escalated: fact.escalated,
        sla_breached: fact.sla_breached,
        handled_by: fact.handled_by,
    }
}

const FACT_COLUMNS: &[&str] = &[
    "ticket_id",
    "status",
    "team_id",
    "assignee_id",
    "channel",
    "priority",
    "type",
    "tags",
    "created_at",
    "first_reply_at",
    "solved_at",
    "first_reply_seconds",
    "first_reply_business_seconds",
    "full_resolution_seconds",
    "full_resolution_business_seconds",
    "requester_wait_seconds",
    "requester_wait_business_seconds",
    "agent_wait_seconds",
    "agent_wait_business_seconds",
    "on_hold_seconds",
    "on_hold_business_seconds",
    "next_replies",
    "next_reply_mean_seconds",
    "next_reply_mean_business_seconds",
    "agent_replies",
    "requester_replies",
    "reopens",
    "one_touch",
    "csat",
    "escalated",
    "sla_breached",
    "handled_by",
];

fn enum_name<E: TryFrom<i32>>(value: i32, name: impl Fn(E) -> &'static str) -> String {
    E::try_from(value).map(name).unwrap_or("").to_string()
}

/// A fact as a CSV row: enums by name, instants in RFC 3339, lists separated by `;`.
fn fact_row(fact: &pb::TicketFact) -> Vec<String> {
    use frontline_proto::ticketing::v1::{Channel, Priority, TicketStatus, TicketType};
    let at = |t: &Option<prost_types::Timestamp>| {
        t.as_ref().and_then(time::from_timestamp).map(time::to_rfc3339).unwrap_or_default()
    };
    let number = |n: Option<i64>| n.map(|n| n.to_string()).unwrap_or_default();
    let decimal = |n: Option<f64>| n.map(|n| format!("{n:.1}")).unwrap_or_default();
    vec![
        fact.ticket_id.clone(),
        enum_name(fact.status, |s: TicketStatus| s.as_str_name()),
        fact.team_id.clone(),
        fact.assignee_id.clone(),
        enum_name(fact.channel, |c: Channel| c.as_str_name()),
        enum_name(fact.priority, |p: Priority| p.as_str_name()),
        enum_name(fact.r#type, |t: TicketType| t.as_str_name()),
        fact.tags.join(";"),
        at(&fact.created_at),
        at(&fact.first_reply_at),
        at(&fact.solved_at),
        number(fact.first_reply_seconds),
        number(fact.first_reply_business_seconds),
        number(fact.full_resolution_seconds),
        number(fact.full_resolution_business_seconds),
        fact.requester_wait_seconds.to_string(),
        fact.requester_wait_business_seconds.to_string(),
        fact.agent_wait_seconds.to_string(),
        fact.agent_wait_business_seconds.to_string(),
        fact.on_hold_seconds.to_string(),
        fact.on_hold_business_seconds.to_string(),
        fact.next_replies.to_string(),
        decimal(fact.next_reply_mean_seconds),
        decimal(fact.next_reply_mean_business_seconds),
        fact.agent_replies.to_string(),
        fact.requester_replies.to_string(),
        fact.reopens.to_string(),
        fact.one_touch.to_string(),
        enum_name(fact.csat, |c: pb::Csat| c.as_str_name()),
        fact.escalated.to_string(),
        fact.sla_breached.join(";"),
        fact.handled_by.join(";"),
    ]
}

const SERIES_COLUMNS: &[&str] =
    &["metric", "group", "start", "end", "count", "sum", "mean", "p50", "p90", "p95", "p99"];

pub async fn export_metric_series(
    db: &Database,
    principal: &Principal,
    request: pb::ExportMetricSeriesRequest,
) -> ApiResult<SeriesRowsStream> {
    let team = check_exporter(principal, "")?;
    let mut violations = Violations::new();
    let mut metrics = Vec::new();
    if request.metrics.is_empty() {
        violations.add("metrics", "name at least one metric");
    }
    for name in &request.metrics {
        match metric_named(name.trim()) {
            Some(metric) if !metrics.contains(&metric) => metrics.push(metric),
            Some(_) => {}
            None => {
                let names: Vec<&str> = series_query::METRICS.iter().map(|m| m.name).collect();
                violations.add("metrics", format!("`{name}` is not a metric; use any of {}", names.join(", ")));
            }
        }
    }
    let window = Window::parse(&mut violations, &request.granularity, &request.time_zone, &request.from, &request.to);
    let group_by = parse_group_by(&mut violations, &request.group_by);
    let as_csv = wants_csv(request.format, &mut violations);
    violations.into_result()?;
    let window = window.expect("checked");
    let range = window.buckets()?;
    // The cursor belongs to this request: the same metrics, window, grouping and hours.
    let fingerprint = {
        let described = format!(
            "{:?}|{}|{}|{}|{}|{}|{}|{:?}",
            request.metrics,
            window.from,
            window.to,
            request.granularity.trim().to_ascii_lowercase(),
            window.tz,
            request.group_by.trim(),
            request.business_hours,
            team
        );
        let digest = Sha256::digest(described.as_bytes());
        digest.iter().take(8).map(|b| format!("{b:02x}")).collect::<String>()
    };
    let mut connection = db.reader().acquire().await?;
    let epoch = state::epoch(&mut connection).await?;
    let high: i64 =
        sqlx::query_scalar("SELECT COALESCE(MAX(revision), 0) FROM metric_slots").fetch_one(&mut *connection).await?;
    let cursor = SeriesCursor::decode(&request.cursor, epoch, &fingerprint, high).map_err(cursor_error)?;

    // Which buckets to send: all of them from the start, else those holding a slot that changed.
    let (first, last) = (range[0].start.timestamp_micros(), range[range.len() - 1].end.timestamp_micros());
    let changed: Option<BTreeSet<i64>> = if cursor.since == 0 {
        None
    } else {
        let slots: Vec<i64> =
            sqlx::query_scalar("SELECT slot FROM metric_slots WHERE revision > $1 AND slot >= $2 AND slot < $3")
                .bind(cursor.since)
                .bind(first - SLOT_MICROS)
                .bind(last)
                .fetch_all(&mut *connection)
                .await?;
        let mut starts = BTreeSet::new();
        for slot in slots {
            // A slot may straddle two buckets in a :45 zone: both changed.
            for at in [slot, slot + SLOT_MICROS - 1] {
                if let Some(at) = chrono::DateTime::from_timestamp_micros(at) {
                    starts.insert(bucket_start(at, window.granularity, window.tz).timestamp_micros());
                }
            }
        }
        Some(starts)
    };
    let filters = Filters { team_id: team.unwrap_or_default(), ..Default::default() };
    let mut rows: Vec<(i64, pb::SeriesRow)> = Vec::new();
    for metric in metrics {
        let read = SeriesRead::new(metric, request.business_hours, &window, group_by);
        let series = read.read(&mut connection, &range, &filters).await?.finish_with(all_aggregates);
        for (group, points) in series {
            for (bucket, count, aggregates) in points {
                let start = bucket.start.timestamp_micros();
                let wanted = changed.as_ref().is_none_or(|changed| changed.contains(&start));
                if !wanted || cursor.after_bucket.is_some_and(|after| start <= after) {
                    continue;
                }
                let row = pb::SeriesRow {
                    metric: metric.name.to_string(),
                    group: group.clone(),
                    start: Some(time::to_timestamp(start)),
                    end: Some(time::to_timestamp(bucket.end.timestamp_micros())),
                    count: count as i64,
                    sum: aggregates[0],
                    mean: aggregates[1],
                    p50: aggregates[2],
                    p90: aggregates[3],
                    p95: aggregates[4],
                    p99: aggregates[5],
                };
                rows.push((start, row));
            }
        }
    }
    drop(connection);
    // In bucket order, so a cursor can say "up to this bucket".
    rows.sort_by(|a, b| (a.0, &a.1.metric, &a.1.group).cmp(&(b.0, &b.1.metric, &b.1.group)));
    let mut by_bucket: Vec<(i64, Vec<pb::SeriesRow>)> = Vec::new();
    for (start, row) in rows {
        match by_bucket.last_mut() {
            Some((last, group)) if *last == start => group.push(row),
            _ => by_bucket.push((start, vec![row])),
        }
    }
    let chunks: Vec<Vec<(i64, Vec<pb::SeriesRow>)>> = by_bucket.chunks(BUCKETS_PER_BATCH).map(<[_]>::to_vec).collect();
    let total = chunks.len();
    let batches: Vec<pb::SeriesRowsBatch> = if chunks.is_empty() {
        let next = SeriesCursor { since: cursor.high, after_bucket: None, ..cursor.clone() };
        let csv_text = if as_csv { csv(Some(SERIES_COLUMNS), &[]) } else { String::new() };
        vec![pb::SeriesRowsBatch { rows: Vec::new(), csv: csv_text, cursor: next.encode(), caught_up: true }]
    } else {
        chunks
            .into_iter()
            .enumerate()
            .map(|(i, chunk)| {
                let caught_up = i + 1 == total;
                let last_bucket = chunk.last().map(|(start, _)| *start);
                // The last batch's cursor asks next time for what changed after this export's read.
                let next = if caught_up {
                    SeriesCursor { since: cursor.high, after_bucket: None, ..cursor.clone() }
                } else {
                    SeriesCursor { after_bucket: last_bucket, ..cursor.clone() }
                };
                let rows: Vec<pb::SeriesRow> = chunk.into_iter().flat_map(|(_, rows)| rows).collect();
                if as_csv {
                    let header = (i == 0).then_some(SERIES_COLUMNS);
                    let lines: Vec<Vec<String>> = rows.iter().map(series_row).collect();
                    pb::SeriesRowsBatch { rows: Vec::new(), csv: csv(header, &lines), cursor: next.encode(), caught_up }
                } else {
                    pb::SeriesRowsBatch { rows, csv: String::new(), cursor: next.encode(), caught_up }
                }
            })
            .collect()
    };
    Ok(futures::stream::iter(batches.into_iter().map(Ok)).boxed())
}

fn series_row(row: &pb::SeriesRow) -> Vec<String> {
    let at = |t: &Option<prost_types::Timestamp>| {
        t.as_ref().and_then(time::from_timestamp).map(time::to_rfc3339).unwrap_or_default()
    };
    let value = |v: Option<f64>| v.map(|v| v.to_string()).unwrap_or_default();
    vec![
        row.metric.clone(),
        row.group.clone(),
        at(&row.start),
        at(&row.end),
        row.count.to_string(),
        value(row.sum),
        value(row.mean),
        value(row.p50),
        value(row.p90),
        value(row.p95),
        value(row.p99),
    ]
}
