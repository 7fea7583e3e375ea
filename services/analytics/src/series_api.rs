//! GetMetricSeries: decode and check the request, read the metric's ticket rows, bucket and
//! aggregate them.
use chrono::DateTime;
use chrono_tz::Tz;
use frontline_proto::analytics::v1 as pb;
use frontline_shared::{
    ApiError, ApiResult,
    auth::Principal,
    database::{Database, time},
    error::Violations,
};

use std::collections::{BTreeMap, HashSet};

use sqlx::AnyConnection;

use crate::{
    domain::{
        backlog::backlog_at_bucket_ends,
        rollup::{self, RollupRead},
        series::{Bucket, Granularity, buckets},
        series_query::{
            self, Aggregate, Dimension, Filters, MetricSpec, Observation, Point, SeriesBuilder, SqlFilter, metric_named,
        },
    },
    store::{metric_facts, periods, rollups},
};

pub async fn get_metric_series(
    db: &Database,
    principal: &Principal,
    request: pb::GetMetricSeriesRequest,
) -> ApiResult<pb::MetricSeries> {
    crate::ticket_metrics_api::check_reader(principal)?;
    let mut violations = Violations::new();
    let name = request.metric.trim();
    let period_metric = PeriodMetric::parse(name);
    let metric = metric_named(name);
    if metric.is_none() && period_metric.is_none() {
        let names: Vec<&str> =
            series_query::METRICS.iter().map(|m| m.name).chain([BACKLOG, TICKETS_REOPENED]).collect();
        violations.add("metric", format!("`{}` is not a metric; use one of {}", request.metric, names.join(", ")));
    }
    let window = Window::parse(&mut violations, &request.granularity, &request.time_zone, &request.from, &request.to);
    let counts_tickets = period_metric.is_some() || metric.is_some_and(|m| m.unit == "tickets");
    let default_aggregate = if counts_tickets { "count" } else { "mean" };
    let aggregate_name = if request.aggregate.is_empty() { default_aggregate } else { request.aggregate.as_str() };
    let aggregate = Aggregate::parse(aggregate_name);
    if aggregate.is_none() {
        violations.add("aggregate", "must be count, sum, mean, p50, p90, p95 or p99");
    } else if period_metric.is_some() && aggregate != Some(Aggregate::Count) {
        violations.add("aggregate", format!("{name} is a count of tickets: use count"));
    }
    let group_by = parse_group_by(&mut violations, &request.group_by);
    violations.into_result()?;
    let (window, aggregate) = (window.expect("checked"), aggregate.expect("checked"));
    let range = window.buckets()?;
    let given = request.filter.unwrap_or_default();
    let filters = Filters {
        team_id: given.team_id,
        agent_id: given.agent_id,
        channel: i64::from(given.channel),
        priority: i64::from(given.priority),
        ticket_type: i64::from(given.r#type),
        tag: given.tag,
    };
    let mut connection = db.reader().acquire().await?;
    let (name, unit, series) = match (period_metric, metric) {
        (Some(kind), _) => {
            let series = period_series(&mut connection, kind, &range, &window, &filters, group_by).await?;
            (name, "tickets", series)
        }
        (None, Some(metric)) => {
            let read = SeriesRead::new(metric, request.business_hours, &window, group_by);
            let series = read.read(&mut connection, &range, &filters).await?.finish(aggregate);
            (metric.name, metric.unit, series)
        }
        (None, None) => unreachable!("checked above"),
    };
    Ok(pb::MetricSeries {
        metric: name.to_string(),
        aggregate: aggregate_name.to_ascii_lowercase(),
        unit: unit.to_string(),
        groups: series
            .into_iter()
            .map(|(key, points)| pb::SeriesGroup {
                key,
                points: points
                    .into_iter()
                    .map(|point| pb::SeriesPoint {
                        start: Some(time::to_timestamp(point.bucket.start.timestamp_micros())),
                        end: Some(time::to_timestamp(point.bucket.end.timestamp_micros())),
                        count: point.count as i64,
                        value: point.value,
                    })
                    .collect(),
            })
            .collect(),
    })
}

/// The time side of a series request: buckets of a granularity in a zone over [from, to).
pub(crate) struct Window {
    pub granularity: Granularity,
    pub tz: Tz,
    pub from: i64,
    pub to: i64,
}

impl Window {
    /// Checks the fields (adding a violation per bad one); None when any is bad.
    pub fn parse(
        violations: &mut Violations,
        granularity: &str,
        time_zone: &str,
        from: &Option<prost_types::Timestamp>,
        to: &Option<prost_types::Timestamp>,
    ) -> Option<Window> {
        let granularity = Granularity::parse(granularity);
        if granularity.is_none() {
            violations.add("granularity", "must be hour, day, week or month");
        }
        let zone = if time_zone.trim().is_empty() { "UTC" } else { time_zone.trim() };
        let tz: Option<Tz> = zone.parse().ok();
        if tz.is_none() {
            violations.add("time_zone", format!("`{zone}` is not an IANA time zone"));
        }
        let from = from.as_ref().and_then(time::from_timestamp);
        let to = to.as_ref().and_then(time::from_timestamp);
        if from.is_none() {
            violations.add("from", "is required");
        }
        if to.is_none() {
            violations.add("to", "is required");
        }
        Some(Window { granularity: granularity?, tz: tz?, from: from?, to: to? })
    }

    pub fn buckets(&self) -> ApiResult<Vec<Bucket>> {
        buckets(
            DateTime::from_timestamp_micros(self.from).unwrap_or_default(),
            DateTime::from_timestamp_micros(self.to).unwrap_or_default(),
            self.granularity,
            self.tz,
        )
        .ok_or_else(|| ApiError::invalid("to", "must be after from, and the range at most 10000 buckets"))
    }
}

pub(crate) fn parse_group_by(violations: &mut Violations, text: &str) -> Option<Dimension> {
    match text.trim() {
        "" => None,
        name => {
            let dimension = Dimension::parse(name);
            if dimension.is_none() {
                violations.add("group_by", "must be team, agent, channel, priority or type");
            }
            dimension
        }
    }
}

/// What a series reads, whichever way it reads it.
pub(crate) struct SeriesRead {
    pub metric: &'static MetricSpec,
    pub business_hours: bool,
    pub granularity: Granularity,
    pub tz: Tz,
    pub group_by: Option<Dimension>,
}

/// Beyond this many stale slots in the range (just after an import or a rebuild), reading every
/// row is cheaper than picking out the stale slots' rows.
const MOST_STALE_SLOTS: usize = 500;

impl SeriesRead {
    pub fn new(
        metric: &'static MetricSpec,
        business_hours: bool,
        window: &Window,
        group_by: Option<Dimension>,
    ) -> Self {
        Self { metric, business_hours, granularity: window.granularity, tz: window.tz, group_by }
    }

    /// The series over `range`: from rollups when they can answer it, else from the rows.
    pub async fn read<'b>(
        &self,
        connection: &mut AnyConnection,
        range: &'b [Bucket],
        filters: &Filters,
    ) -> ApiResult<SeriesBuilder<'b>> {
        if let Some(plan) = rollup::plan(filters, self.group_by, range)
            && let Some(series) = self.read_rollups(connection, range, filters, &plan).await?
        {
            return Ok(series);
        }
        self.read_rows(connection, range, &filters.to_sql()).await
    }

    fn value_expression(&self) -> &'static str {
        if self.business_hours { self.metric.business_value } else { self.metric.value }
    }

    /// Every ticket row of the range: always right, and what rollups cannot answer.
    async fn read_rows<'b>(
        &self,
        connection: &mut AnyConnection,
        range: &'b [Bucket],
        filter: &SqlFilter,
    ) -> ApiResult<SeriesBuilder<'b>> {
        let mut series = SeriesBuilder::new(range, self.granularity, self.tz, self.group_by.is_some());
        self.add_rows(connection, range, filter, &mut series).await?;
        Ok(series)
    }

    async fn add_rows(
        &self,
        connection: &mut AnyConnection,
        range: &[Bucket],
        filter: &SqlFilter,
        series: &mut SeriesBuilder<'_>,
    ) -> ApiResult<()> {
        // Rows from the first bucket's start, which may be before `from`, to the last one's end.
        let (first, last) = (range[0].start.timestamp_micros(), range[range.len() - 1].end.timestamp_micros());
        let rows =
            metric_facts::rows(connection, self.metric.date_column, self.value_expression(), first, last, filter)
                .await?;
        for row in rows {
            let Some(value) = row.value else { continue };
            let observation = Observation {
                at_micros: row.at,
                value: row.value,
                team_id: row.team_id,
                agent_id: row.assignee_id,
                channel: row.channel,
                priority: row.priority,
                ticket_type: row.ticket_type,
            };
            series.add_value(observation.at_micros, observation.key(self.group_by), value);
        }
        Ok(())
    }

    /// Merges the fresh slots' sketches and adds the stale slots' rows; None when too many slots
    /// are stale for that to pay.
    async fn read_rollups<'b>(
        &self,
        connection: &mut AnyConnection,
        range: &'b [Bucket],
        filters: &Filters,
        plan: &RollupRead,
    ) -> ApiResult<Option<SeriesBuilder<'b>>> {
        let (first, last) = (range[0].start.timestamp_micros(), range[range.len() - 1].end.timestamp_micros());
        // Stale slots are read first: a slot refreshed after this point is still read from its
        // rows, which are always current.
        let stale = rollups::stale_between(connection, first, last).await?;
        if stale.len() > MOST_STALE_SLOTS {
            return Ok(None);
        }
        let variant = rollup::variant_for(self.metric, self.business_hours).expect("every metric is rolled up");
        let cells = rollups::cells_between(connection, plan.dimension, plan.value.as_deref(), first, last).await?;
        let stale_slots: HashSet<i64> = stale.iter().copied().collect();
        let mut series = SeriesBuilder::new(range, self.granularity, self.tz, self.group_by.is_some());
        for cell in cells.iter().filter(|cell| !stale_slots.contains(&cell.slot)) {
            let sketch = rollup::decode(&cell.sketches, variant.index)
                .map_err(|error| ApiError::Internal(anyhow::Error::new(error).context("reading metric rollups")))?;
            if let Some(sketch) = sketch {
                let key = if self.group_by.is_some() { cell.dimension_value.clone() } else { String::new() };
                series.merge_sketch(cell.slot, key, &sketch);
            }
        }
        if !stale.is_empty() {
            let mut filter = filters.to_sql();
            filter.clause.push_str(&rollups::in_slots(self.metric.date_column, &stale));
            self.add_rows(connection, range, &filter, &mut series).await?;
        }
        Ok(Some(series))
    }
}

const BACKLOG: &str = "backlog";
const TICKETS_REOPENED: &str = "tickets_reopened";

/// Series read from tickets' unsolved periods rather than their metric rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PeriodMetric {
    /// Unsolved tickets as each bucket closes.
    Backlog,
    /// Reopens in each bucket (a ticket reopened twice counts twice).
    Reopened,
}

impl PeriodMetric {
    fn parse(name: &str) -> Option<PeriodMetric> {
        match name {
            BACKLOG => Some(PeriodMetric::Backlog),
            TICKETS_REOPENED => Some(PeriodMetric::Reopened),
            _ => None,
        }
    }
}

async fn period_series(
    connection: &mut AnyConnection,
    kind: PeriodMetric,
    range: &[Bucket],
    window: &Window,
    filters: &Filters,
    group_by: Option<Dimension>,
) -> ApiResult<BTreeMap<String, Vec<Point>>> {
    let (first, last) = (range[0].start.timestamp_micros(), range[range.len() - 1].end.timestamp_micros());
    let rows = periods::overlapping(connection, first, last, &filters.to_sql()).await?;
    let keyed = rows.into_iter().map(|row| {
        let observation = Observation {
            at_micros: row.starts_at,
            value: Some(1.0),
            team_id: row.team_id,
            agent_id: row.assignee_id,
            channel: row.channel,
            priority: row.priority,
            ticket_type: row.ticket_type,
        };
        (row.ends_at, row.reopened, observation.key(group_by), observation)
    });
    Ok(match kind {
        PeriodMetric::Backlog => backlog_at_bucket_ends(
            keyed.map(|(end, _, key, observation)| (observation.at_micros, end, key)),
            range,
            group_by.is_some(),
        ),
        PeriodMetric::Reopened => {
            let mut series = SeriesBuilder::new(range, window.granularity, window.tz, group_by.is_some());
            for (_, reopened, key, observation) in keyed {
                if reopened && observation.at_micros >= first {
                    series.add_value(observation.at_micros, key, 1.0);
                }
            }
            series.finish(Aggregate::Count)
        }
    })
}
