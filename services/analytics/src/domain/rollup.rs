//! Rollups: every metric's DDSketch per half-hour slot, kept for all tickets and per value of
//! each low-cardinality dimension (team, channel, priority, type), so a series over months reads
//! a few thousand small sketches instead of every ticket row. Sketches merge, so slots roll up
//! into any local hour, day, week or month whose boundaries fall on a half hour — every zone
//! in use today except the :45 ones (Nepal, Chatham, Eucla), which are answered from the rows.
//!
//! Agents and tags are not rolled up: an agent's tickets are few enough to read, and a ticket
//! has many tags, which would count it in many cells.
use sketches_ddsketch::{Config, DDSketch};

use super::{
    series::Bucket,
    series_query::{Dimension, Filters, METRICS, MetricSpec, Observation},
};

/// The slot length: half an hour, the largest length every bucket of a whole- or half-hour
/// zone is made of.
pub const SLOT_MICROS: i64 = 30 * 60 * 1_000_000;

/// The start of the slot `micros` lies in.
pub fn slot_of(micros: i64) -> i64 {
    micros.div_euclid(SLOT_MICROS) * SLOT_MICROS
}

pub fn is_slot_boundary(micros: i64) -> bool {
    micros.rem_euclid(SLOT_MICROS) == 0
}

/// A metric as rolled up: in calendar time, or in business hours for the metrics whose business
/// value differs. Its index in [`variants`] is stored, so the list only ever grows at the end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Variant {
    pub index: u8,
    pub metric: &'static MetricSpec,
    pub business_hours: bool,
}

impl Variant {
    pub fn value_expression(&self) -> &'static str {
        if self.business_hours { self.metric.business_value } else { self.metric.value }
    }
}

pub fn variants() -> Vec<Variant> {
    let mut all = Vec::new();
    for metric in METRICS {
        all.push(Variant { index: all.len() as u8, metric, business_hours: false });
    }
    for metric in METRICS.iter().filter(|m| m.value != m.business_value) {
        all.push(Variant { index: all.len() as u8, metric, business_hours: true });
    }
    all
}

/// The variant a series reads: metrics without a business-hours form are the same either way.
pub fn variant_for(metric: &MetricSpec, business_hours: bool) -> Option<Variant> {
    let business_hours = business_hours && metric.value != metric.business_value;
    variants().into_iter().find(|v| v.metric.name == metric.name && v.business_hours == business_hours)
}

/// Which cells of a slot a ticket is counted in: all tickets, and one cell per rolled-up dimension.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum CellDimension {
    All,
    Team,
    Channel,
    Priority,
    Type,
}

impl CellDimension {
    pub const EACH: [CellDimension; 5] =
        [CellDimension::All, CellDimension::Team, CellDimension::Channel, CellDimension::Priority, CellDimension::Type];

    pub fn as_str(self) -> &'static str {
        match self {
            CellDimension::All => "",
            CellDimension::Team => "team",
            CellDimension::Channel => "channel",
            CellDimension::Priority => "priority",
            CellDimension::Type => "type",
        }
    }

    pub fn of(dimension: Dimension) -> Option<CellDimension> {
        match dimension {
            Dimension::Team => Some(CellDimension::Team),
            Dimension::Channel => Some(CellDimension::Channel),
            Dimension::Priority => Some(CellDimension::Priority),
            Dimension::Type => Some(CellDimension::Type),
            Dimension::Agent => None,
        }
    }

    fn value_of(self, observation: &Observation) -> String {
        match self {
            CellDimension::All => String::new(),
            CellDimension::Team => observation.team_id.clone(),
            CellDimension::Channel => observation.channel.to_string(),
            CellDimension::Priority => observation.priority.to_string(),
            CellDimension::Type => observation.ticket_type.to_string(),
        }
    }
}

/// One slot's cell: a dimension value (or all tickets) and a sketch per variant with values.
#[derive(Clone)]
pub struct Cell {
    pub dimension: CellDimension,
    pub value: String,
    pub sketches: Vec<(u8, DDSketch)>,
}

pub fn new_sketch() -> DDSketch {
    DDSketch::new(Config::defaults())
}

/// The cells of one slot from each variant's observations dated in it.
pub fn cells(observations_by_variant: &[(Variant, Vec<Observation>)]) -> Vec<Cell> {
    use std::collections::BTreeMap;
    let mut cells: BTreeMap<(CellDimension, String), BTreeMap<u8, DDSketch>> = BTreeMap::new();
    for (variant, observations) in observations_by_variant {
        for observation in observations {
            let Some(value) = observation.value else { continue };
            for dimension in CellDimension::EACH {
                let cell = cells.entry((dimension, dimension.value_of(observation))).or_default();
                // Durations are never negative; a clock skew must not make a sketch refuse a value.
                cell.entry(variant.index).or_insert_with(new_sketch).add(value.max(0.0));
            }
        }
    }
    cells
        .into_iter()
        .map(|((dimension, value), sketches)| Cell { dimension, value, sketches: sketches.into_iter().collect() })
        .collect()
}

/// How a series is read from rollups: one dimension's cells, or one value's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RollupRead {
    pub dimension: CellDimension,
    /// Only this value's cells (a filter); None: every value's (a grouping, or all tickets).
    pub value: Option<String>,
}

/// Whether rollups answer a series, and how: at most one rolled-up dimension between the
/// filters and the grouping, no agent or tag, and every bucket made of whole slots.
pub fn plan(filters: &Filters, group_by: Option<Dimension>, buckets: &[Bucket]) -> Option<RollupRead> {
    if !filters.tag.is_empty() || !filters.agent_id.is_empty() {
        return None;
    }
    let aligned = buckets
        .iter()
        .all(|b| is_slot_boundary(b.start.timestamp_micros()) && is_slot_boundary(b.end.timestamp_micros()));
    if !aligned {
        return None;
    }
    let mut filtered = Vec::new();
    if !filters.team_id.is_empty() {
        filtered.push((CellDimension::Team, filters.team_id.clone()));
    }
    for (dimension, value) in [
        (CellDimension::Channel, filters.channel),
        (CellDimension::Priority, filters.priority),
        (CellDimension::Type, filters.ticket_type),
    ] {
        if value != 0 {
            filtered.push((dimension, value.to_string()));
        }
    }
    let grouped = match group_by {
        None => None,
        Some(dimension) => Some(CellDimension::of(dimension)?),
    };
    match (filtered.as_slice(), grouped) {
        ([], None) => Some(RollupRead { dimension: CellDimension::All, value: None }),
        ([], Some(dimension)) => Some(RollupRead { dimension, value: None }),
        ([(dimension, value)], None) => Some(RollupRead { dimension: *dimension, value: Some(value.clone()) }),
        ([(dimension, value)], Some(grouped)) if *dimension == grouped => {
            Some(RollupRead { dimension: grouped, value: Some(value.clone()) })
        }
        _ => None,
    }
}

const ENCODING_VERSION: u8 = 1;

/// A cell's sketches as stored: a version byte, then per variant its index, the length of its
/// sketch and the sketch in DataDog's portable binary format (exact count, sum, min and max).
pub fn encode(sketches: &[(u8, DDSketch)]) -> Vec<u8> {
    let mut bytes = vec![ENCODING_VERSION];
    for (index, sketch) in sketches {
        let encoded = sketch.to_java_bytes();
        bytes.push(*index);
        bytes.extend_from_slice(&(encoded.len() as u32).to_le_bytes());
        bytes.extend_from_slice(&encoded);
    }
    bytes
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum DecodeError {
    #[error("rollup encoding version {0} is not known")]
    Version(u8),
    #[error("rollup cell is truncated")]
    Truncated,
    #[error("rollup sketch does not decode: {0}")]
    Sketch(String),
}

/// The sketch of one variant in a stored cell; None when the cell has no value of it.
pub fn decode(bytes: &[u8], variant: u8) -> Result<Option<DDSketch>, DecodeError> {
    let (&version, mut rest) = bytes.split_first().ok_or(DecodeError::Truncated)?;
    if version != ENCODING_VERSION {
        return Err(DecodeError::Version(version));
    }
    while let Some((&index, after)) = rest.split_first() {
        let length = after.get(..4).ok_or(DecodeError::Truncated)?;
        let length = u32::from_le_bytes(length.try_into().expect("four bytes")) as usize;
        let sketch = after.get(4..4 + length).ok_or(DecodeError::Truncated)?;
        if index == variant {
            return DDSketch::from_java_bytes(sketch).map(Some).map_err(|e| DecodeError::Sketch(format!("{e:?}")));
        }
        rest = &after[4 + length..];
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn observation(team: &str, channel: i64, value: Option<f64>) -> Observation {
        Observation {
            at_micros: 0,
            value,
            team_id: team.into(),
            agent_id: "agent".into(),
            channel,
            priority: 2,
            ticket_type: 1,
        }
    }

    #[test]
    fn variant_indexes_are_stable_and_business_forms_only_for_durations() {
        let all = variants();
        assert_eq!(all[0].metric.name, "tickets_created", "the first metric keeps index 0");
        assert!(all.iter().enumerate().all(|(i, v)| usize::from(v.index) == i));
        let business: Vec<&str> = all.iter().filter(|v| v.business_hours).map(|v| v.metric.name).collect();
        assert_eq!(business, ["first_reply_time", "full_resolution_time", "requester_wait_time"]);
        let created = super::super::series_query::metric_named("tickets_created").unwrap();
        assert!(!variant_for(created, true).unwrap().business_hours, "a count is the same in business hours");
    }

    #[test]
    fn each_ticket_counts_once_in_all_and_once_per_dimension() {
        let variant = variants()[2]; // first_reply_time
        let observations = vec![
            observation("billing", 1, Some(60.0)),
            observation("billing", 3, Some(120.0)),
            observation("tier1", 1, None),
        ];
        let cells = cells(&[(variant, observations)]);
        let count = |dimension: CellDimension, value: &str| {
            cells
                .iter()
                .find(|c| c.dimension == dimension && c.value == value)
                .map(|c| c.sketches[0].1.count())
                .unwrap_or(0)
        };
        assert_eq!(count(CellDimension::All, ""), 2, "a ticket without a value is not counted");
        assert_eq!((count(CellDimension::Team, "billing"), count(CellDimension::Team, "tier1")), (2, 0));
        assert_eq!((count(CellDimension::Channel, "1"), count(CellDimension::Channel, "3")), (1, 1));
        assert_eq!(count(CellDimension::Priority, "2"), 2);
    }

    #[test]
    fn stored_cells_decode_to_sketches_that_merge_exactly() {
        let mut first = new_sketch();
        let mut second = new_sketch();
        for n in 1..=100 {
            first.add(f64::from(n));
            second.add(f64::from(n) * 10.0);
        }
        let bytes = encode(&[(0, first.clone()), (7, second.clone())]);
        let decoded = decode(&bytes, 7).unwrap().unwrap();
        assert_eq!((decoded.count(), decoded.sum()), (second.count(), second.sum()));
        let mut merged = decode(&bytes, 0).unwrap().unwrap();
        merged.merge(&decoded).expect("decoded sketches share the default configuration");
        assert_eq!(merged.count(), 200);
        assert_eq!(merged.sum(), Some(5050.0 + 50500.0), "sums stay exact");
        assert_eq!(decode(&bytes, 3).unwrap().map(|s| s.count()), None);
        assert_eq!(decode(&[9], 0).err(), Some(DecodeError::Version(9)));
        assert_eq!(decode(&bytes[..bytes.len() - 1], 7).err(), Some(DecodeError::Truncated));
    }

    #[test]
    fn rollups_answer_one_dimension_on_half_hour_buckets_only() {
        use chrono::{TimeZone, Utc};

        use crate::domain::series::{Granularity, buckets};
        let from = Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap();
        let days = |zone: &str| {
            buckets(from, from + chrono::TimeDelta::days(3), Granularity::Day, zone.parse().unwrap()).unwrap()
        };
        let (warsaw, kolkata, kathmandu) = (days("Europe/Warsaw"), days("Asia/Kolkata"), days("Asia/Kathmandu"));
        let all = Filters::default();
        assert_eq!(plan(&all, None, &warsaw), Some(RollupRead { dimension: CellDimension::All, value: None }));
        assert!(plan(&all, None, &kolkata).is_some(), "+05:30 days are whole half hours");
        assert_eq!(plan(&all, None, &kathmandu), None, "+05:45 days are not: read the rows");
        let team = Filters { team_id: "billing".into(), ..Default::default() };
        assert_eq!(
            plan(&team, None, &warsaw),
            Some(RollupRead { dimension: CellDimension::Team, value: Some("billing".into()) })
        );
        assert_eq!(plan(&team, Some(Dimension::Team), &warsaw).unwrap().value.as_deref(), Some("billing"));
        assert_eq!(plan(&team, Some(Dimension::Channel), &warsaw), None, "two dimensions: read the rows");
        assert_eq!(plan(&all, Some(Dimension::Agent), &warsaw), None);
        assert_eq!(plan(&Filters { tag: "vip".into(), ..Default::default() }, None, &warsaw), None);
        let urgent = Filters { priority: 4, ..Default::default() };
        assert_eq!(
            plan(&urgent, None, &warsaw).unwrap(),
            RollupRead { dimension: CellDimension::Priority, value: Some("4".into()) }
        );
    }

    #[test]
    fn slots_are_half_hours() {
        assert_eq!(slot_of(SLOT_MICROS + 1), SLOT_MICROS);
        assert_eq!(slot_of(-1), -SLOT_MICROS);
        assert!(is_slot_boundary(3 * SLOT_MICROS) && !is_slot_boundary(15 * 60 * 1_000_000));
    }
}
