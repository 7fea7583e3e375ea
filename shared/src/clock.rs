//! The time services act on, injectable so tests control it.
//!
//! Rules that fire on time (SLA warnings and breaches, time-based automations) must be testable
//! without sleeping: a test sets a manual clock to Friday evening, creates a ticket, moves the
//! clock to Monday and watches the breach fire. `tokio::time::pause` cannot do this — it only
//! moves tokio's monotonic `Instant`, not the wall-clock time rules are written in — and the
//! mock-clock crates we looked at cannot wake a sleeper when time is moved, so this small type
//! is written by hand.
use std::{sync::Arc, time::Duration};

use chrono::{DateTime, Utc};
use tokio::sync::watch;

/// Cheap to clone; every clone reads the same time.
#[derive(Clone, Debug)]
pub struct Clock(Arc<Source>);

#[derive(Debug)]
enum Source {
    System,
    /// Microseconds since the epoch; moved only by [`ManualClock`].
    Manual(watch::Sender<i64>),
}

impl Default for Clock {
    fn default() -> Self {
        Self::system()
    }
}

impl Clock {
    /// The machine's clock: what production runs on.
    pub fn system() -> Self {
        Self(Arc::new(Source::System))
    }

    /// A clock that stands still at `start` until its [`ManualClock`] moves it.
    pub fn manual(start: DateTime<Utc>) -> (Self, ManualClock) {
        let (sender, _) = watch::channel(start.timestamp_micros());
        let clock = Self(Arc::new(Source::Manual(sender)));
        (clock.clone(), ManualClock(clock))
    }

    pub fn now_micros(&self) -> i64 {
        match &*self.0 {
            Source::System => Utc::now().timestamp_micros(),
            Source::Manual(sender) => *sender.borrow(),
        }
    }

    pub fn now(&self) -> DateTime<Utc> {
        DateTime::from_timestamp_micros(self.now_micros()).unwrap_or_default()
    }

    /// Returns once this clock reads `at_micros` or later.
    pub async fn sleep_until(&self, at_micros: i64) {
        match &*self.0 {
            Source::System => {
                let wait = at_micros.saturating_sub(self.now_micros()).max(0);
                tokio::time::sleep(Duration::from_micros(wait as u64)).await;
            }
            Source::Manual(sender) => {
                let mut receiver = sender.subscribe();
                // The sender lives as long as this clock, so waiting cannot fail.
                let _ = receiver.wait_for(|now| *now >= at_micros).await;
            }
        }
    }
}

impl Clock {
    /// Returns when a manual clock is moved; never for the system clock, which moves on its own.
    pub async fn moved(&self) {
        match &*self.0 {
            Source::System => std::future::pending().await,
            Source::Manual(sender) => {
                let mut receiver = sender.subscribe();
                let _ = receiver.changed().await;
            }
        }
    }
}

/// The hand that moves a manual clock (tests only ever hold one).
#[derive(Clone, Debug)]
pub struct ManualClock(Clock);

impl ManualClock {
    pub fn set(&self, to: DateTime<Utc>) {
        if let Source::Manual(sender) = &*self.0.0 {
            sender.send_replace(to.timestamp_micros());
        }
    }

    pub fn advance(&self, by: Duration) {
        let by = chrono::TimeDelta::from_std(by).unwrap_or(chrono::TimeDelta::MAX);
        self.set(self.0.now() + by);
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.0.now()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[tokio::test]
    async fn a_sleeper_on_a_manual_clock_wakes_when_the_clock_passes_its_instant() {
        let start = Utc.with_ymd_and_hms(2026, 11, 20, 18, 0, 0).unwrap();
        let (clock, hand) = Clock::manual(start);
        let due = (start + chrono::TimeDelta::hours(63)).timestamp_micros();
        let sleeper = tokio::spawn({
            let clock = clock.clone();
            async move { clock.sleep_until(due).await }
        });
        hand.advance(Duration::from_secs(3600));
        tokio::task::yield_now().await;
        assert!(!sleeper.is_finished(), "one hour later the sleeper still waits");
        hand.advance(Duration::from_secs(62 * 3600));
        sleeper.await.unwrap();
        assert_eq!(clock.now_micros(), due);
    }

    #[test]
    fn the_system_clock_reads_real_time() {
        let clock = Clock::system();
        let before = Utc::now().timestamp_micros();
        assert!(clock.now_micros() >= before);
    }
}
