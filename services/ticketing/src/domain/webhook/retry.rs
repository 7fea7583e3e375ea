//! When to retry a failed webhook delivery, and which responses are worth retrying at all.
//!
//! Jitter is an input rather than drawn here, so the schedule is a pure function that tests can pin down
//! and the caller chooses its own randomness source.

use std::time::Duration;

/// How many times a delivery is attempted and how far apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Total attempts including the first; after this many failures the delivery is dead-lettered.
    pub max_attempts: u32,
    /// Delay after the first failure, before jitter.
    pub base_delay_secs: u64,
    /// Upper bound on any single delay, jitter included.
    pub max_delay_secs: u64,
}

impl Default for RetryPolicy {
    /// 8 attempts, 30 s base, 6 h cap.
    fn default() -> Self {
        Self { max_attempts: 8, base_delay_secs: 30, max_delay_secs: 6 * 60 * 60 }
    }
}

impl RetryPolicy {
    /// Delay before the next attempt, given the 1-based number of the attempt that just failed and a jitter
    /// sample in `0.0..=1.0`; `None` means attempts are exhausted and the delivery goes to the dead-letter
    /// list.
    ///
    /// The delay is `min(base * 2^(attempt-1), max)`, of which half is fixed and half scaled by `jitter`
    /// ("equal jitter"): the fixed half keeps a struggling receiver from being hammered early, the random
    /// half spreads out deliveries that all failed during the same outage.
    ///
    /// Attempt `0` is treated as `1`. Jitter outside `0.0..=1.0` is clamped and NaN counts as `0.0`, so a
    /// bad random source cannot produce a delay above the cap.
    pub fn next_delay(&self, attempt_just_failed: u32, jitter: f64) -> Option<Duration> {
        let attempt = attempt_just_failed.max(1);
        if attempt >= self.max_attempts {
            return None;
        }
        let doubling = 2u64.saturating_pow(attempt - 1);
        let capped_secs = self.base_delay_secs.saturating_mul(doubling).min(self.max_delay_secs);

        // Milliseconds give the jittered half sub-second resolution, so short bases still spread out.
        let capped_ms = capped_secs.saturating_mul(1000);
        let jitter_range_ms = capped_ms / 2;
        let fixed_ms = capped_ms - jitter_range_ms;
        let jitter = if jitter.is_nan() { 0.0 } else { jitter.clamp(0.0, 1.0) };
        // Float rounding could otherwise push the sum a millisecond past the cap.
        let jittered_ms = ((jitter_range_ms as f64 * jitter) as u64).min(jitter_range_ms);
        Some(Duration::from_millis(fixed_ms + jittered_ms))
    }
}

/// What to do after a delivery attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The receiver accepted the event.
    Delivered,
    /// A transient failure: schedule another attempt with [`RetryPolicy::next_delay`].
    RetryLater,
    /// The receiver rejected the event and will keep doing so; dead-letter it now.
    GiveUp,
    /// `410 Gone`: the receiver says the endpoint no longer exists. Dead-letter the event and disable the
    /// subscription so no further events are sent to it.
    Gone,
}

/// Classifies the HTTP status of a delivery attempt; `None` means no response arrived (connection error,
/// TLS failure or timeout).
pub fn classify(status: Option<u16>) -> Outcome {
    let Some(status) = status else {
        return Outcome::RetryLater;
    };
    match status {
        200..=299 => Outcome::Delivered,
        410 => Outcome::Gone,
        // Request Timeout, Too Early and Too Many Requests describe the receiver's state, not the request.
        408 | 425 | 429 => Outcome::RetryLater,
        // Deliveries never follow redirects (the target could point into the internal network past the
        // address check), and the same URL will redirect again, so only the subscriber editing it helps.
        300..=399 => Outcome::GiveUp,
        // A receiver that said "bad request", "unauthorized" or "not found" will not change its mind.
        400..=499 => Outcome::GiveUp,
        500..=599 => Outcome::RetryLater,
        // 1xx as a final status or a number outside HTTP's range is a broken response, like no response.
        _ => Outcome::RetryLater,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn secs(s: u64) -> Option<Duration> {
        Some(Duration::from_secs(s))
    }

    #[test]
    fn default_policy() {
        let policy = RetryPolicy::default();
        assert_eq!(policy, RetryPolicy { max_attempts: 8, base_delay_secs: 30, max_delay_secs: 21_600 });
    }

    #[test]
    fn default_schedule_without_and_with_full_jitter() {
        let policy = RetryPolicy::default();
        let expected = [30, 60, 120, 240, 480, 960, 1920];
        for (attempt, full) in (1..).zip(expected) {
            assert_eq!(policy.next_delay(attempt, 0.0), secs(full / 2), "attempt {attempt}, no jitter");
            assert_eq!(policy.next_delay(attempt, 1.0), secs(full), "attempt {attempt}, full jitter");
        }
        assert_eq!(policy.next_delay(8, 0.5), None);
        assert_eq!(policy.next_delay(9, 0.5), None);
        assert_eq!(policy.next_delay(u32::MAX, 0.5), None);
    }

    #[test]
    fn half_jitter_is_three_quarters() {
        let policy = RetryPolicy::default();
        assert_eq!(policy.next_delay(1, 0.5), Some(Duration::from_millis(22_500)));
    }

    #[test]
    fn odd_delays_keep_millisecond_precision() {
        let policy = RetryPolicy { max_attempts: 3, base_delay_secs: 1, max_delay_secs: 10 };
        assert_eq!(policy.next_delay(1, 0.0), Some(Duration::from_millis(500)));
        assert_eq!(policy.next_delay(1, 0.5), Some(Duration::from_millis(750)));
    }

    #[test]
    fn cap_applies() {
        let policy = RetryPolicy { max_attempts: 100, base_delay_secs: 30, max_delay_secs: 3600 };
        assert_eq!(policy.next_delay(7, 1.0), secs(1920));
        assert_eq!(policy.next_delay(8, 1.0), secs(3600));
        assert_eq!(policy.next_delay(8, 0.0), secs(1800));
        assert_eq!(policy.next_delay(99, 1.0), secs(3600));
    }

    #[test]
    fn huge_values_saturate_instead_of_overflowing() {
        let policy = RetryPolicy { max_attempts: u32::MAX, base_delay_secs: u64::MAX, max_delay_secs: u64::MAX };
        let delay = policy.next_delay(u32::MAX - 1, 1.0).unwrap();
        assert!(delay <= Duration::from_secs(u64::MAX));
    }

    #[test]
    fn attempt_zero_is_treated_as_first() {
        let policy = RetryPolicy::default();
        assert_eq!(policy.next_delay(0, 0.0), policy.next_delay(1, 0.0));
    }

    #[test]
    fn zero_or_one_attempts_never_retry() {
        for max_attempts in [0, 1] {
            let policy = RetryPolicy { max_attempts, ..RetryPolicy::default() };
            assert_eq!(policy.next_delay(1, 0.5), None);
        }
    }

    #[test]
    fn bad_jitter_is_clamped() {
        let policy = RetryPolicy::default();
        assert_eq!(policy.next_delay(1, -3.0), secs(15));
        assert_eq!(policy.next_delay(1, 7.0), secs(30));
        assert_eq!(policy.next_delay(1, f64::NAN), secs(15));
        assert_eq!(policy.next_delay(1, f64::INFINITY), secs(30));
    }

    #[test]
    fn classify_statuses() {
        use Outcome::*;
        let cases = [
            (None, RetryLater),
            (Some(200), Delivered),
            (Some(201), Delivered),
            (Some(204), Delivered),
            (Some(299), Delivered),
            (Some(100), RetryLater),
            (Some(0), RetryLater),
            (Some(999), RetryLater),
            (Some(301), GiveUp),
            (Some(302), GiveUp),
            (Some(308), GiveUp),
            (Some(400), GiveUp),
            (Some(401), GiveUp),
            (Some(403), GiveUp),
            (Some(404), GiveUp),
            (Some(413), GiveUp),
            (Some(422), GiveUp),
            (Some(408), RetryLater),
            (Some(425), RetryLater),
            (Some(429), RetryLater),
            (Some(410), Gone),
            (Some(500), RetryLater),
            (Some(502), RetryLater),
            (Some(503), RetryLater),
            (Some(504), RetryLater),
            (Some(599), RetryLater),
        ];
        for (status, expected) in cases {
            assert_eq!(classify(status), expected, "status {status:?}");
        }
    }

    fn policy() -> impl Strategy<Value = RetryPolicy> {
        (0u32..40, 0u64..100_000, 0u64..1_000_000).prop_map(|(max_attempts, base_delay_secs, max_delay_secs)| {
            RetryPolicy { max_attempts, base_delay_secs, max_delay_secs }
        })
    }

    proptest! {
        #[test]
        fn delay_is_non_decreasing_in_attempt(policy in policy(), attempt in 1u32..40, jitter in 0.0f64..=1.0) {
            if let (Some(now), Some(next)) = (policy.next_delay(attempt, jitter), policy.next_delay(attempt + 1, jitter)) {
                prop_assert!(now <= next, "{now:?} > {next:?}");
            }
        }

        #[test]
        fn delay_never_exceeds_cap(policy in policy(), attempt in any::<u32>(), jitter in any::<f64>()) {
            if let Some(delay) = policy.next_delay(attempt, jitter) {
                prop_assert!(delay <= Duration::from_secs(policy.max_delay_secs));
            }
        }

        #[test]
        fn delay_is_at_least_half_of_backoff(policy in policy(), attempt in 1u32..40, jitter in 0.0f64..=1.0) {
            if let Some(delay) = policy.next_delay(attempt, jitter) {
                let backoff = policy.base_delay_secs.saturating_mul(2u64.saturating_pow(attempt - 1))
                    .min(policy.max_delay_secs);
                prop_assert!(delay.as_millis() * 2 >= u128::from(backoff) * 1000);
            }
        }

        #[test]
        fn none_exactly_when_attempts_exhausted(policy in policy(), attempt in 1u32..50) {
            prop_assert_eq!(policy.next_delay(attempt, 0.5).is_none(), attempt >= policy.max_attempts);
        }
    }
}
