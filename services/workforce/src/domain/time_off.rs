//! Time off: requested → approved or rejected, or cancelled. Checks happen at approval, as in
//! Amazon Connect: a person's approved time off never overlaps, and a team never has more
//! people away at once than it allows.
use frontline_shared::{ApiError, ApiResult, error::Violations};

use super::{check_length, numbered_enum};

numbered_enum!(TimeOffKind { Vacation = 1, Sick = 2, Personal = 3, Parental = 4 });
numbered_enum!(TimeOffStatus { Requested = 1, Approved = 2, Rejected = 3, Cancelled = 4 });

impl TimeOffStatus {
    fn name(self) -> &'static str {
        match self {
            Self::Requested => "requested",
            Self::Approved => "approved",
            Self::Rejected => "rejected",
            Self::Cancelled => "cancelled",
        }
    }
}

/// A year: longer absences are not time off but a change of employment status.
pub const MAX_TIME_OFF_MICROS: i64 = 366 * 24 * 3_600_000_000;

#[derive(Debug, Clone, PartialEq)]
pub struct TimeOff {
    pub id: String,
    pub person_id: String,
    pub kind: TimeOffKind,
    pub starts_at: i64,
    pub ends_at: i64,
    pub status: TimeOffStatus,
    pub reason: String,
    pub decided_by: String,
    pub decided_at: Option<i64>,
    pub decision_note: String,
    pub created_at: i64,
    pub revision: i64,
}

impl TimeOff {
    pub fn request(
        id: String,
        person_id: &str,
        kind: Option<TimeOffKind>,
        starts_at: i64,
        ends_at: i64,
        reason: &str,
        now: i64,
    ) -> ApiResult<TimeOff> {
        let mut violations = Violations::new();
        violations.check(!person_id.is_empty(), "time_off.person_id", "is required");
        violations.check(kind.is_some(), "time_off.kind", "is required");
        violations.check(ends_at > starts_at, "time_off.ends_at", "must be after starts_at");
        violations.check(
            ends_at - starts_at <= MAX_TIME_OFF_MICROS,
            "time_off.ends_at",
            "time off lasts at most a year",
        );
        check_length(&mut violations, "time_off.reason", reason, 2000);
        violations.into_result()?;
        Ok(TimeOff {
            id,
            person_id: person_id.into(),
            kind: kind.unwrap_or(TimeOffKind::Vacation),
            starts_at,
            ends_at,
            status: TimeOffStatus::Requested,
            reason: reason.into(),
            decided_by: String::new(),
            decided_at: None,
            decision_note: String::new(),
            created_at: now,
            revision: 1,
        })
    }

    /// Moves to `next`: requested → approved / rejected / cancelled; approved → cancelled.
    pub fn decide(&self, next: TimeOffStatus, by: &str, note: &str, now: i64) -> ApiResult<TimeOff> {
        use TimeOffStatus::*;
        let allowed =
            matches!((self.status, next), (Requested, Approved | Rejected | Cancelled) | (Approved, Cancelled));
        if !allowed {
            return Err(ApiError::FailedPrecondition {
                reason: "INVALID_TIME_OFF_TRANSITION",
                message: format!("time off {} is {} and cannot become {}", self.id, self.status.name(), next.name()),
            });
        }
        if note.chars().count() > 2000 {
            return Err(ApiError::invalid("note", "must be at most 2000 characters"));
        }
        Ok(TimeOff {
            status: next,
            decided_by: by.into(),
            decided_at: Some(now),
            decision_note: note.into(),
            revision: self.revision + 1,
            ..self.clone()
        })
    }

    pub fn etag(&self) -> String {
        self.revision.to_string()
    }
}

/// The checks an approval must pass: no overlap with the person's other approved time off,
/// and no moment when more of the team than `max_concurrent` (0: no limit) would be away.
pub fn check_approval(
    candidate: &TimeOff,
    own_approved: &[TimeOff],
    team_approved: &[TimeOff],
    max_concurrent: i64,
) -> ApiResult<()> {
    if let Some(other) = own_approved
        .iter()
        .find(|o| o.id != candidate.id && o.starts_at < candidate.ends_at && candidate.starts_at < o.ends_at)
    {
        return Err(ApiError::FailedPrecondition {
            reason: "TIME_OFF_OVERLAP",
            message: format!("it overlaps time off {} of the same person, already approved", other.id),
        });
    }
    if max_concurrent > 0 {
        let peak = peak_concurrency(candidate, team_approved);
        if peak + 1 > max_concurrent {
            return Err(ApiError::FailedPrecondition {
                reason: "TEAM_TIME_OFF_LIMIT",
                message: format!("{peak} of the team are already away then; the team allows {max_concurrent} at once"),
            });
        }
    }
    Ok(())
}

/// The most people of `others` (other people's approved time off) away at once during `candidate`.
fn peak_concurrency(candidate: &TimeOff, others: &[TimeOff]) -> i64 {
    // A sweep over start (+1) and end (−1) events, clipped to the candidate's span.
    let mut events: Vec<(i64, i64)> = others
        .iter()
        .filter(|o| {
            o.person_id != candidate.person_id && o.starts_at < candidate.ends_at && candidate.starts_at < o.ends_at
        })
        .flat_map(|o| [(o.starts_at.max(candidate.starts_at), 1), (o.ends_at.min(candidate.ends_at), -1)])
        .collect();
    events.sort(); // ends (−1) sort before starts (+1) at the same instant: back-to-back is not concurrent
    let (mut current, mut peak) = (0, 0);
    for (_, delta) in events {
        current += delta;
        peak = peak.max(current);
    }
    peak
}

#[cfg(test)]
mod tests {
    use super::*;

    fn off(id: &str, person: &str, starts_at: i64, ends_at: i64) -> TimeOff {
        TimeOff::request(id.into(), person, Some(TimeOffKind::Vacation), starts_at, ends_at, "", 0).unwrap()
    }

    #[test]
    fn decisions_follow_the_lifecycle() {
        let requested = off("t", "p", 0, 10);
        let approved = requested.decide(TimeOffStatus::Approved, "lead", "enjoy", 5).unwrap();
        assert_eq!((approved.status, approved.decided_by.as_str()), (TimeOffStatus::Approved, "lead"));
        assert!(approved.decide(TimeOffStatus::Rejected, "lead", "", 6).is_err());
        assert!(approved.decide(TimeOffStatus::Cancelled, "p", "", 6).is_ok());
        assert!(requested.decide(TimeOffStatus::Requested, "lead", "", 6).is_err());
    }

    #[test]
    fn approval_refuses_overlaps_and_respects_the_team_limit() {
        let candidate = off("c", "p", 10, 20);
        assert!(matches!(
            check_approval(&candidate, &[off("o", "p", 15, 25)], &[], 0),
            Err(ApiError::FailedPrecondition { reason: "TIME_OFF_OVERLAP", .. })
        ));
        let team = [off("a", "q", 0, 12), off("b", "r", 11, 30), off("d", "s", 20, 40)];
        // q and r overlap 11..12 within the candidate: two away → a limit of 2 refuses a third.
        assert!(matches!(
            check_approval(&candidate, &[], &team, 2),
            Err(ApiError::FailedPrecondition { reason: "TEAM_TIME_OFF_LIMIT", .. })
        ));
        assert!(check_approval(&candidate, &[], &team, 3).is_ok());
        assert!(check_approval(&candidate, &[], &team, 0).is_ok(), "0 means no limit");
        let back_to_back = [off("e", "q", 0, 10), off("f", "r", 20, 30)];
        assert!(check_approval(&candidate, &[], &back_to_back, 1).is_ok());
    }

    #[test]
    fn requests_are_checked() {
        assert!(
            TimeOff::request("x".into(), "p", None, 10, 5, "", 0).unwrap_err().to_string().contains("time_off.kind")
        );
    }
}
