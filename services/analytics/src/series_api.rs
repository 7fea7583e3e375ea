//! GetMetricSeries: decode and check the request, read the metric's ticket rows, bucket and
//! aggregate them.
use chrono::DateTime;
use chrono_tz::Tz;
use frontline_proto::analytics::v1 as pb;
use frontline_shared::{
    ApiResult,
    auth::Principal,
    database::{Database, time},
    error::Violations,
};

use crate::{
    domain::{
        series::{Granularity, buckets},
        series_query::{self, Aggregate, Dimension, Filters, Observation, metric_named},
    },
    store::metric_facts,
};

pub async fn get_metric_series(
    db: &Database,
    principal: &Principal,
    request: pb::GetMetricSeriesRequest,
) -> ApiResult<pb::MetricSeries> {
    crate::ticket_metrics_api::check_reader(principal)?;
    let mut violations = Violations::new();
    let metric = metric_named(request.metric.trim());
    if metric.is_none() {
        let names: Vec<&str> = series_query::METRICS.iter().map(|m| m.name).collect();
        violations.add("metric", format!("`{}` is not a metric; use one of {}", request.metric, names.join(", ")));
    }
    let granularity = Granularity::parse(&request.granularity);
    if granularity.is_none() {
        violations.add("granularity", "must be hour, day, week or month");
    }
    let zone = if request.time_zone.trim().is_empty() { "UTC" } else { request.time_zone.trim() };
    let tz: Option<Tz> = zone.parse().ok();
    if tz.is_none() {
        violations.add("time_zone", format!("`{zone}` is not an IANA time zone"));
    }
    let from = request.from.as_ref().and_then(time::from_timestamp);
    let to = request.to.as_ref().and_then(time::from_timestamp);
    if from.is_none() {
        violations.add("from", "is required");
    }
    if to.is_none() {
        violations.add("to", "is required");
    }
    let default_aggregate = if metric.is_some_and(|m| m.unit == "tickets") { "count" } else { "mean" };
    let aggregate_name = if request.aggregate.is_empty() { default_aggregate } else { request.aggregate.as_str() };
    let aggregate = Aggregate::parse(aggregate_name);
    if aggregate.is_none() {
        violations.add("aggregate", "must be count, sum, mean, p50, p90, p95 or p99");
    }
    let group_by = match request.group_by.trim() {
        "" => None,
        name => {
            let dimension = Dimension::parse(name);
            if dimension.is_none() {
                violations.add("group_by", "must be team, agent, channel, priority or type");
            }
            dimension
        }
    };
    violations.into_result()?;
    let (metric, granularity, tz, aggregate) =
        (metric.expect("checked"), granularity.expect("checked"), tz.expect("checked"), aggregate.expect("checked"));
    let (from, to) = (from.expect("checked"), to.expect("checked"));
    let range = buckets(
        DateTime::from_timestamp_micros(from).unwrap_or_default(),
        DateTime::from_timestamp_micros(to).unwrap_or_default(),
        granularity,
        tz,
    )
    .ok_or_else(|| {
        frontline_shared::ApiError::invalid("to", "must be after from, and the range at most 10000 buckets")
    })?;
    let given = request.filter.unwrap_or_default();
    let filters = Filters {
        team_id: given.team_id,
        agent_id: given.agent_id,
        channel: i64::from(given.channel),
        priority: i64::from(given.priority),
        ticket_type: i64::from(given.r#type),
        tag: given.tag,
    };
    let value = if request.business_hours { metric.business_value } else { metric.value };
    // Rows from the first bucket's start, which may be before `from`, to the last one's end.
    let (first, last) = (range[0].start.timestamp_micros(), range[range.len() - 1].end.timestamp_micros());
    let mut connection = db.reader().acquire().await?;
    let rows = metric_facts::rows(&mut connection, metric.date_column, value, first, last, &filters.to_sql()).await?;
    let observations: Vec<Observation> = rows
        .into_iter()
        .map(|row| Observation {
            at_micros: row.at,
            value: row.value,
            team_id: row.team_id,
            agent_id: row.assignee_id,
            channel: row.channel,
            priority: row.priority,
            ticket_type: row.ticket_type,
        })
        .collect();
    let series = series_query::aggregate(&observations, &range, granularity, tz, aggregate, group_by);
    Ok(pb::MetricSeries {
        metric: metric.name.to_string(),
        aggregate: aggregate_name.to_ascii_lowercase(),
        unit: metric.unit.to_string(),
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
