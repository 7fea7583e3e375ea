//! Time buckets of a series in a local time zone: an hour, a day, an ISO week or a month, each
//! starting at the local wall-clock boundary, so a day is 23 or 25 hours long across a
//! daylight-saving change and buckets in zones such as Asia/Kolkata start at local midnight.
use chrono::{DateTime, Datelike, Duration, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Timelike, Utc};
use chrono_tz::Tz;

/// The most buckets one query may ask for.
pub const MAX_BUCKETS: usize = 10_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Granularity {
    Hour,
    Day,
    Week,
    Month,
}

impl Granularity {
    pub fn parse(text: &str) -> Option<Granularity> {
        match text.trim().to_ascii_lowercase().as_str() {
            "hour" => Some(Granularity::Hour),
            "day" => Some(Granularity::Day),
            "week" => Some(Granularity::Week),
            "month" => Some(Granularity::Month),
            _ => None,
        }
    }
}

/// The first instant at which the local wall clock shows `local` or later: a time skipped by a
/// spring-forward change resolves to the change itself, a repeated one to its first occurrence.
fn first_instant(tz: Tz, local: NaiveDateTime) -> DateTime<Utc> {
    match tz.from_local_datetime(&local) {
        LocalResult::Single(at) | LocalResult::Ambiguous(at, _) => at.with_timezone(&Utc),
        LocalResult::None => {
            // A gap is at most a few hours and every zone changes on a whole minute: the first
            // local minute that exists again is the instant of the change.
            let mut probe = local;
            loop {
                probe += Duration::minutes(1);
                if let LocalResult::Single(at) | LocalResult::Ambiguous(at, _) = tz.from_local_datetime(&probe) {
                    return at.with_timezone(&Utc);
                }
            }
        }
    }
}

fn local_midnight(tz: Tz, date: NaiveDate) -> DateTime<Utc> {
    first_instant(tz, date.and_time(NaiveTime::MIN))
}

/// The start of the local bucket that contains `at`.
pub fn bucket_start(at: DateTime<Utc>, granularity: Granularity, tz: Tz) -> DateTime<Utc> {
    let local = at.with_timezone(&tz);
    match granularity {
        // The instant of the local hour's start: subtract the minutes and seconds past it, so a
        // repeated hour stays two buckets and :30 / :45 offsets start at the local :00.
        Granularity::Hour => {
            let past = Duration::minutes(i64::from(local.minute())) + Duration::seconds(i64::from(local.second()));
            at - past - Duration::nanoseconds(i64::from(at.timestamp_subsec_nanos()))
        }
        Granularity::Day => local_midnight(tz, local.date_naive()),
        Granularity::Week => {
            let monday = local.date_naive() - Duration::days(i64::from(local.weekday().num_days_from_monday()));
            local_midnight(tz, monday)
        }
        Granularity::Month => local_midnight(tz, local.date_naive().with_day(1).expect("day 1 exists")),
    }
}

/// The start of the bucket after the one starting at `start`.
pub fn next_start(start: DateTime<Utc>, granularity: Granularity, tz: Tz) -> DateTime<Utc> {
    let local = start.with_timezone(&tz).date_naive();
    match granularity {
        Granularity::Hour => start + Duration::hours(1),
        Granularity::Day => local_midnight(tz, local + Duration::days(1)),
        Granularity::Week => local_midnight(tz, local + Duration::days(7)),
        Granularity::Month => {
            let (year, month) =
                if local.month() == 12 { (local.year() + 1, 1) } else { (local.year(), local.month() + 1) };
            local_midnight(tz, NaiveDate::from_ymd_opt(year, month, 1).expect("the first of a month exists"))
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bucket {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

/// Consecutive buckets covering [from, to); None when to is not after from or there would be
/// more than [`MAX_BUCKETS`].
pub fn buckets(from: DateTime<Utc>, to: DateTime<Utc>, granularity: Granularity, tz: Tz) -> Option<Vec<Bucket>> {
    if to <= from {
        return None;
    }
    let mut start = bucket_start(from, granularity, tz);
    let mut all = Vec::new();
    while start < to {
        let end = next_start(start, granularity, tz);
        all.push(Bucket { start, end });
        if all.len() > MAX_BUCKETS {
            return None;
        }
        start = end;
    }
    Some(all)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, h, min, 0).unwrap()
    }

    #[test]
    fn warsaw_days_are_23_and_25_hours_long_across_daylight_saving() {
        let warsaw: Tz = "Europe/Warsaw".parse().unwrap();
        let march = buckets(utc(2026, 3, 28, 12, 0), utc(2026, 3, 30, 12, 0), Granularity::Day, warsaw).unwrap();
        let lengths: Vec<i64> = march.iter().map(|b| (b.end - b.start).num_hours()).collect();
        assert_eq!(lengths, [24, 23, 24]);
        assert_eq!(march[1].start, utc(2026, 3, 28, 23, 0), "midnight on the 29th, still CET");
        let october = buckets(utc(2026, 10, 25, 12, 0), utc(2026, 10, 25, 13, 0), Granularity::Day, warsaw).unwrap();
        assert_eq!((october[0].end - october[0].start).num_hours(), 25);
    }

    #[test]
    fn a_day_whose_midnight_is_skipped_starts_at_the_change() {
        // Chile springs forward at local midnight: 2026-09-06 00:00 does not exist in Santiago.
        let santiago: Tz = "America/Santiago".parse().unwrap();
        let start = bucket_start(utc(2026, 9, 6, 15, 0), Granularity::Day, santiago);
        assert_eq!(start.with_timezone(&santiago).hour(), 1);
        assert_eq!(start.with_timezone(&santiago).date_naive(), NaiveDate::from_ymd_opt(2026, 9, 6).unwrap());
    }

    #[test]
    fn half_and_quarter_hour_zones_start_days_and_hours_at_local_boundaries() {
        for zone in ["Asia/Kolkata", "Asia/Kathmandu"] {
            let tz: Tz = zone.parse().unwrap();
            let day = bucket_start(utc(2026, 11, 23, 12, 7), Granularity::Day, tz).with_timezone(&tz);
            assert_eq!((day.hour(), day.minute()), (0, 0), "{zone}");
            let hour = bucket_start(utc(2026, 11, 23, 12, 7), Granularity::Hour, tz).with_timezone(&tz);
            assert_eq!(hour.minute(), 0, "{zone}");
        }
    }

    #[test]
    fn weeks_start_on_monday_and_months_on_the_first() {
        let warsaw: Tz = "Europe/Warsaw".parse().unwrap();
        let week = bucket_start(utc(2026, 11, 22, 12, 0), Granularity::Week, warsaw).with_timezone(&warsaw);
        assert_eq!((week.weekday(), week.day()), (chrono::Weekday::Mon, 16));
        let months = buckets(utc(2026, 1, 15, 0, 0), utc(2027, 1, 1, 0, 0), Granularity::Month, warsaw).unwrap();
        assert_eq!(
            months.len(),
            13,
            "January 2026 (from the 1st) to December 2026, and the last bucket reaches into 2027"
        );
        assert!(months.windows(2).all(|pair| pair[0].end == pair[1].start));
    }

    #[test]
    fn a_fall_back_hour_is_two_hour_buckets() {
        let warsaw: Tz = "Europe/Warsaw".parse().unwrap();
        let hours = buckets(utc(2026, 10, 25, 0, 0), utc(2026, 10, 25, 2, 0), Granularity::Hour, warsaw).unwrap();
        assert_eq!(hours.len(), 2, "02:00–03:00 CEST and 02:00–03:00 CET");
        assert!(hours.iter().all(|b| (b.end - b.start).num_minutes() == 60));
    }

    #[test]
    fn empty_and_oversized_ranges_are_refused() {
        let utc_zone: Tz = "UTC".parse().unwrap();
        assert!(buckets(utc(2026, 1, 1, 0, 0), utc(2026, 1, 1, 0, 0), Granularity::Day, utc_zone).is_none());
        assert!(buckets(utc(2000, 1, 1, 0, 0), utc(2026, 1, 1, 0, 0), Granularity::Hour, utc_zone).is_none());
    }

    mod properties {
        use proptest::prelude::*;

        use super::*;

        proptest! {
            #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

            #[test]
            fn every_instant_lies_in_its_bucket(seconds in 1_700_000_000i64..1_900_000_000, zone in 0usize..5, granularity in 0usize..4) {
                let tz: Tz = ["Europe/Warsaw", "America/Santiago", "Asia/Kolkata", "Asia/Kathmandu", "America/New_York"][zone].parse().unwrap();
                let granularity = [Granularity::Hour, Granularity::Day, Granularity::Week, Granularity::Month][granularity];
                let at = DateTime::from_timestamp(seconds, 0).unwrap();
                let start = bucket_start(at, granularity, tz);
                prop_assert!(start <= at);
                prop_assert!(at < next_start(start, granularity, tz));
                prop_assert_eq!(bucket_start(start, granularity, tz), start);
            }
        }
    }
}
