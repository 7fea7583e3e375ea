//! Following another service's feed. Each batch is applied in one transaction together with
//! the follower's cursor, so after a crash or restart it resumes exactly where its effects end:
//! nothing is applied twice and nothing is skipped. Positions are dense (the sequencer hands
//! out consecutive numbers), so a gap is detected and refused rather than silently skipped.
use std::time::Duration;

use anyhow::Context;
use frontline_proto::common::v1::{FeedEvent, WatchEventsResponse};
use futures::{StreamExt, future::BoxFuture, stream::BoxStream};
use sqlx::{AnyConnection, Row};
use tokio_util::sync::CancellationToken;
use tonic::Status;

use tracing::Instrument;

use crate::{
    database::{Backend, Database, time},
    telemetry,
};

/// Where a follower reads a feed from: in practice a generated gRPC client's `WatchEvents`.
pub trait EventSource: Send + Sync + 'static {
    fn watch(
        &self,
        after_position: i64,
    ) -> BoxFuture<'static, Result<BoxStream<'static, Result<WatchEventsResponse, Status>>, Status>>;
}

/// Any closure from a position to a watch is a source, so a generated client needs no wrapper type.
impl<F> EventSource for F
where
    F: Fn(i64) -> BoxFuture<'static, Result<BoxStream<'static, Result<WatchEventsResponse, Status>>, Status>>
        + Send
        + Sync
        + 'static,
{
    fn watch(
        &self,
        after_position: i64,
    ) -> BoxFuture<'static, Result<BoxStream<'static, Result<WatchEventsResponse, Status>>, Status>> {
        self(after_position)
    }
}

/// What a follower does with each event, inside the transaction that also moves its cursor.
pub trait EventApplier: Send + Sync + 'static {
    fn apply<'a>(
        &'a self,
        connection: &'a mut AnyConnection,
        event: &'a FeedEvent,
    ) -> BoxFuture<'a, anyhow::Result<()>>;
}

pub struct Follower<S, A> {
    name: String,
    db: Database,
    source: S,
    applier: A,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FollowerStatus {
    pub follower: String,
    pub position: i64,
    pub head_position: i64,
    pub updated_at: i64,
    pub last_error: String,
}

impl<S: EventSource, A: EventApplier> Follower<S, A> {
    /// `name` identifies the cursor, e.g. "ticketing" for analytics following ticketing.
    pub fn new(name: impl Into<String>, db: Database, source: S, applier: A) -> Self {
        Self { name: name.into(), db, source, applier }
    }

    /// The last position applied (0 before the first event).
    pub async fn position(&self) -> sqlx::Result<i64> {
        Ok(sqlx::query_scalar("SELECT position FROM feed_cursors WHERE follower = $1")
            .bind(&self.name)
            .fetch_optional(self.db.reader())
            .await?
            .unwrap_or(0))
    }

    /// Follows until `shutdown`, reconnecting with backoff while the source is unreachable.
    pub async fn run(self, shutdown: CancellationToken) {
        let mut backoff = Duration::from_millis(200);
        while !shutdown.is_cancelled() {
            match self.follow(&shutdown).await {
                Ok(()) => backoff = Duration::from_millis(200),
                Err(error) => {
                    let message = format!("{error:#}");
                    tracing::warn!(follower = %self.name, error = %message, retry_in = ?backoff, "following the feed failed");
                    if let Err(error) = self.record_error(&message).await {
                        tracing::warn!(follower = %self.name, %error, "could not record the follower's error");
                    }
                    tokio::select! {
                        _ = tokio::time::sleep(backoff) => {}
                        _ = shutdown.cancelled() => {}
                    }
                    backoff = (backoff * 2).min(Duration::from_secs(30));
                }
            }
        }
    }

    /// One connection's worth of following: Ok when the stream ended, shutdown came, or the
    /// cursor was moved back under it (a rebuild), so the caller reconnects from the cursor.
    async fn follow(&self, shutdown: &CancellationToken) -> anyhow::Result<()> {
        // An idle stream delivers nothing to notice a rebuild by, so the cursor is looked at
        // now and then; any replica's rebuild is seen within this.
        const REWIND_CHECK: Duration = Duration::from_secs(1);
        let mut applied = self.position().await?;
        let mut stream = self.source.watch(applied).await.context("opening the feed")?;
        let mut rewind_check = tokio::time::interval(REWIND_CHECK);
        loop {
            tokio::select! {
                next = stream.next() => match next {
                    Some(batch) => {
                        let batch = batch.context("reading the feed")?;
                        let last = batch.events.last().map(|event| event.position);
                        if let Err(error) = self.apply_batch(batch).await {
                            if self.rewound(applied).await {
                                return Ok(());
                            }
                            return Err(error);
                        }
                        applied = applied.max(last.unwrap_or(applied));
                    }
                    None => return Ok(()),
                },
                _ = rewind_check.tick() => {
                    if self.rewound(applied).await {
                        return Ok(());
                    }
                }
                _ = shutdown.cancelled() => return Ok(()),
            }
        }
    }

    /// True when the stored cursor is behind what this follower applied: it was reset.
    async fn rewound(&self, applied: i64) -> bool {
        match self.position().await {
            Ok(position) if position < applied => {
                tracing::info!(follower = %self.name, from = position, "the cursor was moved back (a rebuild): following again");
                true
            }
            _ => false,
        }
    }

    /// Applies the events of `batch` not yet applied, and moves the cursor, atomically.
    pub async fn apply_batch(&self, batch: WatchEventsResponse) -> anyhow::Result<()> {
        let mut transaction = self.db.begin().await?;
        // Replicas of a follower may run at once: on Postgres the cursor row is locked so one
        // applies a batch while the other waits and then skips it. SQLite has one writer anyway.
        sqlx::query(
            "INSERT INTO feed_cursors (follower, position, head_position, updated_at, last_error)
             VALUES ($1, 0, 0, $2, '') ON CONFLICT (follower) DO NOTHING",
        )
        .bind(&self.name)
        .bind(time::now_micros())
        .execute(&mut *transaction)
        .await?;
        let lock = match self.db.backend() {
            Backend::Postgres => " FOR UPDATE",
            Backend::Sqlite => "",
        };
        let select = format!("SELECT position FROM feed_cursors WHERE follower = $1{lock}");
        let mut position: i64 = sqlx::query_scalar(&select).bind(&self.name).fetch_one(&mut *transaction).await?;
        for event in &batch.events {
            if event.position <= position {
                continue; // delivered again after a reconnect: already applied
            }
            anyhow::ensure!(
                event.position == position + 1,
                "gap in the {} feed: expected position {}, got {}",
                self.name,
                position + 1,
                event.position
            );
            let span = telemetry::feed_event_span(&self.name, &event.event_type, event.position, &event.traceparent);
            self.applier
                .apply(&mut transaction, event)
                .instrument(span)
                .await
                .with_context(|| format!("applying {} event at position {}", event.event_type, event.position))?;
            position = event.position;
        }
        sqlx::query(
            "INSERT INTO feed_cursors (follower, position, head_position, updated_at, last_error)
             VALUES ($1, $2, $3, $4, '')
             ON CONFLICT (follower) DO UPDATE SET position = excluded.position,
                 head_position = excluded.head_position, updated_at = excluded.updated_at, last_error = ''",
        )
        .bind(&self.name)
        .bind(position)
        .bind(batch.head_position.max(position))
        .bind(time::now_micros())
        .execute(&mut *transaction)
        .await?;
        transaction.commit().await?;
        crate::metrics::record_feed_lag(&self.name, batch.head_position - position);
        Ok(())
    }

    async fn record_error(&self, message: &str) -> sqlx::Result<()> {
        sqlx::query(
            "INSERT INTO feed_cursors (follower, position, head_position, updated_at, last_error)
             VALUES ($1, 0, 0, $2, $3)
             ON CONFLICT (follower) DO UPDATE SET last_error = excluded.last_error",
        )
        .bind(&self.name)
        .bind(time::now_micros())
        .bind(message)
        .execute(self.db.writer())
        .await?;
        Ok(())
    }
}

/// Every follower's progress in this database.
pub async fn follower_statuses(db: &Database) -> sqlx::Result<Vec<FollowerStatus>> {
    let rows = sqlx::query(
        "SELECT follower, position, head_position, updated_at, last_error FROM feed_cursors ORDER BY follower",
    )
    .fetch_all(db.reader())
    .await?;
    rows.iter()
        .map(|row| {
            Ok(FollowerStatus {
                follower: row.try_get("follower")?,
                position: row.try_get("position")?,
                head_position: row.try_get("head_position")?,
                updated_at: row.try_get("updated_at")?,
                last_error: row.try_get("last_error")?,
            })
        })
        .collect()
}
