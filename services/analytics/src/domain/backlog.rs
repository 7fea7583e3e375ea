//! The backlog over time: each ticket's unsolved periods, from its creation (or a reopen) to the
//! next solve. The backlog at an instant is the tickets with a period covering it — exact at
//! any instant, where Zendesk only keeps a daily snapshot — and each period after the first
//! begins with a reopen, which is what the reopened-volume series counts.
use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use super::{
    series::Bucket,
    series_query::Point,
    ticket_metrics::{HistoryEvent, relevant},
};

/// From `start` (inclusive) to `end` (exclusive; None: still unsolved).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UnsolvedPeriod {
    pub start: DateTime<Utc>,
    pub end: Option<DateTime<Utc>>,
    /// The period began with a reopen, not with the ticket's creation.
    pub reopened: bool,
}

/// The ticket's unsolved periods as of `now`, in order.
pub fn unsolved_periods(history: &[HistoryEvent], now: DateTime<Utc>) -> Vec<UnsolvedPeriod> {
    let Some(events) = relevant(history, now) else { return Vec::new() };
    let HistoryEvent::Created { at, status, .. } = &events[0] else { return Vec::new() };
    let mut periods = Vec::new();
    let mut open = (!status.is_solved()).then_some(UnsolvedPeriod { start: *at, end: None, reopened: false });
    for event in &events[1..] {
        let HistoryEvent::StatusChanged { at, to, .. } = event else { continue };
        match (open.take(), to.is_solved()) {
            (Some(mut period), true) => {
                period.end = Some(*at);
                // A solve in the instant of opening leaves nothing to count.
                if period.start < *at {
                    periods.push(period);
                }
            }
            (Some(period), false) => open = Some(period),
            (None, false) => open = Some(UnsolvedPeriod { start: *at, end: None, reopened: true }),
            (None, true) => {}
        }
    }
    periods.extend(open);
    periods
}

/// The backlog as each bucket closes (unsolved in its last instant), per group: `periods`
/// are (start, end, group key) in microseconds. `grouped`: groups appear as periods do;
/// otherwise one series keyed "".
pub fn backlog_at_bucket_ends(
    periods: impl IntoIterator<Item = (i64, Option<i64>, String)>,
    buckets: &[Bucket],
    grouped: bool,
) -> BTreeMap<String, Vec<Point>> {
    let ends: Vec<i64> = buckets.iter().map(|b| b.end.timestamp_micros()).collect();
    // Per group a difference array: +1 at the first bucket end the period covers, -1 after the last.
    let mut differences: BTreeMap<String, Vec<i64>> = BTreeMap::new();
    if !grouped {
        differences.insert(String::new(), vec![0; ends.len() + 1]);
    }
    for (start, end, key) in periods {
        // Covered: start <= bucket end - 1 µs < end.
        let first = ends.partition_point(|&at| at <= start);
        let last = end.map_or(ends.len(), |end| ends.partition_point(|&at| at <= end));
        if first >= last {
            continue;
        }
        let key = if grouped { key } else { String::new() };
        let counts = differences.entry(key).or_insert_with(|| vec![0; ends.len() + 1]);
        counts[first] += 1;
        counts[last] -= 1;
    }
    differences
        .into_iter()
        .map(|(key, counts)| {
            let mut running = 0;
            let points = buckets
                .iter()
                .zip(counts)
                .map(|(bucket, change)| {
                    running += change;
                    Point { bucket: bucket.clone(), count: running as u64, value: Some(running as f64) }
                })
                .collect();
            (key, points)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use proptest::prelude::*;

    use super::*;
    use crate::domain::ticket_metrics::{Status, in_backlog};

    fn at(minute: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 2, 8, 0, 0).unwrap() + chrono::TimeDelta::minutes(minute)
    }

    fn status(minute: i64, to: Status) -> HistoryEvent {
        HistoryEvent::StatusChanged { at: at(minute), to, assignee_id: String::new() }
    }

    fn created(minute: i64, status: Status) -> HistoryEvent {
        HistoryEvent::Created { at: at(minute), by_agent: false, status, assignee_id: String::new() }
    }

    #[test]
    fn a_reopened_ticket_has_two_periods_and_the_second_is_a_reopen() {
        let history = [
            created(0, Status::New),
            status(10, Status::Pending),
            status(30, Status::Solved),
            status(90, Status::Open),
            status(120, Status::Closed),
        ];
        let periods = unsolved_periods(&history, at(500));
        assert_eq!(
            periods,
            [
                UnsolvedPeriod { start: at(0), end: Some(at(30)), reopened: false },
                UnsolvedPeriod { start: at(90), end: Some(at(120)), reopened: true },
            ]
        );
        assert_eq!(unsolved_periods(&history, at(100)).last().unwrap().end, None, "as of minute 100 it is open again");
        assert!(
            unsolved_periods(&[created(0, Status::Solved)], at(5)).is_empty(),
            "created solved: never in the backlog"
        );
        assert!(unsolved_periods(&[status(1, Status::Open)], at(5)).is_empty(), "no creation, no ticket");
    }

    #[test]
    fn the_backlog_is_counted_at_each_day_end() {
        use crate::domain::series::{Granularity, buckets};
        let warsaw: chrono_tz::Tz = "Europe/Warsaw".parse().unwrap();
        let from = Utc.with_ymd_and_hms(2026, 11, 1, 23, 0, 0).unwrap(); // Monday 2 Nov, Warsaw midnight
        let days = buckets(from, from + chrono::TimeDelta::days(3), Granularity::Day, warsaw).unwrap();
        let micros = |t: DateTime<Utc>| t.timestamp_micros();
        let day = |n: i64| from + chrono::TimeDelta::days(n);
        let periods = vec![
            (micros(day(0) + chrono::TimeDelta::hours(9)), None, "tier1".to_string()), // still open
            (
                micros(day(0) + chrono::TimeDelta::hours(10)),
                Some(micros(day(1) + chrono::TimeDelta::hours(3))),
                "tier1".to_string(),
            ),
            (
                micros(day(1) + chrono::TimeDelta::hours(1)),
                Some(micros(day(1) + chrono::TimeDelta::hours(2))),
                "billing".to_string(),
            ), // within a day
            (micros(day(2)), Some(micros(day(3))), "billing".to_string()), // exactly the third day
        ];
        let all = backlog_at_bucket_ends(periods.clone(), &days, false);
        assert_eq!(all[""].iter().map(|p| p.count).collect::<Vec<_>>(), [2, 1, 2]);
        let by_team = backlog_at_bucket_ends(periods, &days, true);
        assert_eq!(
            by_team["tier1"].iter().map(|p| p.count).collect::<Vec<_>>(),
            [2, 1, 1],
            "solved at 03:00 on day two"
        );
        assert_eq!(
            by_team["billing"].iter().map(|p| p.count).collect::<Vec<_>>(),
            [0, 0, 1],
            "opened and solved within day two: never there at a day's close; unsolved until day three closed"
        );
    }

    proptest! {
        /// The periods agree with `in_backlog` at every minute, whatever the history's order.
        #[test]
        fn periods_cover_exactly_the_instants_the_ticket_is_in_the_backlog(
            start_solved in any::<bool>(),
            changes in proptest::collection::vec((0i64..200, 0usize..6), 0..12),
        ) {
            let statuses = [Status::New, Status::Open, Status::Pending, Status::OnHold, Status::Solved, Status::Closed];
            let mut history = vec![created(0, if start_solved { Status::Solved } else { Status::New })];
            history.extend(changes.iter().map(|&(minute, s)| status(minute + 1, statuses[s])));
            let now = at(250);
            let periods = unsolved_periods(&history, now);
            for minute in 0..250 {
                let instant = at(minute);
                let covered = periods.iter().any(|p| p.start <= instant && p.end.is_none_or(|end| instant < end));
                prop_assert_eq!(covered, in_backlog(&history, instant), "minute {}", minute);
            }
        }
    }
}
