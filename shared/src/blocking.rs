//! CPU-heavy work for a call (a search, a similarity scan, a staffing plan) runs on tokio's
//! blocking pool, where it cannot starve the async workers that answer every other call and the
//! health checks. But a blocking task cannot be cancelled from outside: dropping the future that
//! awaits it — which is how tonic ends a call whose caller went away or whose deadline passed —
//! leaves the thread running to the end. So the work gets a [`Stop`] and checks it at its own
//! checkpoints; the stop is raised when the awaiting future is dropped, and reads as raised once
//! the call's deadline ([`crate::deadline`]) has passed.
use std::sync::{
    Arc,
    atomic::{AtomicBool, Ordering},
};

use tokio::time::Instant;

use crate::ApiError;

/// Whether the work should stop: its caller went away, or the call's deadline passed.
#[derive(Clone)]
pub struct Stop {
    raised: Arc<AtomicBool>,
    deadline: Option<Instant>,
}

/// The work was stopped before it finished.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the work was stopped: its caller went away or its deadline passed")]
pub struct Stopped;

impl Stop {
    /// A stop that is never raised: for work no caller waits on, and for tests.
    pub fn never() -> Self {
        Self { raised: Arc::default(), deadline: None }
    }

    /// A stop already raised: the work's checkpoints all say stop (for tests of them).
    pub fn raised() -> Self {
        Self { raised: Arc::new(AtomicBool::new(true)), deadline: None }
    }

    pub fn is_raised(&self) -> bool {
        self.raised.load(Ordering::Relaxed) || self.deadline.is_some_and(|deadline| Instant::now() >= deadline)
    }

    /// A checkpoint: `Err(Stopped)` once the work should stop.
    pub fn check(&self) -> Result<(), Stopped> {
        if self.is_raised() { Err(Stopped) } else { Ok(()) }
    }
}

/// Raises the stop when dropped: held by the future awaiting the work.
struct RaiseOnDrop(Arc<AtomicBool>);

impl Drop for RaiseOnDrop {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

/// Runs `work` on the blocking pool with a [`Stop`] tied to this call. Work that returns
/// [`Stopped`] (through its error type) after the deadline passed becomes DEADLINE_EXCEEDED; a
/// caller that went away sees nothing, since nobody awaits the answer.
pub async fn run<T, E>(work: impl FnOnce(&Stop) -> Result<T, E> + Send + 'static) -> Result<T, ApiError>
where
    T: Send + 'static,
    E: Into<ApiError> + Send + 'static,
{
    let raised = Arc::new(AtomicBool::new(false));
    let deadline = crate::deadline::remaining().map(|left| Instant::now() + left);
    let stop = Stop { raised: raised.clone(), deadline };
    let _raise_when_abandoned = RaiseOnDrop(raised);
    let outcome = tokio::task::spawn_blocking(move || {
        let answer = work(&stop);
        (answer, stop.is_raised())
    })
    .await;
    match outcome {
        Ok((Ok(value), _)) => Ok(value),
        Ok((Err(_), true)) => {
            Err(ApiError::DeadlineExceeded { message: "the work did not finish within the call's deadline".into() })
        }
        Ok((Err(error), false)) => Err(error.into()),
        Err(join) if join.is_panic() => std::panic::resume_unwind(join.into_panic()),
        Err(join) => Err(ApiError::Internal(anyhow::anyhow!("blocking work was cancelled: {join}"))),
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    /// Counts until stopped, checking at every step.
    fn count_until_stopped(stop: &Stop, counted: &AtomicBool) -> Result<(), ApiError> {
        loop {
            if stop.check().is_err() {
                counted.store(true, Ordering::SeqCst);
                return Err(ApiError::Internal(anyhow::anyhow!("stopped")));
            }
            std::thread::sleep(Duration::from_millis(1));
        }
    }

    #[tokio::test]
    async fn work_whose_caller_goes_away_stops_at_its_next_checkpoint() {
        let observed = Arc::new(AtomicBool::new(false));
        let seen = observed.clone();
        let abandoned =
            tokio::time::timeout(Duration::from_millis(20), run(move |stop| count_until_stopped(stop, &seen))).await;
        assert!(abandoned.is_err(), "the caller stopped waiting");
        let started = std::time::Instant::now();
        while !observed.load(Ordering::SeqCst) {
            assert!(started.elapsed() < Duration::from_secs(5), "the work never saw the stop");
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    }

    #[tokio::test]
    async fn work_past_the_calls_deadline_is_deadline_exceeded() {
        let seen = Arc::new(AtomicBool::new(false));
        let deadline = Instant::now() + Duration::from_millis(20);
        let answer = crate::deadline::within(deadline, run(move |stop| count_until_stopped(stop, &seen))).await;
        assert!(matches!(answer, Err(ApiError::DeadlineExceeded { .. })), "{answer:?}");
    }

    #[tokio::test]
    async fn work_that_finishes_answers_and_its_own_errors_pass_through() {
        assert_eq!(run(|_| Ok::<_, ApiError>(42)).await.unwrap(), 42);
        let refused = run(|_| Err::<(), _>(ApiError::invalid("query", "too long"))).await;
        assert!(matches!(refused, Err(ApiError::InvalidArgument(_))));
    }
}
