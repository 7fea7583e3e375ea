//! The deadline of the call being served, for the work done on its behalf. tonic enforces a
//! call's deadline by dropping its handler future, and a dropped future stops what runs in this
//! process — but not a statement already sent to PostgreSQL, which keeps running (or waiting
//! on a lock) on the server, holding its locks and a connection, after the caller has given up.
//! So the server's deadline layer ([`crate::server`]) records each call's deadline here, and
//! [`crate::database::Database::begin`] hands what is left of it to PostgreSQL as the
//! transaction's `statement_timeout`: the database stops the work when the caller stops waiting.
//!
//! A task-local rather than an argument: the deadline belongs to the call, not to each store
//! function, and work spawned off the call (background suggestions) rightly runs without it.
use std::time::Duration;

use tokio::time::Instant;

tokio::task_local! {
    static CALL_DEADLINE: Instant;
    static STREAM_IDLE_LIMIT: Duration;
}

/// Runs `work` as the work of a call that must be finished by `deadline`.
pub async fn within<F: Future>(deadline: Instant, work: F) -> F::Output {
    CALL_DEADLINE.scope(deadline, work).await
}

/// What is left of the current call's deadline (zero once it passed), or None outside a call.
pub fn remaining() -> Option<Duration> {
    CALL_DEADLINE.try_with(|deadline| deadline.saturating_duration_since(Instant::now())).ok()
}

/// How long a client stream may go without a message outside a served call (tests, tools).
const DEFAULT_STREAM_IDLE: Duration = Duration::from_secs(30);

/// Runs `work`, a client-streaming call, allowing `idle` between its messages.
pub async fn streaming<F: Future>(idle: Duration, work: F) -> F::Output {
    STREAM_IDLE_LIMIT.scope(idle, work).await
}

/// The next message of a client stream: None at its end, DEADLINE_EXCEEDED when nothing
/// arrives for as long as a call may take (`server.request_timeout`): a client that stopped
/// sending must not hold a call open forever, though an import that keeps sending runs for as
/// long as it takes.
pub async fn next_message<T>(stream: &mut tonic::Streaming<T>) -> Result<Option<T>, tonic::Status> {
    let idle = STREAM_IDLE_LIMIT.try_with(|idle| *idle).unwrap_or(DEFAULT_STREAM_IDLE);
    match tokio::time::timeout(idle, stream.message()).await {
        Ok(next) => next,
        Err(_) => Err(tonic::Status::deadline_exceeded(format!(
            "no message arrived for {idle:?} (server.request_timeout); the stream was closed: send records without long pauses"
        ))),
    }
}

/// The `grpc-timeout` header's value (1–8 digits and a unit, as the gRPC-over-HTTP/2 spec
/// defines it), or None when it is malformed.
pub fn parse_grpc_timeout(value: &str) -> Option<Duration> {
    if !(2..=9).contains(&value.len()) || !value.is_ascii() {
        return None;
    }
    let (digits, unit) = value.split_at(value.len() - 1);
    let amount: u64 = digits.parse().ok()?;
    Some(match unit {
        "H" => Duration::from_secs(amount.checked_mul(3600)?),
        "M" => Duration::from_secs(amount.checked_mul(60)?),
        "S" => Duration::from_secs(amount),
        "m" => Duration::from_millis(amount),
        "u" => Duration::from_micros(amount),
        "n" => Duration::from_nanos(amount),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grpc_timeouts_are_read_in_every_unit_and_garbage_is_refused() {
        assert_eq!(parse_grpc_timeout("250m"), Some(Duration::from_millis(250)));
        assert_eq!(parse_grpc_timeout("3S"), Some(Duration::from_secs(3)));
        assert_eq!(parse_grpc_timeout("2M"), Some(Duration::from_secs(120)));
        assert_eq!(parse_grpc_timeout("1H"), Some(Duration::from_secs(3600)));
        assert_eq!(parse_grpc_timeout("5000u"), Some(Duration::from_millis(5)));
        assert_eq!(parse_grpc_timeout("7n"), Some(Duration::from_nanos(7)));
        for bad in ["", "m", "10", "10x", "123456789S", "-1S", "1.5S"] {
            assert_eq!(parse_grpc_timeout(bad), None, "{bad}");
        }
    }

    #[tokio::test]
    async fn the_deadline_is_known_inside_the_call_and_not_outside() {
        assert_eq!(remaining(), None);
        let left = within(Instant::now() + Duration::from_secs(5), async { remaining() }).await.unwrap();
        assert!(left > Duration::from_secs(4) && left <= Duration::from_secs(5));
        let spawned =
            within(Instant::now() + Duration::from_secs(5), async { tokio::spawn(async { remaining() }).await })
                .await
                .unwrap();
        assert_eq!(spawned, None, "work spawned off a call is not bound by its deadline");
    }
}
