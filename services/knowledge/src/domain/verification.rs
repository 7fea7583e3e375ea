//! Verification of articles by an expert on a schedule, and the rules that withdraw verification automatically.

use chrono::{DateTime, Duration, Months, Utc};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum VerificationInterval {
    Weekly,
    Biweekly,
    Monthly,
    Quarterly,
    Semiannually,
    Yearly,
}

impl VerificationInterval {
    pub const ALL: [VerificationInterval; 6] = [
        VerificationInterval::Weekly,
        VerificationInterval::Biweekly,
        VerificationInterval::Monthly,
        VerificationInterval::Quarterly,
        VerificationInterval::Semiannually,
        VerificationInterval::Yearly,
    ];

    pub fn name(self) -> &'static str {
        match self {
            VerificationInterval::Weekly => "weekly",
            VerificationInterval::Biweekly => "biweekly",
            VerificationInterval::Monthly => "monthly",
            VerificationInterval::Quarterly => "quarterly",
            VerificationInterval::Semiannually => "semiannually",
            VerificationInterval::Yearly => "yearly",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        let name = name.trim();
        Self::ALL.into_iter().find(|interval| interval.name().eq_ignore_ascii_case(name))
    }

    /// Month-based intervals follow the calendar and clamp to the month's last day (Jan 31 + 1 month = Feb 28/29),
    /// so a monthly check stays near the same day of the month instead of drifting by 30-day steps.
    pub fn next_due(self, verified_at: DateTime<Utc>) -> DateTime<Utc> {
        let due = match self {
            VerificationInterval::Weekly => verified_at.checked_add_signed(Duration::days(7)),
            VerificationInterval::Biweekly => verified_at.checked_add_signed(Duration::days(14)),
            VerificationInterval::Monthly => verified_at.checked_add_months(Months::new(1)),
            VerificationInterval::Quarterly => verified_at.checked_add_months(Months::new(3)),
            VerificationInterval::Semiannually => verified_at.checked_add_months(Months::new(6)),
            VerificationInterval::Yearly => verified_at.checked_add_months(Months::new(12)),
        };
        // Only reachable near year 262143; "never due" is the sensible reading there.
        due.unwrap_or(DateTime::<Utc>::MAX_UTC)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum VerificationState {
    Verified,
    Unverified,
}

/// What the reader and the verifier see, derived from the stored state and due date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Standing {
    Verified,
    DueSoon,
    /// Still stored as verified, but past its due date; the next sweep will unverify it.
    Overdue,
    Unverified,
}

/// A verified article without a due date never expires.
pub fn standing(
    state: VerificationState,
    due_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
    due_soon_window: Duration,
) -> Standing {
    match (state, due_at) {
        (VerificationState::Unverified, _) => Standing::Unverified,
        (VerificationState::Verified, None) => Standing::Verified,
        (VerificationState::Verified, Some(due)) if now >= due => Standing::Overdue,
        (VerificationState::Verified, Some(due)) if due - now <= due_soon_window => Standing::DueSoon,
        (VerificationState::Verified, Some(_)) => Standing::Verified,
    }
}

/// Whether a verified article has reached its due date and should be flipped to unverified.
pub fn lapsed(state: VerificationState, due_at: Option<DateTime<Utc>>, now: DateTime<Utc>) -> bool {
    state == VerificationState::Verified && due_at.is_some_and(|due| now >= due)
}

/// A condition that withdraws verification without waiting for the due date.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum RuleTrigger {
    /// `within_days: None` counts every not-helpful vote since the article was last verified.
    NotHelpfulVotes {
        at_least: u32,
        within_days: Option<u32>,
    },
    TagChanged {
        tag: String,
    },
}

impl RuleTrigger {
    /// A threshold of zero never fires: it would unverify every article on every evaluation.
    pub fn fires_on_votes(&self, not_helpful_in_window: u32) -> bool {
        match self {
            RuleTrigger::NotHelpfulVotes { at_least, .. } => *at_least > 0 && not_helpful_in_window >= *at_least,
            RuleTrigger::TagChanged { .. } => false,
        }
    }

    pub fn fires_on_tag(&self, changed_tag: &str) -> bool {
        match self {
            RuleTrigger::TagChanged { tag } => tag.trim().to_lowercase() == changed_tag.trim().to_lowercase(),
            RuleTrigger::NotHelpfulVotes { .. } => false,
        }
    }

    /// Start of the vote-counting window, for the query that feeds [`RuleTrigger::fires_on_votes`];
    /// `None` means "since the last verification".
    pub fn vote_window_start(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        match self {
            RuleTrigger::NotHelpfulVotes { within_days: Some(days), .. } => {
                Some(now.checked_sub_signed(Duration::days(i64::from(*days))).unwrap_or(DateTime::<Utc>::MIN_UTC))
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(y: i32, m: u32, d: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, 9, 30, 0).unwrap()
    }

    #[test]
    fn names_round_trip() {
        for interval in VerificationInterval::ALL {
            assert_eq!(VerificationInterval::from_name(interval.name()), Some(interval));
        }
        assert_eq!(VerificationInterval::from_name(" Monthly "), Some(VerificationInterval::Monthly));
        assert_eq!(VerificationInterval::from_name("fortnightly"), None);
    }

    #[test]
    fn day_based_intervals() {
        assert_eq!(VerificationInterval::Weekly.next_due(at(2024, 12, 28)), at(2025, 1, 4));
        assert_eq!(VerificationInterval::Biweekly.next_due(at(2024, 2, 20)), at(2024, 3, 5));
    }

    #[test]
    fn month_end_clamps_to_last_day() {
        assert_eq!(VerificationInterval::Monthly.next_due(at(2025, 1, 31)), at(2025, 2, 28));
        assert_eq!(VerificationInterval::Monthly.next_due(at(2024, 1, 31)), at(2024, 2, 29));
        assert_eq!(VerificationInterval::Quarterly.next_due(at(2025, 11, 30)), at(2026, 2, 28));
        assert_eq!(VerificationInterval::Semiannually.next_due(at(2025, 8, 31)), at(2026, 2, 28));
        assert_eq!(VerificationInterval::Monthly.next_due(at(2025, 12, 15)), at(2026, 1, 15));
    }

    #[test]
    fn yearly_from_leap_day() {
        assert_eq!(VerificationInterval::Yearly.next_due(at(2024, 2, 29)), at(2025, 2, 28));
        assert_eq!(VerificationInterval::Yearly.next_due(at(2023, 2, 28)), at(2024, 2, 28));
    }

    #[test]
    fn standing_follows_due_date() {
        let now = at(2025, 6, 1);
        let week = Duration::days(7);
        let verified = VerificationState::Verified;
        assert_eq!(standing(verified, None, now, week), Standing::Verified);
        assert_eq!(standing(verified, Some(at(2025, 7, 1)), now, week), Standing::Verified);
        assert_eq!(standing(verified, Some(at(2025, 6, 8)), now, week), Standing::DueSoon);
        assert_eq!(standing(verified, Some(now), now, week), Standing::Overdue);
        assert_eq!(standing(verified, Some(at(2025, 5, 1)), now, week), Standing::Overdue);
        let unverified = VerificationState::Unverified;
        assert_eq!(standing(unverified, Some(at(2025, 7, 1)), now, week), Standing::Unverified);
    }

    #[test]
    fn lapsed_only_when_verified_and_due() {
        let now = at(2025, 6, 1);
        assert!(lapsed(VerificationState::Verified, Some(now), now));
        assert!(lapsed(VerificationState::Verified, Some(at(2025, 5, 31)), now));
        assert!(!lapsed(VerificationState::Verified, Some(at(2025, 6, 2)), now));
        assert!(!lapsed(VerificationState::Verified, None, now));
        assert!(!lapsed(VerificationState::Unverified, Some(at(2025, 5, 1)), now));
    }

    #[test]
    fn vote_rule_fires_at_threshold() {
        let rule = RuleTrigger::NotHelpfulVotes { at_least: 3, within_days: Some(30) };
        assert!(!rule.fires_on_votes(2));
        assert!(rule.fires_on_votes(3));
        assert!(!rule.fires_on_tag("anything"));
        assert_eq!(rule.vote_window_start(at(2025, 6, 30)), Some(at(2025, 5, 31)));
        assert!(!RuleTrigger::NotHelpfulVotes { at_least: 0, within_days: None }.fires_on_votes(0));
    }

    #[test]
    fn tag_rule_matches_case_insensitively() {
        let rule = RuleTrigger::TagChanged { tag: "Pricing".into() };
        assert!(rule.fires_on_tag("pricing"));
        assert!(rule.fires_on_tag("PRICING"));
        assert!(!rule.fires_on_tag("pricing-eu"));
        assert!(!rule.fires_on_votes(100));
        assert!(RuleTrigger::TagChanged { tag: "Цены".into() }.fires_on_tag("цены"));
        assert_eq!(rule.vote_window_start(at(2025, 6, 30)), None);
    }
}
