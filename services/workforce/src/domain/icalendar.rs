//! iCalendar (RFC 5545) export of a team's roster: one `VEVENT` per shift, which Google Calendar, Outlook, Apple
//! Calendar and scheduling tools import or subscribe to.
//!
//! The document is built with the `icalendar` crate wherever it can express what is needed (calendar properties,
//! events, escaping of TEXT values, CRLF line ends, folding). Four things are done here on top of it:
//!
//! * **VTIMEZONE.** The crate has no time-zone component, and every component it serialises gets a `DTSTAMP` and a
//!   random `UID` injected when they are missing, which RFC 5545 does not allow in `VTIMEZONE`, `STANDARD` or
//!   `DAYLIGHT`. So the `BEGIN:`/`END:` lines of those three are written here; their property lines still go through
//!   `icalendar::Property` (escaping, folding, CRLF). The observances are derived from `chrono-tz`, which exposes no
//!   transition list (see `observances` below for the method).
//! * **Line folding repair.** `icalendar` 0.17.x folds on octets and on character boundaries, but its folding loop is
//!   off by one: a logical line of 150 + 74·k octets gets a continuation line of 76 octets. Every physical line of the
//!   rendered document is checked, and any logical line with an over-long physical line is re-folded here (75 octets
//!   for the first line, a space plus 74 for each continuation, never inside a UTF-8 sequence). Lines the crate folded
//!   correctly are kept byte for byte.
//! * **Text hygiene.** The crate escapes `\`, `,`, `;` and LF in TEXT values, but passes CR and other control
//!   characters through, which would break the CRLF line structure. Every text from the roster is normalised first:
//!   CRLF and lone CR become LF (escaped as `\n` by the crate), other control characters except TAB are dropped.
//! * **Ambiguous wall times.** RFC 5545 §3.3.5 says a `TZID` local time that occurs twice (the repeated hour when
//!   daylight-saving time ends) means its *first* occurrence, and there is no way to name the second one. An instant in
//!   the second occurrence (e.g. 2026-11-01 06:00 UTC = 01:00 EST in New York, after 01:00 EDT) is therefore written in
//!   UTC form (`DTSTART:20261101T060000Z`), which every client converts to the right local time. Every other instant is
//!   written as local time with `TZID`.
//!
//! Other decisions:
//!
//! * `UID` is `<shift_id>@frontline`, so re-importing or refreshing a subscription updates the same events.
//! * `DTSTAMP` is the export time (`generated_at`, UTC); `LAST-MODIFIED` is the shift's `updated_at`. No `SEQUENCE`
//!   is written: the roster keeps no revision counter, and a published feed (no `METHOD`, not iTIP scheduling) does
//!   not need one. No `METHOD` either: `METHOD:PUBLISH` would make the file an iTIP message, which requires an
//!   `ORGANIZER` per event.
//! * `TRANSP`: `TRANSPARENT` (free) for `break` and `lunch`, which are pauses inside a working day where the person
//!   may still be booked by their own calendar; `OPAQUE` (busy) for `work`, `meeting`, `training` and any kind not
//!   known here, because a rostered block is time the person is committed to.
//! * `CATEGORIES` carries the kind as one token (see below).
//! * A shift whose `ends_at` is not after its `starts_at` gets no `DTEND` (RFC 5545 requires `DTEND` > `DTSTART`;
//!   without it the event is a point in time at its start).
//! * Times have whole-second precision; sub-second parts are dropped.
//!
//! Works, writing the same bytes, with `icalendar` 0.17.6 (what Cargo's MSRV-aware resolver picks under this
//! workspace's `rust-version` 1.85; 0.17.7 and later declare 1.88) up to 0.17.17. Two things changed in between and
//! are kept out of the output: `X-` properties are escaped as TEXT only since 0.17.11, so `X-WR-CALNAME` is escaped
//! and written here; `CATEGORIES` is escaped as a single value up to 0.17.15 and taken as an already-escaped list
//! since 0.17.16, so the kind is written as one token in which `\`, `,`, `;` and line breaks became `-` (kinds are
//! plain words; the token needs no escaping under either rule).

use ::icalendar::{Calendar, CalendarDateTime, Component, Event, EventLike, Property};
use chrono::{DateTime, Datelike, LocalResult, NaiveDate, Offset, SubsecRound, TimeDelta, TimeZone, Utc};
use chrono_tz::{OffsetComponents, Tz, TzOffset};

/// `PRODID` of every exported calendar.
pub const PRODID: &str = "-//Frontline//Workforce roster//EN";

/// Right-hand side of every event's `UID` (`<shift_id>@frontline`).
pub const UID_DOMAIN: &str = "frontline";

/// RFC 5545 §3.1: content lines SHOULD NOT be longer than 75 octets, excluding the line break.
const MAX_LINE_OCTETS: usize = 75;

const CALENDAR_END: &str = "END:VCALENDAR\r\n";

/// One shift of one person, as the roster holds it (instants in UTC).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RosterEntry<'a> {
    /// Stable id of the shift; the event's `UID` is `<shift_id>@frontline`.
    pub shift_id: &'a str,
    /// Id of the person (not exported; kept so callers can filter or group).
    pub person_id: &'a str,
    pub person_name: &'a str,
    pub team_name: &'a str,
    /// `"work"`, `"break"`, `"lunch"`, `"meeting"`, `"training"` (other kinds are exported as busy time);
    /// written as `CATEGORIES` and, capitalised, at the start of `SUMMARY`.
    pub kind: &'a str,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    /// Written as `LAST-MODIFIED`; no `SEQUENCE` is derived from it.
    pub updated_at: DateTime<Utc>,
    /// Written as `DESCRIPTION` when not blank.
    pub notes: &'a str,
}

/// Renders a VCALENDAR with one VEVENT per entry. Times are written in `time_zone` with TZID
/// (and a VTIMEZONE for it covering the span of the entries, so strict parsers resolve it);
/// DTSTAMP is `generated_at` in UTC.
///
/// The only times not written with `TZID` are those in the second occurrence of a repeated local hour (end of
/// daylight-saving time), which RFC 5545 cannot express with `TZID`: they are written in UTC (see the module docs).
/// Events appear in the order of `entries`. The output is deterministic: same input, same bytes.
pub fn roster_calendar(
    calendar_name: &str,
    time_zone: Tz,
    entries: &[RosterEntry<'_>],
    generated_at: DateTime<Utc>,
) -> String {
    let generated_at = generated_at.trunc_subsecs(0);

    let mut header = Calendar::empty();
    header
        .append_property(Property::new("VERSION", "2.0"))
        .append_property(Property::new("PRODID", PRODID))
        .append_property(Property::new("CALSCALE", "GREGORIAN"));
    // An IANA name needs no escaping.
    header.append_property(Property::new("X-WR-TIMEZONE", time_zone.name()));

    // The crate renders `BEGIN:VCALENDAR`, the properties and `END:VCALENDAR`; the calendar's name, the VTIMEZONE
    // (both written here, see the module docs) and the events (rendered by the crate) go before that last line.
    let rendered = header.to_string();
    let Some(head) = rendered.strip_suffix(CALENDAR_END) else {
        unreachable!("icalendar renders a calendar ending in END:VCALENDAR CRLF, got {rendered:?}")
    };
    let mut out = String::with_capacity(head.len() + 1024 + entries.len() * 512);
    out.push_str(head);
    // Not `Calendar::name` (it adds RFC 7986 `NAME`, which no version of the crate escapes) nor `Property` (which
    // escapes `X-` properties only since 0.17.11). Folded by `refold_overlong_lines` below when long.
    let calendar_name = clean_text(calendar_name);
    if !calendar_name.trim().is_empty() {
        out.push_str("X-WR-CALNAME:");
        out.push_str(&escape_text(calendar_name.trim()));
        out.push_str("\r\n");
    }

    let instants = entries.iter().flat_map(|e| [e.starts_at, e.ends_at]);
    let first = instants.clone().min().unwrap_or(generated_at);
    let last = instants.max().unwrap_or(generated_at);
    out.push_str(&vtimezone(time_zone, first, last));

    for entry in entries {
        out.push_str(&Component::to_string(&shift_event(entry, time_zone, generated_at)));
    }
    out.push_str(CALENDAR_END);
    refold_overlong_lines(&out)
}

fn shift_event(entry: &RosterEntry<'_>, time_zone: Tz, generated_at: DateTime<Utc>) -> Event {
    let starts_at = entry.starts_at.trunc_subsecs(0);
    let ends_at = entry.ends_at.trunc_subsecs(0);

    let mut event = Event::new();
    event
        .uid(&format!("{}@{UID_DOMAIN}", clean_text(entry.shift_id)))
        .timestamp(generated_at)
        .last_modified(entry.updated_at.trunc_subsecs(0))
        .starts(zoned(starts_at, time_zone))
        .summary(&summary(entry))
        .add_property("TRANSP", transparency(entry.kind));
    if ends_at > starts_at {
        event.ends(zoned(ends_at, time_zone));
    }
    let category = category(entry.kind);
    if !category.is_empty() {
        event.add_property("CATEGORIES", category);
    }
    let notes = clean_text(entry.notes);
    if !notes.trim().is_empty() {
        event.description(&notes);
    }
    event.done()
}

/// `instant` as local time in `time_zone` with `TZID`, or in UTC form when that local time is the second occurrence
/// of a repeated hour (a `TZID` value means the first occurrence, RFC 5545 §3.3.5).
fn zoned(instant: DateTime<Utc>, time_zone: Tz) -> CalendarDateTime {
    let offset = time_zone.offset_from_utc_datetime(&instant.naive_utc());
    // Checked: at the very ends of chrono's range the local time may not be representable (then UTC form it is).
    let Some(wall) = instant.naive_utc().checked_add_signed(TimeDelta::seconds(i64::from(total_seconds(&offset))))
    else {
        return CalendarDateTime::Utc(instant);
    };
    let meant = match time_zone.from_local_datetime(&wall) {
        LocalResult::Single(t) => Some(t),
        LocalResult::Ambiguous(a, b) => Some(a.min(b)),
        LocalResult::None => None,
    };
    if meant.is_some_and(|t| t == instant) {
        CalendarDateTime::WithTimezone { date_time: wall, tzid: time_zone.name().to_owned() }
    } else {
        CalendarDateTime::Utc(instant)
    }
}

/// "Work — Ola Kamińska (Tier 1)"; the parts that are blank are left out.
fn summary(entry: &RosterEntry<'_>) -> String {
    let label = kind_label(entry.kind);
    let person = clean_text(entry.person_name);
    let team = clean_text(entry.team_name);
    let mut summary = label;
    if !person.trim().is_empty() {
        summary.push_str(" — ");
        summary.push_str(person.trim());
    }
    if !team.trim().is_empty() {
        summary.push_str(" (");
        summary.push_str(team.trim());
        summary.push(')');
    }
    summary
}

fn kind_label(kind: &str) -> String {
    let kind = clean_text(kind);
    let kind = kind.trim();
    match kind.to_lowercase().as_str() {
        "" => "Shift".to_owned(),
        "work" => "Work".to_owned(),
        "break" => "Break".to_owned(),
        "lunch" => "Lunch".to_owned(),
        "meeting" => "Meeting".to_owned(),
        "training" => "Training".to_owned(),
        _ => {
            let mut chars = kind.chars();
            chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default()
        }
    }
}

/// `TRANSPARENT` (free) for pauses, `OPAQUE` (busy) for everything else, unknown kinds included.
fn transparency(kind: &str) -> &'static str {
    match kind.trim().to_lowercase().as_str() {
        "break" | "lunch" => "TRANSPARENT",
        _ => "OPAQUE",
    }
}

/// The kind as one `CATEGORIES` token that needs no escaping (see the module docs).
fn category(kind: &str) -> String {
    clean_text(kind).trim().chars().map(|c| if matches!(c, '\\' | ',' | ';' | '\n') { '-' } else { c }).collect()
}

/// RFC 5545 §3.3.11 TEXT escaping, as the crate does it for the properties it knows as TEXT.
fn escape_text(text: &str) -> String {
    text.replace('\\', "\\\\").replace(';', "\\;").replace(',', "\\,").replace('\n', "\\n")
}

/// CRLF and lone CR become LF (which the crate escapes as `\n`); other control characters except TAB are dropped
/// (RFC 5545 TEXT allows no controls but HTAB, and a raw CR would break the line structure).
fn clean_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\r' => {
                chars.next_if_eq(&'\n');
                out.push('\n');
            }
            '\n' | '\t' => out.push(c),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------------------------
// VTIMEZONE
// ---------------------------------------------------------------------------------------------------------------

const DAY: i64 = 86_400;
/// The transition scan never goes before 1970-01-01T00:00:00Z ...
const SCAN_FLOOR: i64 = 0;
/// ... nor after 2200-01-01T00:00:00Z (chrono-tz has no transitions that late; this bounds the work for absurd data).
const SCAN_CEILING: i64 = 7_258_118_400;

/// One `STANDARD` or `DAYLIGHT` sub-component: from `onset` (UTC seconds) on, the offset is `to`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Observance {
    onset: i64,
    /// Total UTC offset in seconds before the onset (`TZOFFSETFROM`; the onset's `DTSTART` is local time in it).
    from: i32,
    to: TzOffset,
    daylight: bool,
}

fn offset_at(time_zone: Tz, at: i64) -> TzOffset {
    let at = DateTime::<Utc>::from_timestamp(at, 0).unwrap_or_default();
    time_zone.offset_from_utc_datetime(&at.naive_utc())
}

fn total_seconds(offset: &TzOffset) -> i32 {
    offset.fix().local_minus_utc()
}

/// Seconds since the epoch of 00:00 UTC on 1 January of `year`, clamped to the scan range.
fn year_start(year: i32) -> i64 {
    let year = year.clamp(1970, 2200);
    NaiveDate::from_ymd_opt(year, 1, 1)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map_or(SCAN_FLOOR, |d| d.and_utc().timestamp())
}

/// The first second in `(lo, hi]` whose offset differs from the one at `lo`, found by bisection.
/// Requires `offset_at(lo) != offset_at(hi)` and assumes a single transition in between.
fn transition_between(time_zone: Tz, mut lo: i64, mut hi: i64) -> i64 {
    let before = offset_at(time_zone, lo);
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if offset_at(time_zone, mid) == before {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    hi
}

/// The observances of `time_zone` that cover the years from the one of `first` to the one of `last`.
///
/// chrono-tz exposes offsets at instants but no list of transitions, so they are found by sampling: the offset
/// (total offset, DST part and abbreviation — `TzOffset` equality) is taken at 00:00 UTC of every day of the
/// window (1 January of the first year minus a day, to 1 January after the last year plus a day, in UTC), and in
/// every day whose two ends differ, the exact second of the change is found by bisection (17 steps; this also finds
/// changes at :30 or :45, as in Australia/Lord_Howe or Pacific/Chatham). The window is preceded by the last change
/// before it (scanning back day by day, not before 1970), so the offset at the window's start is itself an
/// observance; a zone with no change since 1970 gets a single observance at 1970-01-01 whose `TZOFFSETFROM` equals
/// its `TZOFFSETTO`. Two changes less than a day apart would be missed: chrono-tz 0.10's data has none since 1970
/// (and no change at all after 2099, so later years get no DST, in the events as in the VTIMEZONE).
///
/// `DAYLIGHT` is an observance whose DST part is positive, or zero after one whose DST part is negative (zones such
/// as Europe/Dublin whose tzdb data has "negative DST" in winter); every other observance is `STANDARD`.
fn observances(time_zone: Tz, first: DateTime<Utc>, last: DateTime<Utc>) -> Vec<Observance> {
    // UTC years: a local 1 January 00:00 is less than a day from the UTC one, and the window has a day to spare.
    let (first_year, last_year) = (first.year(), last.year());
    let start = (year_start(first_year) - DAY).clamp(SCAN_FLOOR, SCAN_CEILING);
    let end = year_start(last_year.saturating_add(1)).saturating_add(DAY).clamp(start, SCAN_CEILING);

    let at_start = offset_at(time_zone, start);
    let mut onsets = Vec::new();
    let mut hi = start;
    while hi > SCAN_FLOOR {
        let lo = (hi - DAY).max(SCAN_FLOOR);
        if offset_at(time_zone, lo) != at_start {
            onsets.push(transition_between(time_zone, lo, hi));
            break;
        }
        hi = lo;
    }
    let pseudo_onset = onsets.is_empty().then_some(SCAN_FLOOR);

    let mut current = at_start;
    let mut t = start;
    while t < end {
        let next = (t + DAY).min(end);
        let offset = offset_at(time_zone, next);
        if offset != current {
            onsets.push(transition_between(time_zone, t, next));
            current = offset;
        }
        t = next;
    }

    let mut observances = Vec::with_capacity(onsets.len() + 1);
    if let Some(onset) = pseudo_onset {
        let offset = offset_at(time_zone, onset);
        let from = total_seconds(&offset);
        observances.push(Observance { onset, from, to: offset, daylight: offset.dst_offset().num_seconds() > 0 });
    }
    for onset in onsets {
        let before = offset_at(time_zone, onset - 1);
        let to = offset_at(time_zone, onset);
        let dst = to.dst_offset().num_seconds();
        let daylight = dst > 0 || (dst == 0 && before.dst_offset().num_seconds() < 0);
        observances.push(Observance { onset, from: total_seconds(&before), to, daylight });
    }
    observances
}

/// The `VTIMEZONE` block (CRLF-terminated lines) for `time_zone` covering `first`..`last`.
fn vtimezone(time_zone: Tz, first: DateTime<Utc>, last: DateTime<Utc>) -> String {
    let mut out = String::with_capacity(1024);
    out.push_str("BEGIN:VTIMEZONE\r\n");
    out.push_str(&property_line(Property::new("TZID", time_zone.name())));
    for observance in observances(time_zone, first, last) {
        let kind = if observance.daylight { "DAYLIGHT" } else { "STANDARD" };
        let local_onset = DateTime::<Utc>::from_timestamp(observance.onset + i64::from(observance.from), 0)
            .unwrap_or_default()
            .naive_utc();
        out.push_str("BEGIN:");
        out.push_str(kind);
        out.push_str("\r\n");
        out.push_str(&property_line(Property::new("DTSTART", local_onset.format("%Y%m%dT%H%M%S").to_string())));
        out.push_str(&property_line(Property::new("TZOFFSETFROM", utc_offset(observance.from))));
        out.push_str(&property_line(Property::new("TZOFFSETTO", utc_offset(total_seconds(&observance.to)))));
        out.push_str(&property_line(Property::new("TZNAME", observance.to.to_string())));
        out.push_str("END:");
        out.push_str(kind);
        out.push_str("\r\n");
    }
    out.push_str("END:VTIMEZONE\r\n");
    out
}

/// One property as the crate writes it: escaped, folded, CRLF-terminated.
fn property_line(property: Property) -> String {
    // Writing into a String cannot fail.
    property.try_into().unwrap_or_default()
}

/// RFC 5545 UTC-OFFSET: `+hhmm`, or `+hhmmss` when there are seconds; zero is `+0000`.
fn utc_offset(seconds: i32) -> String {
    let sign = if seconds < 0 { '-' } else { '+' };
    let abs = seconds.unsigned_abs();
    let (hours, minutes, secs) = (abs / 3600, abs / 60 % 60, abs % 60);
    if secs == 0 { format!("{sign}{hours:02}{minutes:02}") } else { format!("{sign}{hours:02}{minutes:02}{secs:02}") }
}

// ---------------------------------------------------------------------------------------------------------------
// Folding repair
// ---------------------------------------------------------------------------------------------------------------

/// Keeps every logical line whose physical lines are all within 75 octets as it is, and re-folds the others.
fn refold_overlong_lines(document: &str) -> String {
    if document.split("\r\n").all(|line| line.len() <= MAX_LINE_OCTETS) {
        return document.to_owned();
    }
    let mut out = String::with_capacity(document.len() + 64);
    let mut group: Vec<&str> = Vec::new();
    for physical in document.split_terminator("\r\n") {
        if physical.starts_with([' ', '\t']) && !group.is_empty() {
            group.push(physical);
        } else {
            push_logical_line(&mut out, &group);
            group.clear();
            group.push(physical);
        }
    }
    push_logical_line(&mut out, &group);
    out
}

fn push_logical_line(out: &mut String, physical_lines: &[&str]) {
    let Some((first, continuations)) = physical_lines.split_first() else { return };
    if physical_lines.iter().all(|line| line.len() <= MAX_LINE_OCTETS) {
        for line in physical_lines {
            out.push_str(line);
            out.push_str("\r\n");
        }
        return;
    }
    let mut logical = (*first).to_owned();
    for line in continuations {
        // Unfolding removes the line break and the one white-space character that follows it.
        logical.push_str(&line[1..]);
    }
    out.push_str(&fold(&logical));
    out.push_str("\r\n");
}

/// RFC 5545 §3.1 folding of one logical line: at most 75 octets per physical line, continuation lines start with a
/// space (which counts), and no break inside a UTF-8 sequence.
fn fold(line: &str) -> String {
    let mut out = String::with_capacity(line.len() + line.len() / 24 + 3);
    let mut rest = line;
    let mut limit = MAX_LINE_OCTETS;
    while rest.len() > limit {
        let mut cut = limit;
        while !rest.is_char_boundary(cut) {
            cut -= 1;
        }
        let (head, tail) = rest.split_at(cut);
        out.push_str(head);
        out.push_str("\r\n ");
        rest = tail;
        limit = MAX_LINE_OCTETS - 1;
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, NaiveDateTime};

    fn utc(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text).unwrap().with_timezone(&Utc)
    }

    fn entry<'a>(shift_id: &'a str, kind: &'a str, starts_at: &str, ends_at: &str) -> RosterEntry<'a> {
        RosterEntry {
            shift_id,
            person_id: "p-1",
            person_name: "Ola Kamińska",
            team_name: "Tier 1",
            kind,
            starts_at: utc(starts_at),
            ends_at: utc(ends_at),
            updated_at: utc("2026-02-10T09:15:00Z"),
            notes: "",
        }
    }

    fn generated() -> DateTime<Utc> {
        utc("2026-02-14T12:00:00Z")
    }

    fn unfold(document: &str) -> String {
        document.replace("\r\n ", "").replace("\r\n\t", "")
    }

    /// The logical lines of every VEVENT, in order.
    fn events(document: &str) -> Vec<Vec<String>> {
        let mut events = Vec::new();
        let mut current: Option<Vec<String>> = None;
        for line in unfold(document).split("\r\n") {
            match line {
                "BEGIN:VEVENT" => current = Some(Vec::new()),
                "END:VEVENT" => events.extend(current.take()),
                _ => {
                    if let Some(event) = current.as_mut() {
                        event.push(line.to_owned());
                    }
                }
            }
        }
        events
    }

    /// The logical line of property `name` (with its parameters) in `event`.
    fn property<'e>(event: &'e [String], name: &str) -> Option<&'e str> {
        event
            .iter()
            .map(String::as_str)
            .find(|line| line.strip_prefix(name).is_some_and(|rest| rest.starts_with(':') || rest.starts_with(';')))
    }

    /// The instant a DTSTART/DTEND line means under RFC 5545: UTC form, or TZID local time where a repeated local
    /// time means its first occurrence and a skipped one is moved forward by the gap.
    fn resolve(line: &str) -> DateTime<Utc> {
        let (head, value) = line.split_once(':').unwrap();
        if let Some(value) = value.strip_suffix('Z') {
            return NaiveDateTime::parse_from_str(value, "%Y%m%dT%H%M%S").unwrap().and_utc();
        }
        let tzid = head.split(';').find_map(|p| p.strip_prefix("TZID=")).expect("TZID or UTC");
        let tz: Tz = tzid.parse().unwrap();
        let wall = NaiveDateTime::parse_from_str(value, "%Y%m%dT%H%M%S").unwrap();
        match tz.from_local_datetime(&wall) {
            LocalResult::Single(t) => t.with_timezone(&Utc),
            LocalResult::Ambiguous(a, b) => a.min(b).with_timezone(&Utc),
            LocalResult::None => panic!("nonexistent local time written: {line}"),
        }
    }

    /// (onset in UTC seconds, TZOFFSETTO in seconds, kind) of every observance in the document's VTIMEZONE.
    fn parsed_observances(document: &str) -> Vec<(i64, i32, String)> {
        let unfolded = unfold(document);
        let mut out = Vec::new();
        let (mut kind, mut start, mut from, mut to) = (String::new(), None, None, None);
        let offset = |v: &str| {
            let sign = if v.starts_with('-') { -1 } else { 1 };
            let digits = &v[1..];
            let h: i32 = digits[0..2].parse().unwrap();
            let m: i32 = digits[2..4].parse().unwrap();
            let s: i32 = if digits.len() == 6 { digits[4..6].parse().unwrap() } else { 0 };
            sign * (h * 3600 + m * 60 + s)
        };
        for line in unfolded.split("\r\n") {
            if let Some(k) = line.strip_prefix("BEGIN:").filter(|k| *k == "STANDARD" || *k == "DAYLIGHT") {
                kind = k.to_owned();
            } else if let Some(v) = line.strip_prefix("DTSTART:").filter(|_| !kind.is_empty()) {
                start = Some(NaiveDateTime::parse_from_str(v, "%Y%m%dT%H%M%S").unwrap());
            } else if let Some(v) = line.strip_prefix("TZOFFSETFROM:") {
                from = Some(offset(v));
            } else if let Some(v) = line.strip_prefix("TZOFFSETTO:") {
                to = Some(offset(v));
            } else if line.starts_with("END:") && !kind.is_empty() {
                let onset = start.take().unwrap().and_utc().timestamp() - i64::from(from.take().unwrap());
                out.push((onset, to.take().unwrap(), std::mem::take(&mut kind)));
            }
        }
        out
    }

    fn assert_rfc_lines(document: &str) {
        let bytes = document.as_bytes();
        for (i, &b) in bytes.iter().enumerate() {
            if b == b'\n' {
                assert!(i > 0 && bytes[i - 1] == b'\r', "bare LF at byte {i}");
            }
            if b == b'\r' {
                assert_eq!(bytes.get(i + 1), Some(&b'\n'), "bare CR at byte {i}");
            }
        }
        assert!(document.ends_with("\r\n"));
        for line in bytes.split(|&b| b == b'\n') {
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            assert!(line.len() <= MAX_LINE_OCTETS, "{} octets: {:?}", line.len(), String::from_utf8_lossy(line));
            assert!(std::str::from_utf8(line).is_ok(), "a fold split a UTF-8 sequence: {line:?}");
        }
    }

    #[test]
    fn calendar_has_the_required_properties_and_one_event_per_entry() {
        let entries = [
            entry("s-1", "work", "2026-03-02T07:00:00Z", "2026-03-02T15:00:00Z"),
            entry("s-2", "lunch", "2026-03-02T11:00:00Z", "2026-03-02T11:30:00Z"),
        ];
        let ics = roster_calendar("Tier 1 roster", chrono_tz::Europe::Warsaw, &entries, generated());
        assert!(ics.starts_with("BEGIN:VCALENDAR\r\n"));
        assert!(ics.ends_with("END:VCALENDAR\r\n"));
        for line in [
            "VERSION:2.0",
            "PRODID:-//Frontline//Workforce roster//EN",
            "CALSCALE:GREGORIAN",
            "X-WR-CALNAME:Tier 1 roster",
            "X-WR-TIMEZONE:Europe/Warsaw",
            "TZID:Europe/Warsaw",
        ] {
            assert!(ics.contains(&format!("\r\n{line}\r\n")), "missing {line}");
        }
        assert!(ics.find("BEGIN:VTIMEZONE").unwrap() < ics.find("BEGIN:VEVENT").unwrap());

        let events = events(&ics);
        assert_eq!(events.len(), 2);
        let work = &events[0];
        assert_eq!(property(work, "UID"), Some("UID:s-1@frontline"));
        assert_eq!(property(work, "DTSTAMP"), Some("DTSTAMP:20260214T120000Z"));
        assert_eq!(property(work, "LAST-MODIFIED"), Some("LAST-MODIFIED:20260210T091500Z"));
        assert_eq!(property(work, "DTSTART"), Some("DTSTART;TZID=Europe/Warsaw:20260302T080000"));
        assert_eq!(property(work, "DTEND"), Some("DTEND;TZID=Europe/Warsaw:20260302T160000"));
        assert_eq!(property(work, "SUMMARY"), Some("SUMMARY:Work — Ola Kamińska (Tier 1)"));
        assert_eq!(property(work, "CATEGORIES"), Some("CATEGORIES:work"));
        assert_eq!(property(work, "TRANSP"), Some("TRANSP:OPAQUE"));
        assert_eq!(property(work, "DESCRIPTION"), None, "no notes, no DESCRIPTION");
        assert_eq!(property(work, "SEQUENCE"), None);
        let lunch = &events[1];
        assert_eq!(property(lunch, "SUMMARY"), Some("SUMMARY:Lunch — Ola Kamińska (Tier 1)"));
        assert_eq!(property(lunch, "TRANSP"), Some("TRANSP:TRANSPARENT"));
        assert_eq!(property(lunch, "CATEGORIES"), Some("CATEGORIES:lunch"));

        // Deterministic: nothing random (the crate would add a random UID and the current time if we did not set them).
        assert_eq!(ics, roster_calendar("Tier 1 roster", chrono_tz::Europe::Warsaw, &entries, generated()));
        assert_rfc_lines(&ics);
    }

    #[test]
    fn transparency_by_kind() {
        for (kind, transp) in [
            ("work", "OPAQUE"),
            ("meeting", "OPAQUE"),
            ("training", "OPAQUE"),
            ("break", "TRANSPARENT"),
            ("lunch", "TRANSPARENT"),
            ("Lunch", "TRANSPARENT"),
            ("on-call", "OPAQUE"),
        ] {
            assert_eq!(transparency(kind), transp, "{kind}");
        }
        assert_eq!(kind_label("on-call"), "On-call");
        assert_eq!(kind_label("training"), "Training");
        assert_eq!(kind_label(""), "Shift");
    }

    #[test]
    fn long_polish_and_chinese_names_fold_at_75_octets_without_splitting_characters() {
        let names = [
            "Grzegorz Brzęczyszczykiewicz-Żółtowska Łukasiewicz Świętochowska Źdźbło Ćwierćwiejska",
            "欧阳娜娜 司马相如 诸葛孔明 上官婉儿 东方不败 令狐冲 独孤求败 慕容复 长孙无忌 尉迟恭",
            "שרה בת-שבע כהן-לוי ממחלקת התמיכה הטכנית בירושלים ובתל אביב",
        ];
        for name in names {
            // Every offset of the name against the 75-octet boundary.
            for pad in 0..80 {
                let person = format!("{}{name}", "a".repeat(pad));
                let mut e = entry("s-1", "work", "2026-03-02T07:00:00Z", "2026-03-02T15:00:00Z");
                e.person_name = &person;
                e.notes = &person;
                let ics = roster_calendar(&person, chrono_tz::Europe::Warsaw, &[e], generated());
                assert_rfc_lines(&ics);
                assert!(unfold(&ics).contains(&format!("\r\nX-WR-CALNAME:{person}\r\n")));
                let lines: Vec<&str> = ics.split_terminator("\r\n").collect();
                let summary_at = lines.iter().position(|l| l.starts_with("SUMMARY:")).unwrap();
                let expected = format!("SUMMARY:Work — {person} (Tier 1)");
                let continuations = lines[summary_at + 1..].iter().take_while(|l| l.starts_with(' ')).count();
                assert!(expected.len() <= MAX_LINE_OCTETS || continuations > 0, "long SUMMARY was not folded");
                let mut unfolded = lines[summary_at].to_owned();
                for continuation in &lines[summary_at + 1..summary_at + 1 + continuations] {
                    unfolded.push_str(&continuation[1..]);
                }
                assert_eq!(unfolded, expected);
                let event = &events(&ics)[0];
                assert_eq!(property(event, "DESCRIPTION").unwrap(), format!("DESCRIPTION:{person}"));
            }
        }
    }

    #[test]
    fn the_crates_76_octet_continuation_line_is_refolded() {
        // icalendar 0.17.x leaves a 76-octet continuation line when a logical line is 150 octets long.
        let person = "x".repeat(150 - "SUMMARY:Work — ".len());
        let mut e = entry("s-1", "work", "2026-03-02T07:00:00Z", "2026-03-02T15:00:00Z");
        e.person_name = &person;
        e.team_name = "";
        let event = shift_event(&e, chrono_tz::Europe::Warsaw, generated());
        let summary_line = format!("SUMMARY:Work — {person}");
        assert_eq!(summary_line.len(), 150);
        let ics = roster_calendar("Roster", chrono_tz::Europe::Warsaw, &[e], generated());
        assert_rfc_lines(&ics);
        assert!(unfold(&ics).contains(&format!("\r\n{summary_line}\r\n")));
        // The repair only touches lines that need it: the crate's own rendering of the event's other lines is kept.
        let crate_rendering = Component::to_string(&event);
        let uid_line = crate_rendering.lines().find(|l| l.starts_with("UID:")).unwrap();
        assert!(ics.contains(uid_line));
    }

    #[test]
    fn fold_helper_is_exact_for_every_length() {
        for n in 0..400 {
            for filler in ["x", "ż", "好", "😀"] {
                let line = format!("DESCRIPTION:{}", filler.repeat(n / filler.len()));
                let folded = fold(&line);
                for (i, physical) in folded.split("\r\n").enumerate() {
                    assert!(physical.len() <= MAX_LINE_OCTETS);
                    assert_eq!(i > 0, physical.starts_with(' '));
                    assert!(!physical.trim_start().is_empty() || physical.is_empty());
                }
                assert_eq!(unfold(&folded), line);
            }
        }
    }

    #[test]
    fn only_crlf_line_ends_even_with_cr_and_lf_in_the_data() {
        let mut e = entry("s-1", "work", "2026-03-02T07:00:00Z", "2026-03-02T15:00:00Z");
        e.notes = "line one\r\nline two\rline three\nline four\u{0}\u{7}\ttabbed";
        e.person_name = "Ola\r\nKamińska";
        let ics = roster_calendar("Roster\r\nname", chrono_tz::Europe::Warsaw, &[e], generated());
        assert_rfc_lines(&ics);
        let event = &events(&ics)[0];
        assert_eq!(
            property(event, "DESCRIPTION"),
            Some("DESCRIPTION:line one\\nline two\\nline three\\nline four\ttabbed")
        );
        assert_eq!(property(event, "SUMMARY"), Some("SUMMARY:Work — Ola\\nKamińska (Tier 1)"));
        assert!(ics.contains("\r\nX-WR-CALNAME:Roster\\nname\r\n"));
    }

    #[test]
    fn text_values_are_escaped() {
        let mut e = entry("s-1;x,y", "meet,ing;x", "2026-03-02T07:00:00Z", "2026-03-02T15:00:00Z");
        e.person_name = r"Kowalski, Jan; \o/";
        e.team_name = "Tier 1, Warsaw";
        e.notes = "Cover for Anna; bring headset, badge\nC:\\tools\\softphone";
        let ics = roster_calendar("Support, Tier 1; EU", chrono_tz::Europe::Warsaw, &[e], generated());
        let event = &events(&ics)[0];
        assert_eq!(property(event, "SUMMARY"), Some(r"SUMMARY:Meet\,ing\;x — Kowalski\, Jan\; \\o/ (Tier 1\, Warsaw)"));
        assert_eq!(
            property(event, "DESCRIPTION"),
            Some(r"DESCRIPTION:Cover for Anna\; bring headset\, badge\nC:\\tools\\softphone")
        );
        assert_eq!(property(event, "UID"), Some(r"UID:s-1\;x\,y@frontline"));
        assert_eq!(property(event, "CATEGORIES"), Some("CATEGORIES:meet-ing-x"));
        assert!(ics.contains("\r\nX-WR-CALNAME:Support\\, Tier 1\\; EU\r\n"));
        assert_rfc_lines(&ics);
    }

    #[test]
    fn warsaw_spring_forward_renders_the_right_wall_times() {
        // 2026-03-29 01:00 UTC: 02:00 CET becomes 03:00 CEST.
        let entries = [
            entry("night", "work", "2026-03-28T23:00:00Z", "2026-03-29T07:00:00Z"),
            entry("at-change", "work", "2026-03-29T01:00:00Z", "2026-03-29T05:00:00Z"),
            entry("before", "break", "2026-03-29T00:30:00Z", "2026-03-29T00:59:59Z"),
        ];
        let ics = roster_calendar("Roster", chrono_tz::Europe::Warsaw, &entries, generated());
        let events = events(&ics);
        let expect = [
            ("20260329T000000", "20260329T090000"), // 8 hours of work, 9 hours on the wall clock
            ("20260329T030000", "20260329T070000"),
            ("20260329T013000", "20260329T015959"),
        ];
        for (event, (start, end)) in events.iter().zip(expect) {
            assert_eq!(property(event, "DTSTART").unwrap(), format!("DTSTART;TZID=Europe/Warsaw:{start}"));
            assert_eq!(property(event, "DTEND").unwrap(), format!("DTEND;TZID=Europe/Warsaw:{end}"));
        }
        for (event, e) in events.iter().zip(&entries) {
            assert_eq!(resolve(property(event, "DTSTART").unwrap()), e.starts_at);
            assert_eq!(resolve(property(event, "DTEND").unwrap()), e.ends_at);
        }
    }

    #[test]
    fn new_york_fall_back_renders_the_right_wall_times() {
        // 2026-11-01 06:00 UTC: 02:00 EDT becomes 01:00 EST; 01:00-01:59 happens twice.
        let entries = [
            entry("at-change", "work", "2026-11-01T06:00:00Z", "2026-11-01T14:00:00Z"),
            entry("night", "work", "2026-11-01T04:00:00Z", "2026-11-01T12:00:00Z"),
            entry("first-1:30", "break", "2026-11-01T05:30:00Z", "2026-11-01T05:45:00Z"),
            entry("second-1:30", "break", "2026-11-01T06:30:00Z", "2026-11-01T06:45:00Z"),
        ];
        let ics = roster_calendar("Roster", chrono_tz::America::New_York, &entries, generated());
        let events = events(&ics);
        let tz = "DTSTART;TZID=America/New_York:";
        // 06:00 UTC is 01:00 EST, the second 01:00 of the night: a TZID value would mean 01:00 EDT (05:00 UTC).
        assert_eq!(property(&events[0], "DTSTART"), Some("DTSTART:20261101T060000Z"));
        assert_eq!(property(&events[0], "DTEND"), Some("DTEND;TZID=America/New_York:20261101T090000"));
        assert_eq!(property(&events[1], "DTSTART").unwrap(), format!("{tz}20261101T000000"));
        assert_eq!(property(&events[1], "DTEND"), Some("DTEND;TZID=America/New_York:20261101T070000"));
        assert_eq!(property(&events[2], "DTSTART").unwrap(), format!("{tz}20261101T013000"));
        assert_eq!(property(&events[3], "DTSTART"), Some("DTSTART:20261101T063000Z"));
        for (event, e) in events.iter().zip(&entries) {
            assert_eq!(resolve(property(event, "DTSTART").unwrap()), e.starts_at);
            assert_eq!(resolve(property(event, "DTEND").unwrap()), e.ends_at);
            let local = e.starts_at.with_timezone(&chrono_tz::America::New_York);
            assert_eq!(local.date_naive(), NaiveDate::from_ymd_opt(2026, 11, 1).unwrap());
        }
        assert_eq!(
            entries[0].starts_at.with_timezone(&chrono_tz::America::New_York).to_rfc3339(),
            "2026-11-01T01:00:00-05:00"
        );
    }

    #[test]
    fn every_quarter_hour_around_both_changes_round_trips() {
        let cases = [
            (chrono_tz::Europe::Warsaw, "2026-03-28T20:00:00Z"),
            (chrono_tz::Europe::Warsaw, "2026-10-24T20:00:00Z"),
            (chrono_tz::America::New_York, "2026-03-08T02:00:00Z"),
            (chrono_tz::America::New_York, "2026-10-31T23:00:00Z"),
            (chrono_tz::Australia::Lord_Howe, "2026-04-04T10:00:00Z"),
        ];
        for (tz, from) in cases {
            let ids: Vec<String> = (0..48).map(|i| format!("q{i}")).collect();
            let entries: Vec<RosterEntry<'_>> = ids
                .iter()
                .enumerate()
                .map(|(i, id)| {
                    let start = utc(from) + Duration::minutes(15 * i as i64);
                    RosterEntry {
                        starts_at: start,
                        ends_at: start + Duration::minutes(15),
                        ..entry(id, "work", from, from)
                    }
                })
                .collect();
            let ics = roster_calendar("Roster", tz, &entries, generated());
            assert_rfc_lines(&ics);
            for (event, e) in events(&ics).iter().zip(&entries) {
                assert_eq!(resolve(property(event, "DTSTART").unwrap()), e.starts_at, "{tz} {}", e.shift_id);
                assert_eq!(resolve(property(event, "DTEND").unwrap()), e.ends_at, "{tz} {}", e.shift_id);
            }
        }
    }

    /// A STANDARD or DAYLIGHT sub-component as it appears unfolded in the document.
    fn observance_block(kind: &str, start: &str, from: &str, to: &str, name: &str) -> String {
        format!(
            "BEGIN:{kind}\r\nDTSTART:{start}\r\nTZOFFSETFROM:{from}\r\nTZOFFSETTO:{to}\r\nTZNAME:{name}\r\nEND:{kind}"
        )
    }

    #[test]
    fn warsaw_vtimezone_has_the_real_offsets() {
        let entries = [entry("s", "work", "2026-03-28T23:00:00Z", "2026-03-29T07:00:00Z")];
        let ics = roster_calendar("Roster", chrono_tz::Europe::Warsaw, &entries, generated());
        let vtimezone = unfold(&ics);
        for block in [
            // The change in force when the window (2026) opens, then both 2026 changes.
            observance_block("STANDARD", "20251026T030000", "+0200", "+0100", "CET"),
            observance_block("DAYLIGHT", "20260329T020000", "+0100", "+0200", "CEST"),
            observance_block("STANDARD", "20261025T030000", "+0200", "+0100", "CET"),
        ] {
            assert!(vtimezone.contains(&block), "missing\n{block}\nin\n{vtimezone}");
        }
        assert_eq!(parsed_observances(&ics).len(), 3);
        assert_vtimezone_matches_chrono_tz(
            &ics,
            chrono_tz::Europe::Warsaw,
            "2025-12-31T00:00:00Z",
            "2027-01-02T00:00:00Z",
        );
    }

    #[test]
    fn new_york_vtimezone_has_the_real_offsets() {
        let entries = [entry("s", "work", "2026-11-01T06:00:00Z", "2026-11-01T14:00:00Z")];
        let ics = roster_calendar("Roster", chrono_tz::America::New_York, &entries, generated());
        let vtimezone = unfold(&ics);
        for block in [
            observance_block("STANDARD", "20251102T020000", "-0400", "-0500", "EST"),
            observance_block("DAYLIGHT", "20260308T020000", "-0500", "-0400", "EDT"),
            observance_block("STANDARD", "20261101T020000", "-0400", "-0500", "EST"),
        ] {
            assert!(vtimezone.contains(&block), "missing\n{block}\nin\n{vtimezone}");
        }
        assert_vtimezone_matches_chrono_tz(
            &ics,
            chrono_tz::America::New_York,
            "2025-12-31T00:00:00Z",
            "2027-01-02T00:00:00Z",
        );
    }

    #[test]
    fn vtimezone_covers_every_year_of_a_multi_year_span_and_odd_zones() {
        let cases = [
            (chrono_tz::Europe::Warsaw, "2025-12-30T22:00:00Z", "2028-01-01T03:00:00Z", 9),
            (chrono_tz::Australia::Lord_Howe, "2026-01-05T00:00:00Z", "2026-01-05T08:00:00Z", 3),
            (chrono_tz::Europe::Dublin, "2026-06-01T08:00:00Z", "2026-06-01T16:00:00Z", 3),
            (chrono_tz::Asia::Tokyo, "2026-06-01T00:00:00Z", "2026-06-01T08:00:00Z", 1),
            (chrono_tz::UTC, "2026-06-01T00:00:00Z", "2026-06-01T08:00:00Z", 1),
            (chrono_tz::Asia::Kolkata, "2026-06-01T00:00:00Z", "2026-06-01T08:00:00Z", 1),
        ];
        for (tz, start, end, count) in cases {
            let entries = [entry("s", "work", start, end)];
            let ics = roster_calendar("Roster", tz, &entries, generated());
            assert_rfc_lines(&ics);
            let observances = parsed_observances(&ics);
            assert_eq!(observances.len(), count, "{tz}:\n{ics}");
            assert!(observances[0].0 <= utc(start).timestamp(), "{tz}: the first observance must precede the events");
            let year_end = format!("{}-01-02T00:00:00Z", utc(end).year() + 1);
            assert_vtimezone_matches_chrono_tz(&ics, tz, &format!("{}-01-01T00:00:00Z", utc(start).year()), &year_end);
        }
        // Lord Howe changes by 30 minutes, at 02:00 local.
        let ics = roster_calendar(
            "Roster",
            chrono_tz::Australia::Lord_Howe,
            &[entry("s", "work", "2026-01-05T00:00:00Z", "2026-01-05T08:00:00Z")],
            generated(),
        );
        assert!(unfold(&ics).contains("DTSTART:20260405T020000\r\nTZOFFSETFROM:+1100\r\nTZOFFSETTO:+1030\r\n"));
        // Dublin's summer (IST) is DAYLIGHT even though tzdb models winter as negative DST.
        let ics = roster_calendar(
            "Roster",
            chrono_tz::Europe::Dublin,
            &[entry("s", "work", "2026-06-01T08:00:00Z", "2026-06-01T16:00:00Z")],
            generated(),
        );
        let kinds: Vec<String> = parsed_observances(&ics).into_iter().map(|o| o.2).collect();
        assert_eq!(kinds, ["STANDARD", "DAYLIGHT", "STANDARD"]);
        // A zone without transitions since 1970: one observance from 1970 on.
        let ics = roster_calendar(
            "Roster",
            chrono_tz::Asia::Tokyo,
            &[entry("s", "work", "2026-06-01T00:00:00Z", "2026-06-01T08:00:00Z")],
            generated(),
        );
        assert!(unfold(&ics).contains(
            "BEGIN:STANDARD\r\nDTSTART:19700101T090000\r\nTZOFFSETFROM:+0900\r\nTZOFFSETTO:+0900\r\nTZNAME:JST\r\n"
        ));
    }

    /// The offset the document's VTIMEZONE gives at every hour of `from..to` is chrono-tz's.
    fn assert_vtimezone_matches_chrono_tz(document: &str, tz: Tz, from: &str, to: &str) {
        let observances = parsed_observances(document);
        let mut t = utc(from).timestamp();
        while t < utc(to).timestamp() {
            let (_, offset, _) = observances.iter().rev().find(|o| o.0 <= t).expect("an observance in force");
            assert_eq!(*offset, total_seconds(&offset_at(tz, t)), "{tz} at {t}");
            t += 3600;
        }
    }

    #[test]
    fn no_entries_still_makes_a_valid_calendar() {
        let ics = roster_calendar("Empty", chrono_tz::Europe::Warsaw, &[], generated());
        assert_rfc_lines(&ics);
        assert!(events(&ics).is_empty());
        assert!(ics.contains("BEGIN:VTIMEZONE\r\n"));
        assert!(ics.ends_with("END:VTIMEZONE\r\nEND:VCALENDAR\r\n"));
    }

    #[test]
    fn a_shift_that_does_not_end_after_it_starts_gets_no_dtend() {
        let entries = [entry("s", "work", "2026-03-02T07:00:00Z", "2026-03-02T07:00:00Z")];
        let ics = roster_calendar("Roster", chrono_tz::Europe::Warsaw, &entries, generated());
        let event = &events(&ics)[0];
        assert!(property(event, "DTSTART").is_some());
        assert_eq!(property(event, "DTEND"), None);
    }

    #[test]
    fn extreme_instants_do_not_panic() {
        for (starts_at, ends_at) in [
            (DateTime::<Utc>::MIN_UTC, DateTime::<Utc>::MAX_UTC),
            (utc("1900-01-01T00:00:00Z"), utc("2300-01-01T00:00:00Z")),
        ] {
            let e = RosterEntry {
                starts_at,
                ends_at,
                updated_at: starts_at,
                ..entry("s", "work", "2026-03-02T07:00:00Z", "2026-03-02T15:00:00Z")
            };
            for tz in [chrono_tz::Europe::Warsaw, chrono_tz::Pacific::Kiritimati, chrono_tz::America::Adak] {
                let ics = roster_calendar("Roster", tz, &[e], ends_at);
                assert_eq!(events(&ics).len(), 1);
                assert!(!parsed_observances(&ics).is_empty());
            }
        }
    }

    #[test]
    fn utc_offsets_are_formatted_per_rfc_5545() {
        assert_eq!(utc_offset(0), "+0000");
        assert_eq!(utc_offset(3600), "+0100");
        assert_eq!(utc_offset(-5 * 3600), "-0500");
        assert_eq!(utc_offset(5 * 3600 + 45 * 60), "+0545");
        assert_eq!(utc_offset(-(3 * 3600 + 30 * 60)), "-0330");
        assert_eq!(utc_offset(1172), "+001932");
        assert_eq!(year_start(2026), 1_767_225_600);
        assert_eq!(year_start(2200), SCAN_CEILING);
    }
}
