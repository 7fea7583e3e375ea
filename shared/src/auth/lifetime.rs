//! When a token may be used, beyond `exp` and `nbf` (which jsonwebtoken checks): not before it
//! was issued, and not if it was made to live longer than this install accepts. A long-lived
//! bearer token is a standing credential — one copied from a log or a laptop works until it
//! expires — so the issuer's word on `exp` is capped (`auth.max_token_lifetime`).
use std::time::Duration;

/// The clock rules every token is held to. Times are seconds since the Unix epoch, as in JWTs.
#[derive(Debug, Clone, Copy)]
pub struct TokenTimes {
    /// Clock skew tolerated between the issuer and this server.
    pub leeway: u64,
    /// The longest `exp - iat` (or `exp - now` when `iat` is absent) accepted.
    pub max_lifetime: u64,
}

impl TokenTimes {
    /// Refuses a token issued in the future (beyond the leeway) or made to live too long.
    pub fn check(&self, issued_at: Option<u64>, expires_at: u64, now: u64) -> Result<(), String> {
        if let Some(issued_at) = issued_at
            && issued_at > now.saturating_add(self.leeway)
        {
            return Err("the bearer token was issued in the future (iat); check the issuer's clock".into());
        }
        let lifetime = expires_at.saturating_sub(issued_at.unwrap_or(now));
        if lifetime > self.max_lifetime {
            return Err(format!(
                "the bearer token is valid for {}, longer than this server accepts ({}, auth.max_token_lifetime)",
                seconds(lifetime),
                seconds(self.max_lifetime)
            ));
        }
        Ok(())
    }
}

fn seconds(seconds: u64) -> humantime::FormattedDuration {
    humantime::format_duration(Duration::from_secs(seconds))
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: u64 = 1_800_000_000;
    const DAY: u64 = 86_400;
    const TIMES: TokenTimes = TokenTimes { leeway: 30, max_lifetime: DAY };

    #[test]
    fn a_token_issued_now_for_up_to_the_maximum_is_accepted() {
        assert!(TIMES.check(Some(NOW), NOW + DAY, NOW).is_ok());
        assert!(TIMES.check(Some(NOW - 3600), NOW + 60, NOW).is_ok());
    }

    #[test]
    fn a_token_issued_in_the_future_beyond_the_leeway_is_refused() {
        assert!(TIMES.check(Some(NOW + 30), NOW + 600, NOW).is_ok(), "within the leeway");
        let refused = TIMES.check(Some(NOW + 31), NOW + 600, NOW).unwrap_err();
        assert!(refused.contains("iat"), "{refused}");
    }

    #[test]
    fn a_token_made_to_live_longer_than_the_maximum_is_refused_even_late_in_its_life() {
        let refused = TIMES.check(Some(NOW - 6 * DAY), NOW + DAY + 1, NOW).unwrap_err();
        assert!(refused.contains("7days 1s") && refused.contains("auth.max_token_lifetime"), "{refused}");
    }

    #[test]
    fn without_iat_the_time_left_counts() {
        assert!(TIMES.check(None, NOW + DAY, NOW).is_ok());
        assert!(TIMES.check(None, NOW + DAY + 1, NOW).is_err());
    }

    #[test]
    fn a_raised_maximum_accepts_long_lived_tokens() {
        let lenient = TokenTimes { max_lifetime: 30 * DAY, ..TIMES };
        assert!(lenient.check(Some(NOW), NOW + 30 * DAY, NOW).is_ok());
    }
}
