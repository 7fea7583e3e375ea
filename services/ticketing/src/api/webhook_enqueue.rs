//! Turning events into webhook deliveries. A background task follows ticketing's own feed from
//! its stored cursor and, for each event, enqueues one delivery per active webhook subscribed
//! to its type — in the transaction that moves the cursor, so after a crash nothing is enqueued
//! twice or skipped. Replicas may all run it: the cursor row is locked while a batch is applied
//! (and a delivery is unique per webhook and event besides). Triggers enqueue directly with
//! [`TicketingApi::enqueue_webhook`].
use std::time::Duration;

use frontline_proto::common::v1::{FeedEvent, WatchEventsResponse};
use frontline_shared::{
    ApiError, ApiResult,
    feed::{EventApplier, EventSource, Follower},
};
use futures::{
    future::BoxFuture,
    stream::{self, BoxStream},
};
use sqlx::AnyConnection;
use tokio_util::sync::CancellationToken;

use super::{TicketingApi, webhook_payload};
use crate::{
    domain::webhook::{Delivery, DeliveryStatus},
    store::{webhook_deliveries as deliveries, webhooks},
};

/// The enqueuer's row in `feed_cursors`.
const ENQUEUER: &str = "webhooks";
const BATCH: usize = 256;
const MAX_EVENT_TYPE_CHARS: usize = 200;

impl TicketingApi {
    /// Enqueues deliveries for new feed events until `shutdown`: at once when the sequencer
    /// numbers events, and every `poll_interval` for events numbered by other replicas.
    pub async fn run_webhook_enqueuer(self, poll_interval: Duration, shutdown: CancellationToken) {
        let follower = Follower::new(ENQUEUER, self.db.clone(), OwnFeed, Enqueuer(self.clone()));
        let feed = self.feed.clone();
        frontline_shared::feed::follow_own(ENQUEUER, feed, poll_interval, shutdown, || {
            self.enqueue_next_batch(&follower)
        })
        .await
    }

    /// Applies the next batch of events; true when there may be more.
    async fn enqueue_next_batch(&self, follower: &Follower<OwnFeed, Enqueuer>) -> anyhow::Result<bool> {
        let position = follower.position().await?;
        let (events, head_position) = self.feed.list(position, BATCH).await?;
        if events.is_empty() {
            return Ok(false);
        }
        let full = events.len() == BATCH;
        follower.apply_batch(WatchEventsResponse { events, head_position }).await?;
        // Committed now: the worker can see what was enqueued.
        self.webhooks_due.notify_one();
        Ok(full)
    }

    /// One delivery of `event` per active webhook subscribed to its type.
    async fn enqueue_event(&self, connection: &mut AnyConnection, event: &FeedEvent) -> ApiResult<usize> {
        // Webhooks hear nothing about webhooks (see `EVENT_TYPES`); checked here too so that no
        // pattern can ever make a dead letter announce itself to a dying receiver.
        if event.event_type.starts_with("webhook.") {
            return Ok(0);
        }
        let subscribers: Vec<_> = webhooks::active(connection, &self.sealing)
            .await?
            .into_iter()
            .filter(|webhook| webhook.subscribes_to(&event.event_type))
            .collect();
        if subscribers.is_empty() {
            return Ok(0);
        }
        let body = webhook_payload::event_body(event);
        let now = self.clock.now_micros();
        let mut enqueued = 0;
        for webhook in subscribers {
            let delivery = pending(&webhook.id, &event.event_id, &event.event_type, body.clone(), now);
            if deliveries::insert(connection, &delivery).await? {
                enqueued += 1;
            }
        }
        Ok(enqueued)
    }

    /// Enqueues a delivery of `body` (a trigger's rendered notification) to one webhook, in the
    /// caller's transaction. The payload is `body` as JSON when it parses, else as a string;
    /// the event id is new. An inactive webhook gets nothing (Ok: a paused receiver must not
    /// fail the change that fired the trigger). The worker notices once the caller commits and
    /// calls `self.committed()`.
    pub(super) async fn enqueue_webhook(
        &self,
        connection: &mut sqlx::AnyConnection,
        webhook_id: &str,
        event_type: &str,
        body: &str,
    ) -> ApiResult<()> {
        // The event type travels in a header, so only plain characters are allowed.
        let plain = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-');
        if event_type.is_empty() || event_type.len() > MAX_EVENT_TYPE_CHARS || !event_type.chars().all(plain) {
            return Err(ApiError::invalid(
                "event_type",
                format!("must be 1 to {MAX_EVENT_TYPE_CHARS} letters, digits, dots, dashes or underscores"),
            ));
        }
        let webhook = webhooks::get(connection, &self.sealing, webhook_id)
            .await?
            .ok_or_else(|| ApiError::not_found("webhook", webhook_id))?;
        if !webhook.active {
            tracing::debug!(webhook = webhook_id, event_type, "webhook inactive; trigger notification dropped");
            return Ok(());
        }
        let now = self.clock.now_micros();
        let event_id = uuid::Uuid::now_v7().to_string();
        let body = webhook_payload::trigger_body(&event_id, event_type, now, body);
        deliveries::insert(connection, &pending(webhook_id, &event_id, event_type, body, now)).await?;
        Ok(())
    }
}

fn pending(webhook_id: &str, event_id: &str, event_type: &str, body: String, now: i64) -> Delivery {
    Delivery {
        id: uuid::Uuid::now_v7().to_string(),
        webhook_id: webhook_id.to_string(),
        event_type: event_type.to_string(),
        event_id: event_id.to_string(),
        body,
        status: DeliveryStatus::Pending,
        attempts: 0,
        next_attempt_at: Some(now),
        last_status_code: None,
        last_error: String::new(),
        created_at: now,
        delivered_at: None,
    }
}

/// Applies each event inside the follower's transaction.
struct Enqueuer(TicketingApi);

impl EventApplier for Enqueuer {
    fn apply<'a>(
        &'a self,
        connection: &'a mut AnyConnection,
        event: &'a FeedEvent,
    ) -> BoxFuture<'a, anyhow::Result<()>> {
        Box::pin(async move {
            self.0.enqueue_event(connection, event).await?;
            Ok(())
        })
    }
}

/// The enqueuer reads its own feed straight from the database, batch by batch, and uses the
/// follower only for its cursor bookkeeping (`position`, `apply_batch`); nothing watches this.
struct OwnFeed;

impl EventSource for OwnFeed {
    fn watch(
        &self,
        _after_position: i64,
    ) -> BoxFuture<'static, Result<BoxStream<'static, Result<WatchEventsResponse, tonic::Status>>, tonic::Status>> {
        Box::pin(async { Ok(Box::pin(stream::empty()) as BoxStream<'static, _>) })
    }
}

#[cfg(test)]
mod tests {
    use frontline_shared::{
        config::Settings,
        database::Database,
        feed::{Feed, FeedEndpoint},
    };

    use super::*;
    use crate::domain::webhook::Webhook;

    /// Ticketing on a fresh SQLite database, with one webhook.
    async fn ticketing_with(webhook: &Webhook) -> (TicketingApi, Database, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let env = [("FRONTLINE__DATA_DIR".to_string(), dir.path().display().to_string())];
        let settings = Settings::load_from(None, env).unwrap();
        let sealing = std::sync::Arc::new(frontline_shared::sealing::SealingKeys::load(&settings).unwrap());
        let db = Database::connect(&settings, crate::DATABASE).await.unwrap();
        db.migrate(&crate::MIGRATIONS).await.unwrap();
        let mut connection = db.writer().acquire().await.unwrap();
        webhooks::insert(&mut connection, &sealing, webhook).await.unwrap();
        let events = FeedEndpoint::new(Feed::new(db.clone()), Duration::from_secs(1), CancellationToken::new());
        (TicketingApi::new(events, sealing), db, dir)
    }

    fn webhook(id: &str, active: bool) -> Webhook {
        Webhook {
            id: id.into(),
            name: "Slack".into(),
            url: "https://hooks.example.com/".into(),
            event_types: vec!["ticket.*".into()],
            secret: "whsec_test".into(),
            previous_secret: None,
            allow_private_targets: false,
            active,
            revision: 1,
            created_at: 0,
            updated_at: 0,
        }
    }

    #[tokio::test]
    async fn a_trigger_notification_is_enqueued_in_the_callers_transaction() {
        let (api, db, _dir) = ticketing_with(&webhook("w-1", true)).await;
        let mut transaction = db.begin().await.unwrap();
        api.enqueue_webhook(&mut transaction, "w-1", "trigger.vip_waiting", r#"{"text":"VIP waiting"}"#).await.unwrap();
        transaction.commit().await.unwrap();

        let mut connection = db.reader().acquire().await.unwrap();
        let queued = deliveries::page(&mut connection, "w-1", None, None, 10).await.unwrap();
        let [delivery] = queued.as_slice() else { panic!("one delivery expected, got {queued:?}") };
        assert_eq!((delivery.status, delivery.attempts), (DeliveryStatus::Pending, 0));
        assert_eq!(delivery.event_type, "trigger.vip_waiting");
        let body: serde_json::Value = serde_json::from_str(&delivery.body).unwrap();
        assert_eq!(body["payload"]["text"], "VIP waiting");
        assert_eq!(body["event_id"], delivery.event_id.as_str());
    }

    #[tokio::test]
    async fn a_secret_sealed_with_another_key_is_never_read_nor_overwritten() {
        let (_api, db, _dir) = ticketing_with(&webhook("w-1", true)).await;
        let stranger = frontline_shared::sealing::SealingKeys::new(
            frontline_shared::sealing::SealingKey::from_bytes(&[9; 32]),
            vec![],
        );
        let mut connection = db.writer().acquire().await.unwrap();
        let stored: String =
            sqlx::query_scalar("SELECT secret FROM webhooks").fetch_one(&mut *connection).await.unwrap();
        let error = webhooks::get(&mut connection, &stranger, "w-1").await.unwrap_err();
        assert!(matches!(error, sqlx::Error::Decode(_)), "{error:?}");
        let message = error.to_string();
        assert!(
            message.contains("w-1") && message.contains("secrets.key") && message.contains("does not have"),
            "{message}"
        );
        let error = webhooks::seal_stored_secrets(&mut connection, &stranger).await.unwrap_err();
        assert!(error.to_string().contains("w-1"), "{error}");
        let after: String =
            sqlx::query_scalar("SELECT secret FROM webhooks").fetch_one(&mut *connection).await.unwrap();
        assert_eq!(after, stored, "a secret no key opens is left as it is");
    }

    #[tokio::test]
    async fn inactive_unknown_and_badly_named_notifications() {
        let (api, db, _dir) = ticketing_with(&webhook("w-off", false)).await;
        let mut transaction = db.begin().await.unwrap();
        api.enqueue_webhook(&mut transaction, "w-off", "trigger.fired", "paused").await.unwrap();
        let unknown = api.enqueue_webhook(&mut transaction, "w-gone", "trigger.fired", "x").await.unwrap_err();
        assert!(matches!(unknown, ApiError::NotFound { .. }), "{unknown:?}");
        let bad = api.enqueue_webhook(&mut transaction, "w-off", "trigger fired\n", "x").await.unwrap_err();
        assert!(matches!(bad, ApiError::InvalidArgument(_)), "{bad:?}");
        transaction.commit().await.unwrap();
        let mut connection = db.reader().acquire().await.unwrap();
        assert!(deliveries::page(&mut connection, "w-off", None, None, 10).await.unwrap().is_empty());
    }
}
