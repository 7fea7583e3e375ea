//! A delivery: one event on its way to one webhook. The result of each attempt decides whether
//! it is delivered, tried again after a backoff or dead-lettered, and whether the webhook itself
//! must stop because the receiver said it is gone.
use sha2::{Digest, Sha256};

use super::retry::{Outcome, RetryPolicy, classify};

numbered_enum!(
    /// Where a delivery stands (its protobuf numbers).
    DeliveryStatus { Pending = 1, Delivered = 2, Dead = 3 }
);

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    pub id: String,
    pub webhook_id: String,
    pub event_type: String,
    pub event_id: String,
    /// The JSON document sent. Fixed when the delivery is enqueued, so every attempt (and a
    /// redelivery) sends the same bytes; only the signature's timestamp changes.
    pub body: String,
    pub status: DeliveryStatus,
    /// Attempts started, counted when one is claimed so a replica that dies mid-attempt still
    /// uses one up.
    pub attempts: i64,
    /// Pending: when the next attempt is due (or, while one runs, when its lease ends).
    pub next_attempt_at: Option<i64>,
    /// The status the receiver answered last; None when no attempt got an answer.
    pub last_status_code: Option<u16>,
    pub last_error: String,
    pub created_at: i64,
    pub delivered_at: Option<i64>,
}

/// What one attempt came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Attempt {
    /// The receiver answered with this HTTP status.
    Answered(u16),
    /// No answer: name resolution, connection, TLS, a broken response or the timeout.
    NoAnswer(String),
    /// The address guard refused where the host points; nothing was sent.
    Refused(String),
}

/// The delivery's state once an attempt is recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AfterAttempt {
    pub status: DeliveryStatus,
    pub next_attempt_at: Option<i64>,
    pub status_code: Option<u16>,
    pub error: String,
    /// `410 Gone`: the receiver says the endpoint no longer exists; the webhook is disabled.
    pub disable_webhook: bool,
}

/// Decides what follows attempt number `attempt` (1-based) of delivery `delivery_id`, made at
/// `now`.
///
/// A refused address is not retried: the host resolving into the private network is a
/// configuration an administrator has to look at, and asking an attacker's DNS server again
/// and again helps no one.
pub fn after_attempt(
    policy: &RetryPolicy,
    delivery_id: &str,
    attempt: u32,
    result: &Attempt,
    now: i64,
) -> AfterAttempt {
    let (outcome, status_code, error) = match result {
        Attempt::Answered(code) => (classify(Some(*code)), Some(*code), answered(*code)),
        Attempt::NoAnswer(error) => (Outcome::RetryLater, None, error.clone()),
        Attempt::Refused(error) => (Outcome::GiveUp, None, error.clone()),
    };
    let dead = |error: String, disable_webhook| AfterAttempt {
        status: DeliveryStatus::Dead,
        next_attempt_at: None,
        status_code,
        error,
        disable_webhook,
    };
    match outcome {
        Outcome::Delivered => AfterAttempt {
            status: DeliveryStatus::Delivered,
            next_attempt_at: None,
            status_code,
            error: String::new(),
            disable_webhook: false,
        },
        Outcome::Gone => dead(format!("{error}; the webhook was disabled"), true),
        Outcome::GiveUp => dead(error, false),
        Outcome::RetryLater => match policy.next_delay(attempt, jitter(delivery_id, attempt)) {
            Some(delay) => AfterAttempt {
                status: DeliveryStatus::Pending,
                next_attempt_at: Some(now.saturating_add(i64::try_from(delay.as_micros()).unwrap_or(i64::MAX))),
                status_code,
                error,
                disable_webhook: false,
            },
            None => dead(format!("{error}; gave up after {attempt} attempts"), false),
        },
    }
}

fn answered(code: u16) -> String {
    match code {
        200..=299 => String::new(),
        300..=399 => format!("the receiver answered HTTP {code}, a redirect; redirects are not followed"),
        410 => "the receiver answered HTTP 410 Gone".into(),
        408 | 425 | 429 | 500..=599 => format!("the receiver answered HTTP {code}"),
        400..=499 => format!("the receiver answered HTTP {code}, which is not retried"),
        _ => format!("the receiver answered HTTP {code}, not a valid final status"),
    }
}

/// A jitter sample in `0.0..=1.0` from the delivery and attempt alone: deliveries that failed
/// in the same outage spread out, while every replica computes the same schedule and tests
/// can bound it.
pub fn jitter(delivery_id: &str, attempt: u32) -> f64 {
    let digest = Sha256::new().chain_update(delivery_id.as_bytes()).chain_update(attempt.to_be_bytes()).finalize();
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    u64::from_be_bytes(first) as f64 / u64::MAX as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECOND: i64 = 1_000_000;

    fn after(attempt: u32, result: Attempt) -> AfterAttempt {
        after_attempt(&RetryPolicy::default(), "delivery-1", attempt, &result, 0)
    }

    #[test]
    fn a_2xx_delivers() {
        let state = after(1, Attempt::Answered(204));
        assert_eq!(
            (state.status, state.next_attempt_at, state.status_code),
            (DeliveryStatus::Delivered, None, Some(204))
        );
        assert!(state.error.is_empty());
    }

    #[test]
    fn server_errors_and_silence_retry_with_growing_backoff_then_die() {
        let mut previous = 0;
        for attempt in 1..8 {
            let state = after(attempt, Attempt::Answered(503));
            assert_eq!(state.status, DeliveryStatus::Pending, "attempt {attempt}");
            let due = state.next_attempt_at.unwrap();
            let full = (30 * SECOND) << (attempt - 1);
            assert!((full / 2..=full).contains(&due), "attempt {attempt}: {due}");
            assert!(due > previous);
            previous = due;
        }
        let last = after(8, Attempt::NoAnswer("timed out after 10s".into()));
        assert_eq!(last.status, DeliveryStatus::Dead);
        assert_eq!(last.error, "timed out after 10s; gave up after 8 attempts");
    }

    #[test]
    fn client_errors_redirects_and_refusals_die_at_once() {
        for result in [Attempt::Answered(400), Attempt::Answered(301), Attempt::Refused("loopback".into())] {
            let state = after(1, result.clone());
            assert_eq!((state.status, state.disable_webhook), (DeliveryStatus::Dead, false), "{result:?}");
        }
        assert!(after(1, Attempt::Answered(302)).error.contains("redirects are not followed"));
    }

    #[test]
    fn gone_dead_letters_and_disables_the_webhook() {
        let state = after(1, Attempt::Answered(410));
        assert_eq!((state.status, state.disable_webhook), (DeliveryStatus::Dead, true));
        assert_eq!(state.error, "the receiver answered HTTP 410 Gone; the webhook was disabled");
    }

    #[test]
    fn jitter_is_stable_per_delivery_and_varies_between_them() {
        assert_eq!(jitter("a", 1), jitter("a", 1));
        assert_ne!(jitter("a", 1), jitter("a", 2));
        assert_ne!(jitter("a", 1), jitter("b", 1));
        for n in 0..200 {
            assert!((0.0..=1.0).contains(&jitter(&n.to_string(), 3)));
        }
    }
}
