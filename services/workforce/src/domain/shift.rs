//! Shifts: stored as UTC instants, shown in the person's time zone.
//!
//! A work shift is the base of a day; breaks, lunches, meetings and trainings are activities
//! that lie inside a work shift. Work shifts of one person never overlap, nor do their
//! activities. Someone is *working* at an instant when a published work shift covers it and no
//! published activity or approved time off does.
use chrono::{DateTime, Duration, LocalResult, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;
use frontline_shared::{ApiError, ApiResult, error::Violations};

use super::{check_length, numbered_enum};

numbered_enum!(ShiftKind { Work = 1, Break = 2, Lunch = 3, Meeting = 4, Training = 5 });
numbered_enum!(ShiftState { Draft = 1, Published = 2 });

impl ShiftKind {
    pub fn name(self) -> &'static str {
        match self {
            ShiftKind::Work => "work",
            ShiftKind::Break => "break",
            ShiftKind::Lunch => "lunch",
            ShiftKind::Meeting => "meeting",
            ShiftKind::Training => "training",
        }
    }

    /// Activities lie inside a work shift and take the person off the queue.
    pub fn is_activity(self) -> bool {
        self != ShiftKind::Work
    }
}

pub const MICROS_PER_HOUR: i64 = 3_600_000_000;
/// Longest shift accepted: a day. It also bounds how far back on-shift lookups search.
pub const MAX_SHIFT_MICROS: i64 = 24 * MICROS_PER_HOUR;

#[derive(Debug, Clone, PartialEq)]
pub struct Shift {
    pub id: String,
    pub person_id: String,
    pub team_id: String,
    pub kind: ShiftKind,
    pub starts_at: i64,
    pub ends_at: i64,
    pub state: ShiftState,
    pub notes: String,
    pub updated_at: i64,
    pub revision: i64,
}

impl Shift {
    pub fn overlaps(&self, starts_at: i64, ends_at: i64) -> bool {
        self.starts_at < ends_at && starts_at < self.ends_at
    }

    pub fn covers(&self, at: i64) -> bool {
        self.starts_at <= at && at < self.ends_at
    }

    pub fn etag(&self) -> String {
        self.revision.to_string()
    }

    /// Checks the shift on its own: a positive length of at most a day, short notes.
    pub fn check(&self) -> ApiResult<()> {
        let mut violations = Violations::new();
        violations.check(!self.person_id.is_empty(), "shift.person_id", "is required");
        violations.check(self.ends_at > self.starts_at, "shift.ends_at", "must be after starts_at");
        violations.check(
            self.ends_at - self.starts_at <= MAX_SHIFT_MICROS,
            "shift.ends_at",
            "a shift lasts at most 24 hours",
        );
        check_length(&mut violations, "shift.notes", &self.notes, 2000);
        violations.into_result()
    }
}

fn describe(shift: &Shift, tz: Tz) -> String {
    format!(
        "{} shift {} ({} – {})",
        shift.kind.name(),
        shift.id,
        local_time(shift.starts_at, tz),
        local_time(shift.ends_at, tz)
    )
}

/// Where `candidate` may lie among the person's other shifts (`others` excludes the candidate;
/// `previous` is the candidate before an update). Refusals are FAILED_PRECONDITION and name the
/// shift in the way.
pub fn check_placement(candidate: &Shift, previous: Option<&Shift>, others: &[Shift], tz: Tz) -> ApiResult<()> {
    candidate.check()?;
    let clash = |reason: &'static str, message: String| Err(ApiError::FailedPrecondition { reason, message });
    let same_layer = |other: &&Shift| other.kind.is_activity() == candidate.kind.is_activity();
    if let Some(other) =
        others.iter().filter(same_layer).find(|other| other.overlaps(candidate.starts_at, candidate.ends_at))
    {
        return clash(
            "SHIFT_OVERLAP",
            format!("{} overlaps {} of the same person", describe(candidate, tz), describe(other, tz)),
        );
    }
    if candidate.kind.is_activity() {
        let inside = others.iter().any(|work| {
            work.kind == ShiftKind::Work && work.starts_at <= candidate.starts_at && candidate.ends_at <= work.ends_at
        });
        if !inside {
            return clash(
                "ACTIVITY_OUTSIDE_SHIFT",
                format!("{} must lie inside one of the person's work shifts", describe(candidate, tz)),
            );
        }
    } else if let Some(previous) = previous {
        // Moving or shortening a work shift must not strand the activities planned inside it.
        let stranded = others.iter().filter(|activity| activity.kind.is_activity()).find(|activity| {
            activity.starts_at >= previous.starts_at
                && activity.ends_at <= previous.ends_at
                && !(candidate.starts_at <= activity.starts_at && activity.ends_at <= candidate.ends_at)
        });
        if let Some(activity) = stranded {
            return clash(
                "ACTIVITY_OUTSIDE_SHIFT",
                format!("{} would fall outside the work shift; move or delete it first", describe(activity, tz)),
            );
        }
    }
    Ok(())
}

/// Activities inside a work shift about to be deleted (they must go first).
pub fn activities_within<'a>(work: &Shift, others: &'a [Shift]) -> Vec<&'a Shift> {
    others
        .iter()
        .filter(|s| s.kind.is_activity() && s.starts_at >= work.starts_at && s.ends_at <= work.ends_at)
        .collect()
}

/// The instant as wall-clock time in `tz`, RFC 3339 with its offset.
pub fn local_time(micros: i64, tz: Tz) -> String {
    DateTime::<Utc>::from_timestamp_micros(micros).map(|t| t.with_timezone(&tz).to_rfc3339()).unwrap_or_default()
}

/// The same local wall-clock time `days` later in `tz`: a 09:00 shift stays at 09:00 across a
/// daylight-saving change, though the UTC instant moves by an hour. A time that does not exist
/// that day (the spring-forward gap) moves forward to the first time that does.
pub fn same_wall_clock_days_later(micros: i64, days: i64, tz: Tz) -> Option<i64> {
    let local: NaiveDateTime = DateTime::<Utc>::from_timestamp_micros(micros)?.with_timezone(&tz).naive_local();
    let target = local.checked_add_signed(Duration::days(days))?;
    let resolved = match tz.from_local_datetime(&target) {
        LocalResult::Single(time) => time,
        LocalResult::Ambiguous(earlier, _) => earlier,
        LocalResult::None => {
            // In the gap: the first valid minute after it (gaps are at most a few hours).
            (1..=240).find_map(|minutes| tz.from_local_datetime(&(target + Duration::minutes(minutes))).earliest())?
        }
    };
    Some(resolved.with_timezone(&Utc).timestamp_micros())
}

/// Whole calendar days from one instant's local date to another's, in `tz`.
pub fn local_days_between(from: i64, to: i64, tz: Tz) -> Option<i64> {
    let date = |micros: i64| DateTime::<Utc>::from_timestamp_micros(micros).map(|t| t.with_timezone(&tz).date_naive());
    Some((date(to)? - date(from)?).num_days())
}

/// The work shift that has the person working at `at`, given their published shifts around
/// it and their approved time off; None when they are not working.
pub fn working_shift<'a>(at: i64, shifts: &'a [Shift], time_off: &[(i64, i64)]) -> Option<&'a Shift> {
    let published = |s: &&Shift| s.state == ShiftState::Published && s.covers(at);
    let work = shifts.iter().filter(published).find(|s| s.kind == ShiftKind::Work)?;
    let busy = shifts.iter().filter(published).any(|s| s.kind.is_activity());
    let away = time_off.iter().any(|(starts_at, ends_at)| *starts_at <= at && at < *ends_at);
    (!busy && !away).then_some(work)
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOUR: i64 = MICROS_PER_HOUR;

    fn at(rfc3339: &str) -> i64 {
        DateTime::parse_from_rfc3339(rfc3339).unwrap().timestamp_micros()
    }

    fn shift(id: &str, kind: ShiftKind, starts_at: i64, hours: i64) -> Shift {
        Shift {
            id: id.into(),
            person_id: "p".into(),
            team_id: "t".into(),
            kind,
            starts_at,
            ends_at: starts_at + hours * HOUR,
            state: ShiftState::Published,
            notes: String::new(),
            updated_at: 0,
            revision: 1,
        }
    }

    #[test]
    fn work_shifts_of_one_person_never_overlap() {
        let morning = shift("a", ShiftKind::Work, 0, 8);
        let overlapping = shift("b", ShiftKind::Work, 7 * HOUR, 8);
        let error = check_placement(&overlapping, None, std::slice::from_ref(&morning), Tz::UTC).unwrap_err();
        assert!(
            matches!(&error, ApiError::FailedPrecondition { reason: "SHIFT_OVERLAP", message } if message.contains("work shift a")),
            "{error:?}"
        );
        assert!(
            check_placement(&shift("c", ShiftKind::Work, 8 * HOUR, 8), None, &[morning], Tz::UTC).is_ok(),
            "back to back is fine"
        );
    }

    #[test]
    fn activities_lie_inside_work_and_do_not_overlap_each_other() {
        let work = shift("w", ShiftKind::Work, 0, 8);
        let lunch = shift("l", ShiftKind::Lunch, 4 * HOUR, 1);
        assert!(check_placement(&lunch, None, std::slice::from_ref(&work), Tz::UTC).is_ok());
        let outside = shift("x", ShiftKind::Break, 8 * HOUR, 1);
        assert!(matches!(
            check_placement(&outside, None, std::slice::from_ref(&work), Tz::UTC),
            Err(ApiError::FailedPrecondition { reason: "ACTIVITY_OUTSIDE_SHIFT", .. })
        ));
        let clash = shift("y", ShiftKind::Meeting, 4 * HOUR, 1);
        assert!(matches!(
            check_placement(&clash, None, &[work.clone(), lunch.clone()], Tz::UTC),
            Err(ApiError::FailedPrecondition { reason: "SHIFT_OVERLAP", .. })
        ));
        let shortened = shift("w", ShiftKind::Work, 0, 3);
        assert!(check_placement(&shortened, Some(&work), &[lunch], Tz::UTC).is_err(), "would strand the lunch");
    }

    #[test]
    fn bad_lengths_are_invalid() {
        assert!(check_placement(&shift("a", ShiftKind::Work, 0, 0), None, &[], Tz::UTC).is_err());
        assert!(check_placement(&shift("a", ShiftKind::Work, 0, 25), None, &[], Tz::UTC).is_err());
    }

    #[test]
    fn a_nine_oclock_shift_stays_at_nine_across_daylight_saving_in_warsaw() {
        let warsaw: Tz = "Europe/Warsaw".parse().unwrap();
        // Monday 2026-03-23 09:00 CET (UTC+1) → Monday 2026-03-30 09:00 CEST (UTC+2).
        let before = at("2026-03-23T08:00:00Z");
        let after = same_wall_clock_days_later(before, 7, warsaw).unwrap();
        assert_eq!(after, at("2026-03-30T07:00:00Z"));
        assert_eq!(local_time(after, warsaw), "2026-03-30T09:00:00+02:00");
        assert_eq!(local_days_between(before, after, warsaw), Some(7));
    }

    #[test]
    fn a_nine_oclock_shift_stays_at_nine_across_daylight_saving_in_new_york() {
        let new_york: Tz = "America/New_York".parse().unwrap();
        // Friday 2026-10-30 09:00 EDT (UTC−4) → Friday 2026-11-06 09:00 EST (UTC−5).
        let after = same_wall_clock_days_later(at("2026-10-30T13:00:00Z"), 7, new_york).unwrap();
        assert_eq!(local_time(after, new_york), "2026-11-06T09:00:00-05:00");
    }

    #[test]
    fn a_time_in_the_spring_gap_moves_to_the_first_real_minute() {
        let warsaw: Tz = "Europe/Warsaw".parse().unwrap();
        // 02:30 on 2026-03-22 copied a week later lands in the 02:00–03:00 gap of 2026-03-29.
        let moved = same_wall_clock_days_later(at("2026-03-22T01:30:00Z"), 7, warsaw).unwrap();
        assert_eq!(local_time(moved, warsaw), "2026-03-29T03:00:00+02:00");
    }

    #[test]
    fn working_means_on_a_published_work_shift_not_on_a_break_nor_away() {
        let work = shift("w", ShiftKind::Work, 0, 8);
        let lunch = shift("l", ShiftKind::Lunch, 4 * HOUR, 1);
        let shifts = [work.clone(), lunch];
        assert_eq!(working_shift(HOUR, &shifts, &[]).map(|s| s.id.as_str()), Some("w"));
        assert!(working_shift(4 * HOUR + 1, &shifts, &[]).is_none(), "at lunch");
        assert!(working_shift(HOUR, &shifts, &[(0, 2 * HOUR)]).is_none(), "on time off");
        assert!(working_shift(8 * HOUR, &shifts, &[]).is_none(), "the end is exclusive");
        let draft = Shift { state: ShiftState::Draft, ..work };
        assert!(working_shift(HOUR, &[draft], &[]).is_none(), "drafts are plans, not work");
    }
}
