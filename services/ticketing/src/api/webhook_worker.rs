//! Delivering webhooks: claim the deliveries whose time has come (exactly one replica wins
//! each), POST them signed, and record every outcome — delivered, retried after a backoff, or
//! dead-lettered with a `webhook.delivery_dead` event; a `410 Gone` disables the webhook. Time
//! is `self.clock`, so tests walk through the backoff on a manual clock.
use std::time::Duration;

use frontline_proto::ticketing::v1 as pb;
use frontline_shared::{
    ApiResult,
    auth::{Principal, Role},
    feed::{self, NewEvent},
};
use futures::StreamExt;
use tokio_util::sync::CancellationToken;

use super::{TicketingApi, webhook_convert as convert, webhooks::webhook_changed};
use crate::{
    domain::webhook::{
        Delivery, DeliveryStatus, RetryPolicy, SIGNATURE_HEADER, after_attempt, sign_with_secrets,
        subscription::redacted_url,
    },
    outbound::WebhookClient,
    store::{webhook_deliveries as deliveries, webhooks},
};

/// How many due deliveries one pass claims before looking again.
const BATCH: i64 = 100;
/// Attempts in flight at once, so one slow receiver does not hold up the others.
const CONCURRENCY: usize = 8;
/// Added to the request timeout for a claimed attempt's lease: after it, another replica may
/// assume this one died and try again.
const LEASE_MARGIN: Duration = Duration::from_secs(60);
const USER_AGENT: &str = concat!("Frontline-Webhooks/", env!("CARGO_PKG_VERSION"));

/// How the delivery worker runs (from `ticketing.webhook_*` settings).
#[derive(Debug, Clone, Copy)]
pub struct WebhookWorkerSettings {
    /// Bounds each attempt, from name lookup to the response's status line.
    pub timeout: Duration,
    /// Attempts before a delivery is dead-lettered.
    pub max_attempts: u32,
    /// The longest the worker sleeps; bounds how late it sees deliveries other replicas made due.
    pub check_interval: Duration,
}

/// What a pass of the worker needs.
struct Sender {
    client: WebhookClient,
    policy: RetryPolicy,
}

impl TicketingApi {
    /// Delivers webhooks as they fall due until `shutdown`. It sleeps until the earliest pending
    /// attempt, and wakes early after a commit here (a new delivery, a redelivery) or when a
    /// manual clock moves.
    pub async fn run_webhook_worker(self, settings: WebhookWorkerSettings, shutdown: CancellationToken) {
        let sender = Sender {
            client: WebhookClient::new(settings.timeout),
            policy: RetryPolicy { max_attempts: settings.max_attempts, ..RetryPolicy::default() },
        };
        loop {
            let failed = tokio::select! {
                result = self.deliver_due_webhooks(&sender) => result.inspect_err(|error| {
                    tracing::warn!(%error, "delivering webhooks failed; retrying shortly");
                }).is_err(),
                _ = shutdown.cancelled() => break,
            };
            let next = if failed { None } else { self.next_webhook_due().await };
            let clock = self.clock.clone();
            let wake_when_due = async move {
                match next {
                    Some(at) => clock.sleep_until(at).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                _ = wake_when_due => {}
                _ = self.clock.moved() => {}
                _ = self.webhooks_due.notified() => {}
                _ = tokio::time::sleep(settings.check_interval) => {}
                _ = shutdown.cancelled() => break,
            }
        }
    }

    async fn next_webhook_due(&self) -> Option<i64> {
        let mut connection = self.db.reader().acquire().await.ok()?;
        deliveries::next_due(&mut connection).await.ok().flatten()
    }

    /// Attempts every delivery due now that this replica manages to claim; returns how many.
    async fn deliver_due_webhooks(&self, sender: &Sender) -> ApiResult<usize> {
        let mut attempted = 0;
        loop {
            let now = self.clock.now_micros();
            let due = {
                let mut connection = self.db.reader().acquire().await?;
                deliveries::due(&mut connection, now, BATCH).await?
            };
            let lease = sender.client.timeout() + LEASE_MARGIN;
            let lease_until = now.saturating_add(i64::try_from(lease.as_micros()).unwrap_or(i64::MAX));
            let mut claimed = Vec::new();
            for delivery in &due {
                let mut connection = self.db.writer().acquire().await?;
                if deliveries::claim(&mut connection, delivery, lease_until).await? {
                    claimed.push(delivery);
                }
            }
            attempted += claimed.len();
            futures::stream::iter(claimed)
                .for_each_concurrent(CONCURRENCY, |delivery| async move {
                    if let Err(error) = self.attempt(sender, delivery).await {
                        // The lease runs out and the delivery is tried again.
                        tracing::warn!(delivery = %delivery.id, %error, "recording a webhook attempt failed");
                    }
                })
                .await;
            if (due.len() as i64) < BATCH {
                return Ok(attempted);
            }
        }
    }

    /// Makes the attempt this replica claimed (`delivery` as it was before the claim) and
    /// records what came of it.
    async fn attempt(&self, sender: &Sender, delivery: &Delivery) -> ApiResult<()> {
        let attempt = delivery.attempts + 1;
        let webhook = {
            let mut connection = self.db.reader().acquire().await?;
            match webhooks::get(&mut connection, &self.sealing, &delivery.webhook_id).await {
                Err(error @ sqlx::Error::Decode(_)) => {
                    // Another key sealed it: nothing is sent rather than a signature no receiver
                    // accepts, and the attempt is not counted. Once its lease runs out a process
                    // with the key (or this one, fixed) tries again.
                    tracing::error!(delivery = %delivery.id, webhook = %delivery.webhook_id, %error, "webhook delivery not sent");
                    return Ok(());
                }
                other => other?,
            }
        };
        let Some(webhook) = webhook else {
            return Ok(()); // deleted meanwhile, and its deliveries with it
        };
        let now = self.clock.now_micros();
        let signature =
            sign_with_secrets(&webhook.signing_secrets(now), now.div_euclid(1_000_000), delivery.body.as_bytes());
        let headers = [
            ("content-type", "application/json"),
            ("user-agent", USER_AGENT),
            (SIGNATURE_HEADER, signature.as_str()),
            ("frontline-event", delivery.event_type.as_str()),
            ("frontline-delivery", delivery.id.as_str()),
        ];
        let result = sender.client.post(&webhook.url, webhook.allow_private_targets, &headers, &delivery.body).await;
        let now = self.clock.now_micros();
        let after =
            after_attempt(&sender.policy, &delivery.id, u32::try_from(attempt).unwrap_or(u32::MAX), &result, now);

        let mut transaction = self.db.begin().await?;
        if !deliveries::record(&mut transaction, &delivery.id, attempt, &after, now).await? {
            return Ok(()); // its lease ran out and another attempt took over
        }
        let system = Principal::new("system", Role::Service, None);
        if after.disable_webhook
            && webhooks::deactivate(&mut transaction, &webhook.id, now).await?
            && let Some(disabled) = webhooks::get(&mut transaction, &self.sealing, &webhook.id).await?
        {
            webhook_changed(&mut transaction, &system, "webhook.disabled", &disabled).await?;
            tracing::warn!(webhook = %webhook.id, url = %redacted_url(&webhook.url), "the receiver answered 410 Gone; webhook disabled");
        }
        if after.status == DeliveryStatus::Dead
            && let Some(dead) = deliveries::get(&mut transaction, &delivery.id).await?
        {
            let wire: pb::WebhookDelivery = convert::delivery(&dead);
            feed::append(
                &mut transaction,
                NewEvent {
                    event_type: "webhook.delivery_dead",
                    aggregate_type: "webhook",
                    aggregate_id: &webhook.id,
                    actor: &system.subject,
                    payload: &wire,
                },
            )
            .await?;
        }
        transaction.commit().await?;
        self.committed();
        match after.status {
            DeliveryStatus::Delivered => {
                tracing::debug!(delivery = %delivery.id, webhook = %webhook.id, attempt, "webhook delivered")
            }
            DeliveryStatus::Pending => {
                tracing::info!(delivery = %delivery.id, webhook = %webhook.id, attempt, error = %after.error, "webhook attempt failed; will retry")
            }
            DeliveryStatus::Dead => {
                tracing::warn!(delivery = %delivery.id, webhook = %webhook.id, attempt, error = %after.error, "webhook delivery dead-lettered")
            }
        }
        Ok(())
    }
}
