//! Metric series: which metrics there are (what each is dated by and measures), the filters and
//! groupings they take, and the aggregation of ticket rows into local-time buckets. Percentiles
//! come from DDSketch (1% relative error), which merges, so buckets and groups roll up exactly
//! as far as the sketch's error allows.
use std::collections::{BTreeMap, HashMap};

use chrono::DateTime;
use chrono_tz::Tz;
use sketches_ddsketch::DDSketch;

use super::{
    rollup::new_sketch,
    series::{Bucket, Granularity, bucket_start},
};

/// One metric: the column it is dated by and the SQL expression of its per-ticket value, in
/// calendar time and in business hours (the same for metrics that are not durations).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MetricSpec {
    pub name: &'static str,
    pub date_column: &'static str,
    pub value: &'static str,
    pub business_value: &'static str,
    pub unit: &'static str,
}

const fn metric(
    name: &'static str,
    date: &'static str,
    value: &'static str,
    business: &'static str,
    unit: &'static str,
) -> MetricSpec {
    MetricSpec { name, date_column: date, value, business_value: business, unit }
}

pub const METRICS: &[MetricSpec] = &[
    metric("tickets_created", "created_at", "1", "1", "tickets"),
    metric("tickets_solved", "solved_at", "1", "1", "tickets"),
    metric("first_reply_time", "first_reply_at", "first_reply_seconds", "first_reply_business_seconds", "seconds"),
    metric(
        "full_resolution_time",
        "solved_at",
        "full_resolution_seconds",
        "full_resolution_business_seconds",
        "seconds",
    ),
    metric("requester_wait_time", "solved_at", "requester_wait_seconds", "requester_wait_business_seconds", "seconds"),
    metric("agent_replies", "solved_at", "agent_replies", "agent_replies", "replies"),
    // Rates: the mean of a 0/1 value per ticket.
    metric("one_touch_rate", "solved_at", "one_touch", "one_touch", "ratio"),
    metric(
        "reopen_rate",
        "solved_at",
        "CASE WHEN reopens > 0 THEN 1 ELSE 0 END",
        "CASE WHEN reopens > 0 THEN 1 ELSE 0 END",
        "ratio",
    ),
    // Good over good plus bad: unrated tickets have no value.
    metric(
        "csat_score",
        "solved_at",
        "CASE csat WHEN 1 THEN 1 WHEN 2 THEN 0 ELSE NULL END",
        "CASE csat WHEN 1 THEN 1 WHEN 2 THEN 0 ELSE NULL END",
        "ratio",
    ),
    metric("escalation_rate", "created_at", "escalated", "escalated", "ratio"),
];

pub fn metric_named(name: &str) -> Option<&'static MetricSpec> {
    METRICS.iter().find(|m| m.name == name)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Aggregate {
    Count,
    Sum,
    Mean,
    Percentile(u8),
}

impl Aggregate {
    pub fn parse(text: &str) -> Option<Aggregate> {
        Some(match text.trim().to_ascii_lowercase().as_str() {
            "count" => Aggregate::Count,
            "sum" => Aggregate::Sum,
            "mean" => Aggregate::Mean,
            "p50" => Aggregate::Percentile(50),
            "p90" => Aggregate::Percentile(90),
            "p95" => Aggregate::Percentile(95),
            "p99" => Aggregate::Percentile(99),
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dimension {
    Team,
    Agent,
    Channel,
    Priority,
    Type,
}

impl Dimension {
    pub fn parse(text: &str) -> Option<Dimension> {
        Some(match text.trim() {
            "team" => Dimension::Team,
            "agent" => Dimension::Agent,
            "channel" => Dimension::Channel,
            "priority" => Dimension::Priority,
            "type" => Dimension::Type,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SqlValue {
    Text(String),
    Number(i64),
}

/// A WHERE fragment starting with AND, its placeholders numbered from $3.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SqlFilter {
    pub clause: String,
    pub values: Vec<SqlValue>,
}

/// The filters of a series; empty or zero means "any".
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filters {
    pub team_id: String,
    pub agent_id: String,
    pub channel: i64,
    pub priority: i64,
    pub ticket_type: i64,
    pub tag: String,
}

impl Filters {
    pub fn to_sql(&self) -> SqlFilter {
        let mut filter = SqlFilter::default();
        let mut add = |condition: &str, value: SqlValue| {
            let placeholder = filter.values.len() + 3;
            filter.clause.push_str(&format!(" AND {}", condition.replace("{}", &format!("${placeholder}"))));
            filter.values.push(value);
        };
        if !self.team_id.is_empty() {
            add("team_id = {}", SqlValue::Text(self.team_id.clone()));
        }
        if !self.agent_id.is_empty() {
            add("assignee_id = {}", SqlValue::Text(self.agent_id.clone()));
        }
        if self.channel != 0 {
            add("channel = {}", SqlValue::Number(self.channel));
        }
        if self.priority != 0 {
            add("priority = {}", SqlValue::Number(self.priority));
        }
        if self.ticket_type != 0 {
            add("type = {}", SqlValue::Number(self.ticket_type));
        }
        if !self.tag.is_empty() {
            add(
                "ticket_id IN (SELECT ticket_id FROM ticket_fact_tags WHERE tag = {})",
                SqlValue::Text(self.tag.trim().to_lowercase()),
            );
        }
        filter
    }
}

/// A ticket's dated value with its dimensions.
#[derive(Debug, Clone, PartialEq)]
pub struct Observation {
    pub at_micros: i64,
    pub value: Option<f64>,
    pub team_id: String,
    pub agent_id: String,
    pub channel: i64,
    pub priority: i64,
    pub ticket_type: i64,
}

impl Observation {
    pub fn key(&self, group_by: Option<Dimension>) -> String {
        match group_by {
            None => String::new(),
            Some(Dimension::Team) => self.team_id.clone(),
            Some(Dimension::Agent) => self.agent_id.clone(),
            Some(Dimension::Channel) => self.channel.to_string(),
            Some(Dimension::Priority) => self.priority.to_string(),
            Some(Dimension::Type) => self.ticket_type.to_string(),
        }
    }
}

/// One bucket's number in a series.
#[derive(Debug, Clone, PartialEq)]
pub struct Point {
    pub bucket: Bucket,
    /// Tickets with a value in the bucket.
    pub count: u64,
    /// None when the bucket has no value to aggregate (a mean of nothing).
    pub value: Option<f64>,
}

fn evaluate(aggregate: Aggregate, sketch: &DDSketch) -> Option<f64> {
    let count = sketch.count();
    match aggregate {
        Aggregate::Count => Some(count as f64),
        Aggregate::Sum => Some(if count == 0 { 0.0 } else { sketch.sum().unwrap_or(0.0) }),
        Aggregate::Mean => (count > 0).then(|| sketch.sum().unwrap_or(0.0) / count as f64),
        Aggregate::Percentile(p) => sketch.quantile(f64::from(p) / 100.0).ok().flatten(),
    }
}

/// A series being filled: one sketch per bucket and group, fed single values (from ticket rows)
/// or whole sketches (from rollups) — the two merge the same way.
pub struct SeriesBuilder<'a> {
    buckets: &'a [Bucket],
    index: HashMap<i64, usize>,
    granularity: Granularity,
    tz: Tz,
    sketches: BTreeMap<String, Vec<DDSketch>>,
}

impl<'a> SeriesBuilder<'a> {
    /// `grouped`: groups appear as values arrive; otherwise there is one series, keyed "".
    pub fn new(buckets: &'a [Bucket], granularity: Granularity, tz: Tz, grouped: bool) -> Self {
        let index = buckets.iter().enumerate().map(|(i, bucket)| (bucket.start.timestamp_micros(), i)).collect();
        let mut builder = Self { buckets, index, granularity, tz, sketches: BTreeMap::new() };
        if !grouped {
            builder.sketches.insert(String::new(), builder.empty_series());
        }
        builder
    }

    fn empty_series(&self) -> Vec<DDSketch> {
        self.buckets.iter().map(|_| new_sketch()).collect()
    }

    fn bucket(&mut self, at_micros: i64, key: String) -> Option<&mut DDSketch> {
        let at = DateTime::from_timestamp_micros(at_micros)?;
        let start = bucket_start(at, self.granularity, self.tz).timestamp_micros();
        let slot = *self.index.get(&start)?;
        if !self.sketches.contains_key(&key) {
            let series = self.empty_series();
            self.sketches.insert(key.clone(), series);
        }
        self.sketches.get_mut(&key).map(|series| &mut series[slot])
    }

    pub fn add_value(&mut self, at_micros: i64, key: String, value: f64) {
        if let Some(sketch) = self.bucket(at_micros, key) {
            // Durations are never negative; a clock skew must not make a sketch refuse a value.
            sketch.add(value.max(0.0));
        }
    }

    pub fn merge_sketch(&mut self, at_micros: i64, key: String, other: &DDSketch) {
        if let Some(sketch) = self.bucket(at_micros, key) {
            // Every sketch here is made with the default configuration, so merging cannot fail.
            let _ = sketch.merge(other);
        }
    }

    pub fn finish(self, aggregate: Aggregate) -> BTreeMap<String, Vec<Point>> {
        self.finish_with(|sketch| evaluate(aggregate, sketch))
            .into_iter()
            .map(|(key, points)| {
                let points = points
                    .into_iter()
                    .map(|(bucket, count, value)| Point { bucket: bucket.clone(), count, value })
                    .collect();
                (key, points)
            })
            .collect()
    }

    /// Each group's buckets with their count and `evaluate` of their sketch (an export asks for
    /// every aggregate at once).
    pub fn finish_with<T>(self, evaluate: impl Fn(&DDSketch) -> T) -> BTreeMap<String, Vec<(&'a Bucket, u64, T)>> {
        let buckets = self.buckets;
        self.sketches
            .into_iter()
            .map(|(key, series)| {
                let points = series
                    .iter()
                    .zip(buckets)
                    .map(|(sketch, bucket)| (bucket, sketch.count() as u64, evaluate(sketch)))
                    .collect();
                (key, points)
            })
            .collect()
    }
}

/// Every aggregate of a bucket's sketch, in [`EXPORTED_AGGREGATES`] order.
pub fn all_aggregates(sketch: &DDSketch) -> Vec<Option<f64>> {
    let count = sketch.count();
    EXPORTED_AGGREGATES.iter().map(|&aggregate| if count == 0 { None } else { evaluate(aggregate, sketch) }).collect()
}

pub const EXPORTED_AGGREGATES: [Aggregate; 6] = [
    Aggregate::Sum,
    Aggregate::Mean,
    Aggregate::Percentile(50),
    Aggregate::Percentile(90),
    Aggregate::Percentile(95),
    Aggregate::Percentile(99),
];

/// Aggregates observations into `buckets` (each group its own series, by group key).
pub fn aggregate(
    observations: &[Observation],
    buckets: &[Bucket],
    granularity: Granularity,
    tz: Tz,
    aggregate: Aggregate,
    group_by: Option<Dimension>,
) -> BTreeMap<String, Vec<Point>> {
    let mut series = SeriesBuilder::new(buckets, granularity, tz, group_by.is_some());
    for observation in observations {
        if let Some(value) = observation.value {
            series.add_value(observation.at_micros, observation.key(group_by), value);
        }
    }
    series.finish(aggregate)
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};

    use super::*;
    use crate::domain::series::buckets;

    fn observation(day: u32, hour: u32, value: f64, team: &str) -> Observation {
        Observation {
            at_micros: Utc.with_ymd_and_hms(2026, 11, day, hour, 0, 0).unwrap().timestamp_micros(),
            value: Some(value),
            team_id: team.into(),
            agent_id: String::new(),
            channel: 1,
            priority: 2,
            ticket_type: 1,
        }
    }

    #[test]
    fn percentiles_are_within_one_percent_of_the_exact_values() {
        let warsaw: Tz = "Europe/Warsaw".parse().unwrap();
        let from = Utc.with_ymd_and_hms(2026, 11, 22, 23, 0, 0).unwrap();
        let days = buckets(from, from + chrono::TimeDelta::days(1), Granularity::Day, warsaw).unwrap();
        let values: Vec<f64> = (1..=1000).map(|n| f64::from(n) * 37.0).collect();
        let observations: Vec<Observation> = values.iter().map(|v| observation(23, 9, *v, "t")).collect();
        for (p, exact) in [(50u8, 500.0 * 37.0), (90, 900.0 * 37.0), (99, 990.0 * 37.0)] {
            let series = aggregate(&observations, &days, Granularity::Day, warsaw, Aggregate::Percentile(p), None);
            let got = series[""][0].value.unwrap();
            assert!((got - exact).abs() / exact <= 0.011, "p{p}: {got} vs {exact}");
        }
        let mean = aggregate(&observations, &days, Granularity::Day, warsaw, Aggregate::Mean, None);
        assert!((mean[""][0].value.unwrap() - 500.5 * 37.0).abs() < 1e-6, "sums are exact");
    }

    #[test]
    fn tickets_fall_into_their_local_day_and_their_group() {
        let warsaw: Tz = "Europe/Warsaw".parse().unwrap();
        let from = Utc.with_ymd_and_hms(2026, 11, 22, 23, 0, 0).unwrap();
        let days = buckets(from, from + chrono::TimeDelta::days(2), Granularity::Day, warsaw).unwrap();
        // 23:30 UTC on the 23rd is already the 24th in Warsaw.
        let observations = [
            observation(23, 8, 60.0, "billing"),
            observation(23, 23, 120.0, "billing"),
            observation(24, 10, 30.0, "tier1"),
        ];
        let series = aggregate(&observations, &days, Granularity::Day, warsaw, Aggregate::Count, Some(Dimension::Team));
        let counts = |team: &str| series[team].iter().map(|p| p.count).collect::<Vec<_>>();
        assert_eq!(counts("billing"), [1, 1]);
        assert_eq!(counts("tier1"), [0, 1]);
        let empty = aggregate(&[], &days, Granularity::Day, warsaw, Aggregate::Mean, None);
        assert_eq!(empty[""][0].value, None, "a mean of nothing is no number");
    }

    #[test]
    fn filters_become_numbered_sql() {
        let filters = Filters { team_id: "tier1".into(), priority: 4, tag: "VIP".into(), ..Default::default() };
        let sql = filters.to_sql();
        assert_eq!(
            sql.clause,
            " AND team_id = $3 AND priority = $4 AND ticket_id IN (SELECT ticket_id FROM ticket_fact_tags WHERE tag = $5)"
        );
        assert_eq!(sql.values[2], SqlValue::Text("vip".into()));
    }
}
