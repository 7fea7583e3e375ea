//! The change feed: a transactional outbox every service writes in the same transaction as the
//! change, served as `ListEvents` / `WatchEvents`, and followed by other services.
//!
//! Ordering. Writers insert events without a position. A sequencer then numbers committed,
//! unnumbered events under a lock (Postgres: a transaction-level advisory lock; SQLite has a
//! single writer), each batch after everything numbered before. An event therefore only
//! becomes visible to followers once it has a position, and no event can later appear below a
//! position a follower has passed — even when transactions commit in another order than they
//! inserted, which is what breaks a plain sequence or autoincrement cursor on Postgres.
mod follower;
mod service;
mod store;

use std::{
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::Duration,
};

use frontline_proto::common::v1::FeedEvent;
use sqlx::AnyConnection;
use tokio::sync::{Notify, watch};
use tokio_util::sync::CancellationToken;

pub use follower::{EventApplier, EventSource, Follower, FollowerStatus, follower_statuses};
pub use service::{FeedEndpoint, WatchEventsStream, authorize_feed_read, list_events, watch_events};

use crate::database::{Backend, Database, MigrationFile, Migrations};

/// Adding a column is the same SQL on both backends.
const TRACE_CONTEXT: MigrationFile = MigrationFile {
    version: 2,
    description: "feed trace context",
    sql: include_str!("../../migrations/0002_feed_trace_context.sql"),
};

pub(crate) const MIGRATIONS: Migrations = Migrations::new(
    &[
        MigrationFile {
            version: 1,
            description: "change feed",
            sql: include_str!("../../migrations/sqlite/0001_feed.sql"),
        },
        TRACE_CONTEXT,
    ],
    &[
        MigrationFile {
            version: 1,
            description: "change feed",
            sql: include_str!("../../migrations/postgres/0001_feed.sql"),
        },
        TRACE_CONTEXT,
    ],
);

/// An event to append in the caller's transaction.
pub struct NewEvent<'a, M: prost::Name> {
    /// e.g. "ticket.created"
    pub event_type: &'a str,
    pub aggregate_type: &'a str,
    pub aggregate_id: &'a str,
    /// The subject of the principal who made the change.
    pub actor: &'a str,
    pub payload: &'a M,
}

/// An event encoded for storage, so that events of different payload types can be appended
/// together in the order they happened ([`append_all`]).
pub struct EncodedEvent {
    event_type: String,
    aggregate_type: String,
    aggregate_id: String,
    actor: String,
    payload_type: String,
    payload: Vec<u8>,
}

impl<M: prost::Name> From<NewEvent<'_, M>> for EncodedEvent {
    fn from(event: NewEvent<'_, M>) -> Self {
        Self {
            event_type: event.event_type.into(),
            aggregate_type: event.aggregate_type.into(),
            aggregate_id: event.aggregate_id.into(),
            actor: event.actor.into(),
            payload_type: M::type_url(),
            payload: event.payload.encode_to_vec(),
        }
    }
}

/// Appends `event` inside the caller's open transaction: it commits or rolls back with the change.
pub async fn append<M: prost::Name>(connection: &mut AnyConnection, event: NewEvent<'_, M>) -> sqlx::Result<()> {
    append_all(connection, &[event.into()]).await
}

/// Appends `events`, in their order, inside the caller's open transaction: a bulk write's
/// events in as few statements as the backend allows.
pub async fn append_all(connection: &mut AnyConnection, events: &[EncodedEvent]) -> sqlx::Result<()> {
    let Some(first) = events.first() else { return Ok(()) };
    // The call's span names the resource it changed (the first one, for calls that change many).
    let span = tracing::Span::current();
    if span.has_field("frontline.resource") {
        span.record("frontline.resource", format!("{}:{}", first.aggregate_type, first.aggregate_id));
    }
    store::insert(connection, events).await
}

/// One service's feed: sequencing, reading, and telling watchers that something new committed.
#[derive(Clone)]
pub struct Feed {
    inner: Arc<Inner>,
}

struct Inner {
    db: Database,
    /// Woken after a local commit so the sequencer numbers it at once.
    committed: Notify,
    /// The newest numbered position, for watchers in this process.
    head: watch::Sender<i64>,
    /// Local commits announced so far ([`Feed::committed`]), and how many of them the
    /// sequencer has numbered: what [`Feed::settled_head`] waits on.
    commits: AtomicU64,
    sequenced: watch::Sender<u64>,
}

impl Feed {
    pub fn new(db: Database) -> Self {
        let (head, _) = watch::channel(0);
        let inner =
            Inner { db, committed: Notify::new(), head, commits: AtomicU64::new(0), sequenced: watch::Sender::new(0) };
        Self { inner: Arc::new(inner) }
    }

    pub fn database(&self) -> &Database {
        &self.inner.db
    }

    /// Call after committing a transaction that appended events.
    pub fn committed(&self) {
        self.inner.commits.fetch_add(1, Ordering::SeqCst);
        self.inner.committed.notify_one();
    }

    /// The head once every event this process committed before the call is numbered: what a
    /// reader of derived data (a search index) must have applied to show the caller every
    /// change acknowledged before they asked. Waits for the sequencer at most `within`, which
    /// it needs only when something was committed since its last run; then the head as it is.
    pub async fn settled_head(&self, within: Duration) -> i64 {
        let wanted = self.inner.commits.load(Ordering::SeqCst);
        let mut sequenced = self.inner.sequenced.subscribe();
        if *sequenced.borrow() < wanted {
            self.inner.committed.notify_one();
            let _ = tokio::time::timeout(within, sequenced.wait_for(|&done| done >= wanted)).await;
        }
        *self.inner.head.borrow()
    }

    /// Numbers every committed, unnumbered event; returns how many it numbered.
    pub async fn sequence(&self) -> sqlx::Result<u64> {
        // Commits announced before this run are numbered by it.
        let announced = self.inner.commits.load(Ordering::SeqCst);
        let numbered = store::sequence(&self.inner.db).await?;
        if numbered > 0 {
            let head = store::head(self.inner.db.reader()).await?;
            self.inner.head.send_replace(head);
        }
        // After the head moved, and only once nothing is left unnumbered (a full batch may
        // leave some): a waiter then reads a head that includes its commits.
        if numbered >= store::SEQUENCE_BATCH {
            return Ok(numbered);
        }
        self.inner.sequenced.send_if_modified(|done| {
            let moved = announced > *done;
            *done = (*done).max(announced);
            moved
        });
        Ok(numbered)
    }

    /// Runs the sequencer until `shutdown`: at once after local commits, and every `interval`
    /// for events other replicas committed.
    pub async fn run_sequencer(self, interval: std::time::Duration, shutdown: CancellationToken) {
        let head = store::head(self.inner.db.reader()).await.unwrap_or(0);
        self.inner.head.send_replace(head);
        loop {
            match self.sequence().await {
                // A full batch means more may be waiting: go again without sleeping.
                Ok(numbered) if numbered >= store::SEQUENCE_BATCH => continue,
                Ok(_) => {}
                Err(error) => {
                    tracing::warn!(feed = self.inner.db.name(), %error, "sequencing the change feed failed; retrying")
                }
            }
            tokio::select! {
                _ = self.inner.committed.notified() => {}
                _ = tokio::time::sleep(interval) => {}
                _ = shutdown.cancelled() => break,
            }
        }
        // Number what the last in-flight calls committed, so a restart finds a tidy feed.
        let _ = self.sequence().await;
    }

    pub async fn list(&self, after: i64, limit: usize) -> sqlx::Result<(Vec<FeedEvent>, i64)> {
        let events = store::list(self.inner.db.reader(), after, limit).await?;
        let head = match events.last() {
            Some(last) => store::head(self.inner.db.reader()).await?.max(last.position),
            None => store::head(self.inner.db.reader()).await?,
        };
        Ok((events, head))
    }

    /// The newest numbered position, changing as the sequencer numbers events.
    pub fn subscribe(&self) -> watch::Receiver<i64> {
        self.inner.head.subscribe()
    }

    pub fn backend(&self) -> Backend {
        self.inner.db.backend()
    }
}

/// Follows this service's own `feed` until `shutdown`, calling `apply_next` (which applies the next batch of events
/// and says whether more may be waiting) whenever the feed moves, and every `poll_interval` for
/// other replicas' events. Failures are logged and retried with backoff.
pub async fn follow_own<F, Fut>(
    name: &str,
    feed: Feed,
    poll_interval: Duration,
    shutdown: CancellationToken,
    apply_next: F,
) where
    F: Fn() -> Fut,
    Fut: Future<Output = anyhow::Result<bool>>,
{
    let mut head = feed.subscribe();
    let mut backoff = Duration::from_millis(200);
    while !shutdown.is_cancelled() {
        match apply_next().await {
            Ok(true) => continue,
            Ok(false) => backoff = Duration::from_millis(200),
            Err(error) => {
                tracing::warn!(follower = name, error = %format!("{error:#}"), retry_in = ?backoff, "applying the service's own feed failed");
                tokio::select! {
                    _ = tokio::time::sleep(backoff) => {}
                    _ = shutdown.cancelled() => {}
                }
                backoff = (backoff * 2).min(Duration::from_secs(30));
                continue;
            }
        }
        tokio::select! {
            _ = head.changed() => {}
            _ = tokio::time::sleep(poll_interval) => {}
            _ = shutdown.cancelled() => {}
        }
    }
}
