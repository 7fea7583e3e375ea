//! A staffing plan: for each interval of a team's day, the agents the forecast needs (Erlang C
//! or A) set against the agents the published roster provides, and what it all costs.
//!
//! Scheduled agents count *productive* time: work shifts less the breaks, lunches, meetings
//! and trainings inside them, so planned shrinkage is already out; they are compared with the
//! net requirement. The requirement raised for shrinkage is what hiring and budgets use.
use std::collections::HashMap;

use super::{
    erlang::{self, StaffingInput},
    shift::{MICROS_PER_HOUR, Shift, ShiftKind},
};

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Goal {
    pub service_level: f64,
    pub target_answer_seconds: f64,
    pub max_occupancy: f64,
    pub shrinkage: f64,
    pub average_patience_seconds: Option<f64>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ForecastInterval {
    pub starts_at: i64,
    pub volume: f64,
    pub average_handle_seconds: f64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PlanInterval {
    pub starts_at: i64,
    pub volume: f64,
    pub required: u32,
    pub required_with_shrinkage: u32,
    pub scheduled: f64,
    /// scheduled − required: negative is understaffed.
    pub gap: f64,
    /// At the scheduled (whole) agents; 0 when they cannot keep up at all.
    pub expected_service_level: f64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    pub intervals: Vec<PlanInterval>,
    pub understaffed: usize,
    pub overstaffed: usize,
    /// Minor units: paid work time of the roster × each person's hourly cost.
    pub scheduled_cost: i64,
    /// Minor units: required agents (with shrinkage) × interval hours × the average hourly cost.
    pub required_cost: i64,
}

/// The most intervals one plan covers: a month of 15-minute intervals.
pub const MAX_INTERVALS: i64 = 31 * 96;

#[derive(Debug, Clone, PartialEq)]
pub struct PlanError {
    pub field: String,
    pub reason: String,
}

fn bad(field: impl Into<String>, reason: impl Into<String>) -> PlanError {
    PlanError { field: field.into(), reason: reason.into() }
}

/// `shifts` are the team's published shifts in the period; `hourly_cost` maps person → minor units.
pub fn plan(
    from: i64,
    to: i64,
    interval_seconds: i64,
    goal: Goal,
    forecast: &[ForecastInterval],
    shifts: &[Shift],
    hourly_cost: &HashMap<String, i64>,
) -> Result<Plan, PlanError> {
    if interval_seconds != 900 && interval_seconds != 1800 {
        return Err(bad("interval_seconds", "must be 900 (15 minutes) or 1800 (30 minutes)"));
    }
    let step = interval_seconds * 1_000_000;
    if to <= from {
        return Err(bad("to", "must be after from"));
    }
    if (to - from) % step != 0 {
        return Err(bad("to", "the range must be a whole number of intervals"));
    }
    if (to - from) / step > MAX_INTERVALS {
        return Err(bad("to", "a plan covers at most 31 days"));
    }
    let mut demand: HashMap<i64, ForecastInterval> = HashMap::new();
    for (index, entry) in forecast.iter().enumerate() {
        if entry.starts_at < from || entry.starts_at >= to || (entry.starts_at - from) % step != 0 {
            return Err(bad(
                format!("forecast[{index}].starts_at"),
                "must fall on an interval boundary within the range",
            ));
        }
        if demand.insert(entry.starts_at, *entry).is_some() {
            return Err(bad(format!("forecast[{index}].starts_at"), "is given twice"));
        }
    }
    // Scheduled agents per interval: each productive segment adds its share to the few
    // intervals it touches, rather than every interval scanning every segment.
    let count = ((to - from) / step) as usize;
    let mut scheduled_by_interval = vec![0.0f64; count];
    for (segment_start, segment_end) in productive_segments(shifts) {
        let (first, last) = (segment_start.max(from), segment_end.min(to));
        if first >= last {
            continue;
        }
        let (first_index, last_index) =
            (((first - from) / step) as usize, (((last - 1 - from) / step) as usize).min(count - 1));
        for (index, scheduled) in scheduled_by_interval.iter_mut().enumerate().take(last_index + 1).skip(first_index) {
            let (interval_start, interval_end) = (from + index as i64 * step, from + (index as i64 + 1) * step);
            *scheduled += (last.min(interval_end) - first.max(interval_start)) as f64 / step as f64;
        }
    }
    let mut intervals = Vec::new();
    let mut starts_at = from;
    while starts_at < to {
        let ends_at = starts_at + step;
        let scheduled = scheduled_by_interval[((starts_at - from) / step) as usize];
        let (volume, required, required_with_shrinkage, expected_service_level) = match demand.get(&starts_at) {
            Some(entry) if entry.volume > 0.0 => {
                let input = StaffingInput {
                    volume: entry.volume,
                    interval_seconds: interval_seconds as f64,
                    average_handle_seconds: entry.average_handle_seconds,
                    service_level_target: goal.service_level,
                    target_answer_seconds: goal.target_answer_seconds,
                    max_occupancy: goal.max_occupancy,
                    shrinkage: goal.shrinkage,
                    average_patience_seconds: goal.average_patience_seconds,
                };
                let requirement = erlang::requirement(&input).map_err(|error| bad("forecast", error.to_string()))?;
                let expected =
                    erlang::performance(&input, scheduled.floor() as u32).map(|p| p.service_level).unwrap_or(0.0);
                (
                    entry.volume,
                    requirement.agents,
                    requirement.agents_with_shrinkage,
                    if expected.is_finite() { expected } else { 0.0 },
                )
            }
            Some(entry) => (entry.volume, 0, 0, 1.0),
            None => (0.0, 0, 0, 1.0),
        };
        intervals.push(PlanInterval {
            starts_at,
            volume,
            required,
            required_with_shrinkage,
            scheduled,
            gap: scheduled - f64::from(required),
            expected_service_level,
        });
        starts_at = ends_at;
    }
    let understaffed = intervals.iter().filter(|i| i.gap < 0.0).count();
    let overstaffed = intervals.iter().filter(|i| i.gap >= 1.0).count();
    let scheduled_cost: f64 = shifts
        .iter()
        .filter(|s| s.kind == ShiftKind::Work)
        .map(|s| {
            let hours = (s.ends_at.min(to) - s.starts_at.max(from)).max(0) as f64 / MICROS_PER_HOUR as f64;
            hours * hourly_cost.get(&s.person_id).copied().unwrap_or(0) as f64
        })
        .sum();
    let average_cost =
        if hourly_cost.is_empty() { 0.0 } else { hourly_cost.values().sum::<i64>() as f64 / hourly_cost.len() as f64 };
    let interval_hours = interval_seconds as f64 / 3600.0;
    let required_cost: f64 =
        intervals.iter().map(|i| f64::from(i.required_with_shrinkage) * interval_hours * average_cost).sum();
    Ok(Plan {
        intervals,
        understaffed,
        overstaffed,
        scheduled_cost: scheduled_cost.round() as i64,
        required_cost: required_cost.round() as i64,
    })
}

/// Each person's work time less the activities inside it.
fn productive_segments(shifts: &[Shift]) -> Vec<(i64, i64)> {
    let mut segments = Vec::new();
    for work in shifts.iter().filter(|s| s.kind == ShiftKind::Work) {
        let mut activities: Vec<(i64, i64)> = shifts
            .iter()
            .filter(|s| {
                s.person_id == work.person_id && s.kind.is_activity() && s.overlaps(work.starts_at, work.ends_at)
            })
            .map(|s| (s.starts_at.max(work.starts_at), s.ends_at.min(work.ends_at)))
            .collect();
        activities.sort();
        let mut cursor = work.starts_at;
        for (starts_at, ends_at) in activities {
            if starts_at > cursor {
                segments.push((cursor, starts_at));
            }
            cursor = cursor.max(ends_at);
        }
        if cursor < work.ends_at {
            segments.push((cursor, work.ends_at));
        }
    }
    segments
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::shift::ShiftState;

    const HOUR: i64 = MICROS_PER_HOUR;

    fn goal() -> Goal {
        Goal {
            service_level: 0.8,
            target_answer_seconds: 20.0,
            max_occupancy: 0.85,
            shrinkage: 0.3,
            average_patience_seconds: None,
        }
    }

    fn work(person: &str, kind: ShiftKind, starts_at: i64, ends_at: i64) -> Shift {
        Shift {
            id: format!("{person}-{starts_at}"),
            person_id: person.into(),
            team_id: "t".into(),
            kind,
            starts_at,
            ends_at,
            state: ShiftState::Published,
            notes: String::new(),
            updated_at: 0,
            revision: 1,
        }
    }

    #[test]
    fn the_call_centre_helper_interval_needs_fourteen_and_twenty_with_shrinkage() {
        let forecast = [ForecastInterval { starts_at: 0, volume: 100.0, average_handle_seconds: 180.0 }];
        let shifts: Vec<Shift> = (0..10).map(|n| work(&format!("p{n}"), ShiftKind::Work, 0, 8 * HOUR)).collect();
        let costs: HashMap<String, i64> = (0..10).map(|n| (format!("p{n}"), 2000)).collect();
        let plan = plan(0, HOUR, 1800, goal(), &forecast, &shifts, &costs).unwrap();
        let first = &plan.intervals[0];
        assert_eq!((first.required, first.required_with_shrinkage), (14, 20));
        assert_eq!((first.scheduled, first.gap), (10.0, -4.0));
        assert_eq!((plan.understaffed, plan.overstaffed), (1, 1), "the second half-hour has no demand and ten spare");
        assert_eq!(plan.scheduled_cost, 10 * 2000, "ten people, one hour each in range, 20.00 an hour");
        assert_eq!(plan.required_cost, 20 * 2000 / 2, "twenty agents for half an hour");
    }

    #[test]
    fn breaks_inside_a_shift_are_not_productive_time() {
        let shifts = [work("p", ShiftKind::Work, 0, 2 * HOUR), work("p", ShiftKind::Break, HOUR / 2, HOUR)];
        let plan = plan(0, HOUR, 1800, goal(), &[], &shifts, &HashMap::new()).unwrap();
        let scheduled: Vec<f64> = plan.intervals.iter().map(|i| i.scheduled).collect();
        assert_eq!(scheduled, [1.0, 0.0]);
    }

    #[test]
    fn bad_plans_name_the_field() {
        assert_eq!(plan(0, HOUR, 600, goal(), &[], &[], &HashMap::new()).unwrap_err().field, "interval_seconds");
        let off_grid = [ForecastInterval { starts_at: 60_000_000, volume: 1.0, average_handle_seconds: 60.0 }];
        assert_eq!(
            plan(0, HOUR, 1800, goal(), &off_grid, &[], &HashMap::new()).unwrap_err().field,
            "forecast[0].starts_at"
        );
    }
}
