//! Business-hours calendar that SLA clocks run on: weekly opening intervals in a local time zone, minus
//! all-day holidays, with exact daylight-saving handling. It lives here, not in ticketing, because it is
//! plain time arithmetic that analytics needs too (metrics in business hours); it knows nothing of tickets.
//!
//! Local intervals are turned into UTC spans one local date at a time, and every computation walks those
//! spans day by day. A local boundary that falls in a daylight-saving change is resolved like this:
//!
//! * a **nonexistent** local time (skipped by a spring-forward change) moves forward to the first instant
//!   that exists, i.e. the instant of the change itself;
//! * an **ambiguous** local time (repeated by a fall-back change) takes the earliest of its instants.
//!
//! Equivalently, a boundary at local time `x` is the first instant at which the wall clock has reached `x`.
//! So an interval keeps running through a repeated hour instead of closing and reopening, and a day with a
//! change inside an interval is correspondingly shorter or longer in real time.

use std::collections::BTreeSet;

use chrono::offset::LocalResult;
use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, NaiveTime, TimeDelta, TimeZone, Utc, Weekday};
use chrono_tz::Tz;
use thiserror::Error;

/// Minutes in a local day; an interval may end exactly here (local midnight of the next date).
pub const MINUTES_PER_DAY: u16 = 1440;

/// How far ahead any search goes. Sparse calendars (or long holiday lists) could otherwise make a large
/// target loop for a very long time; about ten years is far beyond any meaningful SLA.
pub const HORIZON_DAYS: i64 = 3660;

/// "HH:MM" to minutes since local midnight; "24:00" is the end of the day.
pub fn parse_time_of_day(text: &str) -> Option<u16> {
    let (hours, minutes) = text.trim().split_once(':')?;
    if hours.len() != 2 || minutes.len() != 2 {
        return None;
    }
    let (hours, minutes): (u16, u16) = (hours.parse().ok()?, minutes.parse().ok()?);
    match (hours, minutes) {
        (24, 0) => Some(24 * 60),
        (0..=23, 0..=59) => Some(hours * 60 + minutes),
        _ => None,
    }
}

pub fn format_time_of_day(minutes: u16) -> String {
    format!("{:02}:{:02}", minutes / 60, minutes % 60)
}

pub fn weekday_from_number(number: i64) -> Option<Weekday> {
    (1..=7).contains(&number).then(|| Weekday::try_from((number - 1) as u8).ok()).flatten()
}

pub fn weekday_number(weekday: Weekday) -> i64 {
    weekday.number_from_monday() as i64
}

/// Opening time on one weekday, in minutes since local midnight, end exclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Interval {
    pub weekday: Weekday,
    pub start_minute: u16,
    pub end_minute: u16,
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CalendarError {
    #[error("unknown time zone {0:?}")]
    UnknownTimeZone(String),
    #[error(
        "interval on {weekday} starts at minute {start_minute}, which is not before its end at minute {end_minute}"
    )]
    EmptyInterval { weekday: Weekday, start_minute: u16, end_minute: u16 },
    #[error("interval on {weekday} ends at minute {end_minute}, past local midnight (minute 1440)")]
    EndPastMidnight { weekday: Weekday, end_minute: u16 },
    #[error("calendar has no working time at all")]
    NoWorkingTime,
    #[error("iCalendar line {line}: {reason}")]
    InvalidICalendar { line: usize, reason: String },
}

#[derive(Debug, Clone, PartialEq)]
pub struct Calendar {
    time_zone: Tz,
    intervals: Vec<Interval>,
    holidays: BTreeSet<NaiveDate>,
}

type Span = (DateTime<Utc>, DateTime<Utc>);

impl Calendar {
    /// Builds a calendar from an IANA zone name, weekly intervals (any order, overlaps allowed) and local
    /// holiday dates.
    pub fn new(
        time_zone: &str,
        intervals: Vec<Interval>,
        holidays: impl IntoIterator<Item = NaiveDate>,
    ) -> Result<Calendar, CalendarError> {
        let tz: Tz = time_zone.parse().map_err(|_| CalendarError::UnknownTimeZone(time_zone.to_owned()))?;
        for i in &intervals {
            if i.end_minute > MINUTES_PER_DAY {
                return Err(CalendarError::EndPastMidnight { weekday: i.weekday, end_minute: i.end_minute });
            }
            if i.start_minute >= i.end_minute {
                return Err(CalendarError::EmptyInterval {
                    weekday: i.weekday,
                    start_minute: i.start_minute,
                    end_minute: i.end_minute,
                });
            }
        }
        if intervals.is_empty() {
            return Err(CalendarError::NoWorkingTime);
        }
        Ok(Calendar { time_zone: tz, intervals: normalise(intervals), holidays: holidays.into_iter().collect() })
    }

    /// Open around the clock in UTC, for targets measured in calendar hours.
    pub fn always() -> Calendar {
        let intervals = (0..7)
            .filter_map(|d| Weekday::try_from(d).ok())
            .map(|weekday| Interval { weekday, start_minute: 0, end_minute: MINUTES_PER_DAY })
            .collect();
        Calendar { time_zone: Tz::UTC, intervals, holidays: BTreeSet::new() }
    }

    pub fn time_zone(&self) -> Tz {
        self.time_zone
    }

    /// Sorted by weekday (Monday first) and start; overlapping or touching intervals are merged.
    pub fn intervals(&self) -> &[Interval] {
        &self.intervals
    }

    pub fn holidays(&self) -> &BTreeSet<NaiveDate> {
        &self.holidays
    }

    pub fn is_open(&self, at: DateTime<Utc>) -> bool {
        let date = self.local_date(at);
        // A span of the previous or next date can cover `at` when a change near midnight shifts the clock.
        [date.pred_opt(), Some(date), date.succ_opt()]
            .into_iter()
            .flatten()
            .flat_map(|d| self.day_spans(d))
            .any(|(start, end)| start <= at && at < end)
    }

    /// The first instant at or after `at` when the calendar is open (`at` itself when already open).
    /// `None` if nothing opens within [`HORIZON_DAYS`].
    pub fn next_opening(&self, at: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.spans_from(at).next().map(|(start, _)| start)
    }

    /// The instant at which `minutes` of open time have elapsed counting from `from`; from closed time the
    /// clock starts at the next opening. Sub-minute parts of `from` are kept. Negative `minutes` count as
    /// zero because an SLA clock never runs backwards. If the target is not reached within
    /// [`HORIZON_DAYS`], the result saturates to `from` plus that horizon.
    pub fn add_business_minutes(&self, from: DateTime<Utc>, minutes: i64) -> DateTime<Utc> {
        let horizon = from.checked_add_signed(TimeDelta::days(HORIZON_DAYS)).unwrap_or(DateTime::<Utc>::MAX_UTC);
        let Some(mut remaining) = TimeDelta::try_seconds(minutes.max(0).saturating_mul(60)) else {
            return horizon;
        };
        // Open time can never exceed elapsed time, so a target longer than the horizon cannot be met in it.
        if remaining > TimeDelta::days(HORIZON_DAYS) {
            return horizon;
        }
        for (start, end) in self.spans_from(from) {
            let available = end - start;
            // `<=` so that a target met exactly at closing time is due then, not at the next opening.
            if remaining <= available {
                return start + remaining;
            }
            remaining -= available;
        }
        horizon
    }

    /// Whole minutes of open time in `[from, to)`, rounded down; 0 if `to <= from`.
    pub fn business_minutes_between(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> i64 {
        self.business_seconds_between(from, to) / 60
    }

    /// Whole seconds of open time in `[from, to)`, rounded down; 0 if `to <= from`. Only the first
    /// [`HORIZON_DAYS`] after `from` are counted.
    pub fn business_seconds_between(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> i64 {
        if to <= from {
            return 0;
        }
        self.spans_from(from)
            .take_while(|(start, _)| *start < to)
            .map(|(start, end)| end.min(to) - start)
            .fold(TimeDelta::zero(), |total, part| total + part)
            .num_seconds()
    }

    fn local_date(&self, at: DateTime<Utc>) -> NaiveDate {
        at.with_timezone(&self.time_zone).date_naive()
    }

    /// Open spans at or after `from`, in order and clipped to start no earlier than `from`.
    fn spans_from(&self, from: DateTime<Utc>) -> impl Iterator<Item = Span> + '_ {
        // Start a day early: a span of the previous local date can still be running at `from`.
        let first = self.local_date(from).pred_opt().unwrap_or(NaiveDate::MIN);
        first
            .iter_days()
            .take(HORIZON_DAYS as usize + 2)
            .flat_map(move |date| self.day_spans(date))
            .filter(move |(_, end)| *end > from)
            .map(move |(start, end)| (start.max(from), end))
    }

    /// The UTC spans of one local date, in order. Spans of consecutive dates never overlap because the
    /// boundary resolution is monotonic in local time.
    fn day_spans(&self, date: NaiveDate) -> impl Iterator<Item = Span> + '_ {
        let weekday = date.weekday();
        let working = !self.holidays.contains(&date);
        self.intervals.iter().filter(move |i| working && i.weekday == weekday).filter_map(move |i| {
            let start = self.boundary(date, i.start_minute)?;
            let end = self.boundary(date, i.end_minute)?;
            // A whole interval inside a skipped hour collapses to nothing.
            (start < end).then_some((start, end))
        })
    }

    /// The first instant at which the local wall clock has reached `minute` on `date` (see module docs).
    fn boundary(&self, date: NaiveDate, minute: u16) -> Option<DateTime<Utc>> {
        let local = date.and_time(NaiveTime::MIN).checked_add_signed(TimeDelta::minutes(i64::from(minute)))?;
        match self.time_zone.from_local_datetime(&local) {
            LocalResult::Single(t) => Some(t.with_timezone(&Utc)),
            LocalResult::Ambiguous(a, b) => Some(a.min(b).with_timezone(&Utc)),
            LocalResult::None => self.end_of_gap(local),
        }
    }

    /// The first instant whose wall time is at or after `local`, found by bisection rather than by
    /// stepping, so that gaps of any length (some zones have skipped a whole day) or with odd alignment
    /// resolve exactly.
    fn end_of_gap(&self, local: NaiveDateTime) -> Option<DateTime<Utc>> {
        let wall_reached = |secs: i64| {
            DateTime::from_timestamp(secs, 0).is_some_and(|t| t.with_timezone(&self.time_zone).naive_local() >= local)
        };
        let nominal = local.and_utc().timestamp();
        // UTC offsets lie within -12h..=+14h, so the wall clock is before `local` at `lo` and after it at
        // `hi`. A gap and a fold never fall within the same day, which keeps the predicate monotonic here.
        let (mut lo, mut hi) = (nominal - 15 * 3600, nominal + 13 * 3600);
        while hi - lo > 1 {
            let mid = lo + (hi - lo) / 2;
            if wall_reached(mid) { hi = mid } else { lo = mid }
        }
        DateTime::from_timestamp(hi, 0)
    }
}

fn normalise(mut intervals: Vec<Interval>) -> Vec<Interval> {
    intervals.sort_by_key(|i| (i.weekday.num_days_from_monday(), i.start_minute, i.end_minute));
    let mut merged: Vec<Interval> = Vec::with_capacity(intervals.len());
    for i in intervals {
        if let Some(last) = merged.last_mut()
            && last.weekday == i.weekday
            && i.start_minute <= last.end_minute
        {
            last.end_minute = last.end_minute.max(i.end_minute);
        } else {
            merged.push(i);
        }
    }
    merged
}

/// Reads all-day holiday dates from an iCalendar (RFC 5545) feed: every VEVENT contributes each date from
/// its DTSTART up to, but excluding, its DTEND (or DURATION; one day if neither). Date-time values count by
/// the date as written, whatever their TZID or `Z`; a date-time DTEND after midnight includes its own date.
/// Cancelled events are skipped. Recurring events are rejected rather than silently imported once.
///
/// This is a small line parser instead of a full iCalendar library: only three properties and their date
/// parts are needed, and a generic property model would still leave the date interpretation to us.
pub fn holidays_from_icalendar(ics: &str) -> Result<Vec<NaiveDate>, CalendarError> {
    let mut dates = BTreeSet::new();
    let mut event: Option<EventDraft> = None;
    // Components nested in an event (e.g. VALARM) have their own properties, which must not be read as
    // the event's.
    let mut nested = 0usize;
    for (line_no, line) in unfold(ics) {
        if line.trim().is_empty() {
            continue;
        }
        let err = |reason: &str| CalendarError::InvalidICalendar { line: line_no, reason: reason.to_owned() };
        let (name, params, value) = split_content_line(&line).ok_or_else(|| err("missing ':'"))?;
        let name = name.to_ascii_uppercase();
        let value = value.trim();
        match (name.as_str(), event.as_mut()) {
            ("BEGIN", None) if value.eq_ignore_ascii_case("VEVENT") => event = Some(EventDraft::new(line_no)),
            ("BEGIN", Some(_)) => {
                if value.eq_ignore_ascii_case("VEVENT") {
                    return Err(err("VEVENT inside VEVENT"));
                }
                nested += 1;
            }
            ("END", Some(_)) if nested > 0 => nested -= 1,
            ("END", Some(draft)) if value.eq_ignore_ascii_case("VEVENT") => {
                draft.finish(&mut dates)?;
                event = None;
            }
            (_, Some(_)) if nested > 0 => {}
            ("DTSTART", Some(draft)) => {
                draft.start = Some(parse_date_value(value, params).ok_or_else(|| err("bad DTSTART"))?)
            }
            ("DTEND", Some(draft)) => {
                draft.end = Some(parse_date_value(value, params).ok_or_else(|| err("bad DTEND"))?)
            }
            ("DURATION", Some(draft)) => {
                draft.duration_days = Some(parse_duration_days(value).ok_or_else(|| err("bad DURATION"))?)
            }
            ("STATUS", Some(draft)) => draft.cancelled = value.eq_ignore_ascii_case("CANCELLED"),
            ("RRULE" | "RDATE", Some(_)) => return Err(err("recurring events are not supported")),
            _ => {}
        }
    }
    if let Some(draft) = event {
        return Err(CalendarError::InvalidICalendar { line: draft.line, reason: "VEVENT is never closed".to_owned() });
    }
    Ok(dates.into_iter().collect())
}

/// Longest single holiday event accepted; anything longer is far more likely a data error than a holiday.
const MAX_EVENT_DAYS: i64 = 366;

struct EventDraft {
    line: usize,
    start: Option<(NaiveDate, Option<NaiveTime>)>,
    end: Option<(NaiveDate, Option<NaiveTime>)>,
    duration_days: Option<i64>,
    cancelled: bool,
}

impl EventDraft {
    fn new(line: usize) -> Self {
        EventDraft { line, start: None, end: None, duration_days: None, cancelled: false }
    }

    fn finish(&self, dates: &mut BTreeSet<NaiveDate>) -> Result<(), CalendarError> {
        let err = |reason: &str| CalendarError::InvalidICalendar { line: self.line, reason: reason.to_owned() };
        let (first, _) = self.start.ok_or_else(|| err("VEVENT without DTSTART"))?;
        if self.cancelled {
            return Ok(());
        }
        let last = match (self.end, self.duration_days) {
            (Some((end, time)), _) => {
                let last = if time.is_some_and(|t| t > NaiveTime::MIN) { end } else { end.pred_opt().unwrap_or(end) };
                if end < first {
                    return Err(err("DTEND before DTSTART"));
                }
                // Some producers write DTEND equal to DTSTART for a single day.
                last.max(first)
            }
            (None, Some(days)) => first + TimeDelta::days(days.max(1) - 1),
            (None, None) => first,
        };
        if (last - first).num_days() >= MAX_EVENT_DAYS {
            return Err(err("event longer than a year"));
        }
        dates.extend(first.iter_days().take_while(|d| *d <= last));
        Ok(())
    }
}

/// Joins folded lines (continuations start with a space or tab), keeping the number of the first line.
fn unfold(ics: &str) -> Vec<(usize, String)> {
    let mut lines: Vec<(usize, String)> = Vec::new();
    for (index, raw) in ics.split('\n').enumerate() {
        let raw = raw.strip_suffix('\r').unwrap_or(raw);
        if let Some(rest) = raw.strip_prefix([' ', '\t'])
            && let Some((_, current)) = lines.last_mut()
        {
            current.push_str(rest);
        } else {
            lines.push((index + 1, raw.to_owned()));
        }
    }
    lines
}

/// Splits `NAME;PARAM=..:VALUE`; a ':' inside a quoted parameter value does not end the parameters.
fn split_content_line(line: &str) -> Option<(&str, &str, &str)> {
    let mut quoted = false;
    let colon = line.char_indices().find_map(|(i, c)| {
        if c == '"' {
            quoted = !quoted;
        }
        (c == ':' && !quoted).then_some(i)
    })?;
    let (head, value) = (&line[..colon], &line[colon + 1..]);
    let (name, params) = head.split_once(';').unwrap_or((head, ""));
    Some((name.trim(), params, value))
}

/// A DATE (`YYYYMMDD`) or DATE-TIME (`YYYYMMDDTHHMMSS[Z]`) value; the time is `None` for a date.
fn parse_date_value(value: &str, params: &str) -> Option<(NaiveDate, Option<NaiveTime>)> {
    let date = NaiveDate::parse_from_str(value.get(..8)?, "%Y%m%d").ok()?;
    let is_date = params.split(';').any(|p| p.trim().eq_ignore_ascii_case("VALUE=DATE"));
    if is_date || value.len() == 8 {
        return (value.len() == 8).then_some((date, None));
    }
    let time = value.get(8..)?.strip_prefix(['T', 't'])?;
    let time = time.strip_suffix(['Z', 'z']).unwrap_or(time);
    let time = NaiveTime::parse_from_str(time, "%H%M%S").ok()?;
    Some((date, Some(time)))
}

/// Whole days of an RFC 5545 duration such as `P1D`, `P2W` or `P1DT12H`; a time part alone counts as part
/// of one day. Negative durations are meaningless for a holiday.
fn parse_duration_days(value: &str) -> Option<i64> {
    let body = value.strip_prefix('+').unwrap_or(value).strip_prefix(['P', 'p'])?;
    let date_part = body.split(['T', 't']).next().unwrap_or("");
    let mut days = 0i64;
    let mut number = String::new();
    for c in date_part.chars() {
        if c.is_ascii_digit() {
            number.push(c);
            continue;
        }
        let n: i64 = number.parse().ok()?;
        number.clear();
        days = days.checked_add(match c.to_ascii_uppercase() {
            'W' => n.checked_mul(7)?,
            'D' => n,
            _ => return None,
        })?;
    }
    number.is_empty().then_some(days.max(1))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{NaiveDateTime, Timelike};
    use proptest::prelude::*;

    const WEEKDAYS: [Weekday; 7] =
        [Weekday::Mon, Weekday::Tue, Weekday::Wed, Weekday::Thu, Weekday::Fri, Weekday::Sat, Weekday::Sun];

    fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, mo, d, h, mi, s).single().expect("valid UTC time")
    }

    fn local(tz: &str, y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> DateTime<Utc> {
        let tz: Tz = tz.parse().expect("known zone");
        tz.with_ymd_and_hms(y, mo, d, h, mi, s).single().expect("unambiguous local time").with_timezone(&Utc)
    }

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("valid date")
    }

    fn iv(weekday: Weekday, start_minute: u16, end_minute: u16) -> Interval {
        Interval { weekday, start_minute, end_minute }
    }

    fn weekdays(start: u16, end: u16) -> Vec<Interval> {
        WEEKDAYS[..5].iter().map(|&w| iv(w, start, end)).collect()
    }

    fn warsaw_office(holidays: Vec<NaiveDate>) -> Calendar {
        Calendar::new("Europe/Warsaw", weekdays(9 * 60, 17 * 60), holidays).expect("valid calendar")
    }

    /// Brute-force model written without the calendar's span logic: it walks whole UTC minutes and asks
    /// what the wall clock shows. The documented boundary rule ("the first instant the wall clock reaches
    /// x") means that during a repeated hour the clock counts as still showing the highest time it has
    /// already shown, so the walker tracks that high-water mark. All zones used have whole-minute offsets,
    /// so openness is constant within each UTC minute.
    struct Reference {
        tz: Tz,
        intervals: Vec<(Weekday, u16, u16)>,
        holidays: BTreeSet<NaiveDate>,
    }

    /// Bounds every brute-force walk so a surprising case fails instead of hanging.
    const REFERENCE_LIMIT_MINUTES: usize = 120 * 1440;

    impl Reference {
        fn open_at_wall(&self, wall: NaiveDateTime) -> bool {
            let minute = (wall.num_seconds_from_midnight() / 60) as u16;
            !self.holidays.contains(&wall.date())
                && self.intervals.iter().any(|&(w, s, e)| w == wall.weekday() && s <= minute && minute < e)
        }

        fn minutes(&self, first: DateTime<Utc>) -> impl Iterator<Item = (DateTime<Utc>, bool)> + '_ {
            let aligned = DateTime::from_timestamp(first.timestamp().div_euclid(60) * 60, 0).expect("in range");
            // Warm up for a day so the high-water mark is right inside a repeated hour.
            let warm_up = aligned - TimeDelta::days(1);
            let mut high: Option<NaiveDateTime> = None;
            (0i64..)
                .map(move |k| {
                    let minute = warm_up + TimeDelta::minutes(k);
                    let wall = minute.with_timezone(&self.tz).naive_local();
                    let shown = match high {
                        Some(h) if h > wall => h,
                        _ => wall,
                    };
                    high = Some(shown);
                    (minute, self.open_at_wall(shown))
                })
                .skip(1440)
                .take(REFERENCE_LIMIT_MINUTES)
        }

        fn is_open(&self, at: DateTime<Utc>) -> bool {
            self.minutes(at).next().is_some_and(|(_, open)| open)
        }

        fn add(&self, from: DateTime<Utc>, minutes: i64) -> Option<DateTime<Utc>> {
            let mut remaining = TimeDelta::minutes(minutes);
            for (minute, open) in self.minutes(from) {
                if !open {
                    continue;
                }
                let start = minute.max(from);
                let available = minute + TimeDelta::minutes(1) - start;
                if remaining <= available {
                    return Some(start + remaining);
                }
                remaining -= available;
            }
            None
        }

        fn seconds_between(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> i64 {
            self.minutes(from)
                .take_while(|(minute, _)| *minute < to)
                .filter(|(_, open)| *open)
                .map(|(minute, _)| ((minute + TimeDelta::minutes(1)).min(to) - minute.max(from)).num_seconds())
                .filter(|s| *s > 0)
                .sum()
        }
    }

    #[test]
    fn friday_evening_ticket_in_warsaw_is_due_monday_ten() {
        let cal = warsaw_office(vec![]);
        let arrived = local("Europe/Warsaw", 2026, 1, 9, 18, 30, 0);
        assert_eq!(cal.add_business_minutes(arrived, 60), local("Europe/Warsaw", 2026, 1, 12, 10, 0, 0));
    }

    #[test]
    fn holiday_monday_pushes_due_time_to_tuesday() {
        let cal = warsaw_office(vec![date(2026, 1, 12)]);
        let arrived = local("Europe/Warsaw", 2026, 1, 9, 18, 30, 0);
        assert_eq!(cal.add_business_minutes(arrived, 60), local("Europe/Warsaw", 2026, 1, 13, 10, 0, 0));
        assert!(!cal.is_open(local("Europe/Warsaw", 2026, 1, 12, 12, 0, 0)));
    }

    #[test]
    fn split_shift_skips_lunch_break() {
        let mut intervals = weekdays(9 * 60, 12 * 60);
        intervals.extend(weekdays(13 * 60, 17 * 60));
        let cal = Calendar::new("Europe/Warsaw", intervals, []).unwrap();
        let monday = |h, m| local("Europe/Warsaw", 2026, 1, 12, h, m, 0);
        assert_eq!(cal.add_business_minutes(monday(11, 30), 60), monday(13, 30));
        assert_eq!(cal.business_minutes_between(monday(8, 0), monday(18, 0)), 7 * 60);
        assert!(!cal.is_open(monday(12, 30)));
        assert_eq!(cal.next_opening(monday(12, 30)), Some(monday(13, 0)));
    }

    #[test]
    fn always_open_calendar_is_plain_addition() {
        let cal = Calendar::always();
        let from = utc(2026, 3, 29, 0, 59, 17);
        for minutes in [0, 1, 59, 1440, 100_000] {
            let due = cal.add_business_minutes(from, minutes);
            assert_eq!(due, from + TimeDelta::minutes(minutes));
            assert_eq!(cal.business_minutes_between(from, due), minutes);
        }
    }

    #[test]
    fn seconds_of_the_start_are_kept() {
        let cal = warsaw_office(vec![]);
        let open = local("Europe/Warsaw", 2026, 1, 12, 9, 0, 30);
        assert_eq!(cal.add_business_minutes(open, 1), local("Europe/Warsaw", 2026, 1, 12, 9, 1, 30));
        let friday_close = local("Europe/Warsaw", 2026, 1, 9, 16, 59, 30);
        assert_eq!(cal.add_business_minutes(friday_close, 1), local("Europe/Warsaw", 2026, 1, 12, 9, 0, 30));
        assert_eq!(cal.business_seconds_between(friday_close, local("Europe/Warsaw", 2026, 1, 12, 9, 0, 30)), 60);
    }

    #[test]
    fn target_met_at_closing_time_is_due_at_closing_time() {
        let cal = warsaw_office(vec![]);
        let from = local("Europe/Warsaw", 2026, 1, 12, 16, 0, 0);
        assert_eq!(cal.add_business_minutes(from, 60), local("Europe/Warsaw", 2026, 1, 12, 17, 0, 0));
    }

    #[test]
    fn zero_minutes_waits_for_the_next_opening_only_when_closed() {
        let cal = warsaw_office(vec![]);
        let open = local("Europe/Warsaw", 2026, 1, 12, 10, 0, 5);
        assert_eq!(cal.add_business_minutes(open, 0), open);
        let closed = local("Europe/Warsaw", 2026, 1, 10, 10, 0, 0);
        assert_eq!(cal.add_business_minutes(closed, 0), local("Europe/Warsaw", 2026, 1, 12, 9, 0, 0));
        assert_eq!(cal.add_business_minutes(closed, -5), local("Europe/Warsaw", 2026, 1, 12, 9, 0, 0));
    }

    #[test]
    fn business_minutes_between_is_zero_for_reversed_range() {
        let cal = Calendar::always();
        assert_eq!(cal.business_minutes_between(utc(2026, 1, 2, 0, 0, 0), utc(2026, 1, 1, 0, 0, 0)), 0);
    }

    #[test]
    fn spring_forward_day_keeps_eight_hour_office_day() {
        let cal = Calendar::new("Europe/Warsaw", vec![iv(Weekday::Sun, 9 * 60, 17 * 60)], []).unwrap();
        let day = (utc(2026, 3, 28, 12, 0, 0), utc(2026, 3, 29, 22, 0, 0));
        assert_eq!(cal.business_minutes_between(day.0, day.1), 8 * 60);
    }

    #[test]
    fn spring_forward_inside_interval_shortens_it_to_two_hours() {
        let cal = Calendar::new("Europe/Warsaw", vec![iv(Weekday::Sun, 60, 4 * 60)], []).unwrap();
        // 01:00 CET is 00:00Z; 04:00 CEST is 02:00Z.
        assert_eq!(cal.next_opening(utc(2026, 3, 28, 12, 0, 0)), Some(utc(2026, 3, 29, 0, 0, 0)));
        assert_eq!(cal.business_minutes_between(utc(2026, 3, 28, 12, 0, 0), utc(2026, 3, 30, 0, 0, 0)), 120);
        assert!(!cal.is_open(utc(2026, 3, 29, 2, 0, 0)));
    }

    #[test]
    fn fall_back_inside_interval_lengthens_it_to_four_hours() {
        let cal = Calendar::new("Europe/Warsaw", vec![iv(Weekday::Sun, 60, 4 * 60)], []).unwrap();
        // 01:00 CEST is 23:00Z the day before; 04:00 CET is 03:00Z.
        let from = utc(2026, 10, 24, 12, 0, 0);
        assert_eq!(cal.next_opening(from), Some(utc(2026, 10, 24, 23, 0, 0)));
        assert_eq!(cal.add_business_minutes(from, 240), utc(2026, 10, 25, 3, 0, 0));
        assert_eq!(cal.business_minutes_between(from, utc(2026, 10, 26, 0, 0, 0)), 240);
    }

    #[test]
    fn ambiguous_start_takes_earliest_instant_and_stays_open_through_repeat() {
        let cal = Calendar::new("Europe/Warsaw", vec![iv(Weekday::Sun, 150, 300)], []).unwrap();
        // First 02:30 (CEST) is 00:30Z; 05:00 CET is 04:00Z: 3.5 real hours.
        let from = utc(2026, 10, 24, 12, 0, 0);
        assert_eq!(cal.next_opening(from), Some(utc(2026, 10, 25, 0, 30, 0)));
        assert!(cal.is_open(utc(2026, 10, 25, 1, 15, 0)), "second 02:15 lies after the opening");
        assert_eq!(cal.business_minutes_between(from, utc(2026, 10, 26, 0, 0, 0)), 210);
    }

    #[test]
    fn nonexistent_start_moves_forward_to_the_change() {
        let cal = Calendar::new("Europe/Warsaw", vec![iv(Weekday::Sun, 150, 300)], []).unwrap();
        // 02:30 does not exist; the clock jumps to 03:00 CEST at 01:00Z. 05:00 CEST is 03:00Z.
        let from = utc(2026, 3, 28, 12, 0, 0);
        assert_eq!(cal.next_opening(from), Some(utc(2026, 3, 29, 1, 0, 0)));
        assert_eq!(cal.business_minutes_between(from, utc(2026, 3, 30, 0, 0, 0)), 120);
    }

    #[test]
    fn interval_entirely_inside_skipped_hour_is_closed() {
        let cal =
            Calendar::new("Europe/Warsaw", vec![iv(Weekday::Sun, 130, 150), iv(Weekday::Mon, 0, 60)], []).unwrap();
        let from = utc(2026, 3, 28, 12, 0, 0);
        // Next opening is Monday 00:00 CEST (Sunday 22:00Z), not anything on the change night.
        assert_eq!(cal.next_opening(from), Some(utc(2026, 3, 29, 22, 0, 0)));
    }

    #[test]
    fn interval_ending_at_midnight_runs_into_next_day_interval() {
        let cal = Calendar::new("UTC", vec![iv(Weekday::Mon, 22 * 60, 1440), iv(Weekday::Tue, 0, 120)], []).unwrap();
        let from = utc(2026, 1, 12, 23, 30, 0);
        assert_eq!(cal.add_business_minutes(from, 60), utc(2026, 1, 13, 0, 30, 0));
        assert!(cal.is_open(utc(2026, 1, 13, 0, 0, 0)));
    }

    #[test]
    fn overlapping_and_touching_intervals_are_merged() {
        let cal = Calendar::new(
            "UTC",
            vec![
                iv(Weekday::Tue, 600, 700),
                iv(Weekday::Mon, 60, 120),
                iv(Weekday::Mon, 100, 200),
                iv(Weekday::Mon, 200, 300),
            ],
            [],
        )
        .unwrap();
        assert_eq!(cal.intervals(), &[iv(Weekday::Mon, 60, 300), iv(Weekday::Tue, 600, 700)]);
    }

    #[test]
    fn invalid_calendars_are_refused_with_the_reason() {
        assert_eq!(
            Calendar::new("Mars/Olympus", weekdays(0, 60), []),
            Err(CalendarError::UnknownTimeZone("Mars/Olympus".into()))
        );
        assert!(matches!(
            Calendar::new("UTC", vec![iv(Weekday::Mon, 60, 60)], []),
            Err(CalendarError::EmptyInterval { start_minute: 60, end_minute: 60, .. })
        ));
        assert!(matches!(
            Calendar::new("UTC", vec![iv(Weekday::Mon, 60, 1441)], []),
            Err(CalendarError::EndPastMidnight { end_minute: 1441, .. })
        ));
        assert_eq!(Calendar::new("UTC", vec![], []), Err(CalendarError::NoWorkingTime));
    }

    #[test]
    fn unreachable_target_saturates_at_the_horizon() {
        let cal = warsaw_office(vec![]);
        let from = utc(2026, 1, 1, 0, 0, 0);
        let horizon = from + TimeDelta::days(HORIZON_DAYS);
        assert_eq!(cal.add_business_minutes(from, i64::MAX), horizon);
        // Ten years of office hours are about 1.25 million minutes; ask for more than that.
        assert_eq!(cal.add_business_minutes(from, 2_000_000), horizon);
    }

    #[test]
    fn icalendar_one_day_and_two_day_holidays_expand_to_each_date() {
        let ics = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VTIMEZONE\r\nTZID:Europe/Warsaw\r\n\
                   BEGIN:STANDARD\r\nDTSTART:19701025T030000\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\n\
                   BEGIN:VEVENT\r\nUID:1\r\nSUMMARY:New Year\r\nDTSTART;VALUE=DATE:20260101\r\n\
                   DTEND;VALUE=DATE:20260102\r\nEND:VEVENT\r\n\
                   BEGIN:VEVENT\r\nUID:2\r\nSUMMARY:Christmas\r\nDTSTART;VALUE=DATE:20261225\r\n\
                   DTEND;VALUE=DATE:20261227\r\nBEGIN:VALARM\r\nTRIGGER:-PT15M\r\nDTSTART:20200101T000000\r\n\
                   END:VALARM\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
        assert_eq!(holidays_from_icalendar(ics), Ok(vec![date(2026, 1, 1), date(2026, 12, 25), date(2026, 12, 26)]));
    }

    #[test]
    fn icalendar_date_times_durations_and_folding() {
        let ics = "BEGIN:VEVENT\nDTSTART;TZID=\"Europe/Warsaw\":20260501T000000\nDTEND;TZID=Europe/Warsaw:20260502\n T000000\n\
                   END:VEVENT\nBEGIN:VEVENT\nDTSTART:20260815T080000Z\nDTEND:20260816T120000Z\nEND:VEVENT\n\
                   BEGIN:VEVENT\nDTSTART;VALUE=DATE:20261111\nDURATION:P1W\nEND:VEVENT\n\
                   BEGIN:VEVENT\nDTSTART;VALUE=DATE:20260601\nSTATUS:CANCELLED\nEND:VEVENT\n";
        let dates = holidays_from_icalendar(ics).unwrap();
        let mut expected = vec![date(2026, 5, 1), date(2026, 8, 15), date(2026, 8, 16)];
        expected.extend(date(2026, 11, 11).iter_days().take(7));
        assert_eq!(dates, expected);
    }

    #[test]
    fn icalendar_errors_name_the_line() {
        let no_start = "BEGIN:VEVENT\nSUMMARY:x\nEND:VEVENT\n";
        assert!(matches!(holidays_from_icalendar(no_start), Err(CalendarError::InvalidICalendar { line: 1, .. })));
        let bad_date = "BEGIN:VEVENT\nDTSTART;VALUE=DATE:2026-01-01\nEND:VEVENT\n";
        assert!(matches!(holidays_from_icalendar(bad_date), Err(CalendarError::InvalidICalendar { line: 2, .. })));
        let recurring = "BEGIN:VEVENT\nDTSTART;VALUE=DATE:20260101\nRRULE:FREQ=YEARLY\nEND:VEVENT\n";
        assert!(matches!(holidays_from_icalendar(recurring), Err(CalendarError::InvalidICalendar { line: 3, .. })));
        let open = "BEGIN:VEVENT\nDTSTART;VALUE=DATE:20260101\n";
        assert!(matches!(holidays_from_icalendar(open), Err(CalendarError::InvalidICalendar { line: 1, .. })));
    }

    #[test]
    fn reference_agrees_on_dst_fixed_cases() {
        // Guards the brute-force model itself against the hand-computed DST expectations above.
        let reference = Reference {
            tz: "Europe/Warsaw".parse().unwrap(),
            intervals: vec![(Weekday::Sun, 60, 240), (Weekday::Sun, 150, 300)],
            holidays: BTreeSet::new(),
        };
        let spring = reference.seconds_between(utc(2026, 3, 28, 12, 0, 0), utc(2026, 3, 30, 0, 0, 0));
        let autumn = reference.seconds_between(utc(2026, 10, 24, 12, 0, 0), utc(2026, 10, 26, 0, 0, 0));
        // Union 01:00–05:00: 3 real hours in spring, 5 in autumn.
        assert_eq!((spring / 60, autumn / 60), (180, 300));
    }

    const ZONES: [&str; 5] = ["Europe/Warsaw", "America/New_York", "Asia/Jerusalem", "Australia/Sydney", "UTC"];

    /// 2026 daylight-saving change dates, by index into `ZONES`.
    const CHANGES: [(usize, u32, u32); 8] =
        [(0, 3, 29), (0, 10, 25), (1, 3, 8), (1, 11, 1), (2, 3, 27), (2, 10, 25), (3, 4, 5), (3, 10, 4)];

    /// A zone and a starting instant in 2026; half of the cases start shortly before one of that zone's
    /// changes so that the walk crosses it.
    fn zone_and_instant() -> impl Strategy<Value = (usize, DateTime<Utc>)> {
        prop_oneof![
            (0..ZONES.len(), 0i64..365 * 86_400)
                .prop_map(|(z, s)| (z, utc(2026, 1, 1, 0, 0, 0) + TimeDelta::seconds(s))),
            (0..CHANGES.len(), -3 * 86_400i64..86_400).prop_map(|(i, s)| {
                let (z, m, d) = CHANGES[i];
                (z, utc(2026, m, d, 0, 0, 0) + TimeDelta::seconds(s))
            }),
        ]
    }

    fn day_intervals() -> impl Strategy<Value = Vec<(u16, u16)>> {
        // Many boundaries fall in the small hours, where the changes happen.
        let start = prop_oneof![0u16..1440, 0u16..300, 110u16..190];
        let length = prop_oneof![1u16..=720, 1u16..120];
        prop::collection::vec((start, length), 1..=3)
            .prop_map(|v| v.into_iter().map(|(s, len)| (s, (s + len).min(MINUTES_PER_DAY))).collect())
    }

    fn schedule() -> impl Strategy<Value = Vec<(Weekday, u16, u16)>> {
        (prop_oneof![1u8..128, Just(127u8)], prop::array::uniform7(day_intervals())).prop_map(|(mask, days)| {
            days.into_iter()
                .enumerate()
                .filter(|(d, _)| mask & (1 << d) != 0)
                .flat_map(|(d, v)| v.into_iter().map(move |(s, e)| (WEEKDAYS[d], s, e)))
                .collect()
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

        #[test]
        fn calendar_matches_brute_force_reference(
            (zone, from) in zone_and_instant(),
            raw in schedule(),
            holiday_offsets in prop::collection::vec(-2i64..30, 0..6),
            minutes in 0i64..=5000,
            span_seconds in 0i64..20 * 86_400,
        ) {
            let tz: Tz = ZONES[zone].parse().unwrap();
            let from_date = from.with_timezone(&tz).date_naive();
            let holidays: BTreeSet<NaiveDate> =
                holiday_offsets.iter().map(|&o| from_date + TimeDelta::days(o)).collect();
            let intervals = raw.iter().map(|&(w, s, e)| iv(w, s, e)).collect();
            let cal = Calendar::new(ZONES[zone], intervals, holidays.iter().copied()).unwrap();
            let reference = Reference { tz, intervals: raw, holidays };

            // Keep brute-force walks short for calendars with very little weekly open time.
            let weekly: i64 = cal.intervals().iter().map(|i| i64::from(i.end_minute - i.start_minute)).sum();
            let minutes = minutes.min(weekly * 2);

            prop_assert_eq!(cal.is_open(from), reference.is_open(from));
            prop_assert_eq!(cal.next_opening(from), reference.add(from, 0));

            let due = cal.add_business_minutes(from, minutes);
            prop_assert_eq!(Some(due), reference.add(from, minutes));
            prop_assert_eq!(cal.business_minutes_between(from, due), minutes);

            let to = from + TimeDelta::seconds(span_seconds);
            prop_assert_eq!(cal.business_seconds_between(from, to), reference.seconds_between(from, to));
        }
    }
}
