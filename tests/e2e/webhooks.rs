//! Outbound webhooks end to end, against a real HTTP receiver on loopback: administering them,
//! signed deliveries a receiver verifies, retries walked through on a manual clock (never by
//! sleeping), the dead-letter list and redelivery, the address guard, and two replicas
//! delivering each event once.
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use frontline_proto::{
    common::v1::ListEventsRequest,
    ticketing::v1::{self as pb, WebhookDeliveryStatus as Status},
};
use frontline_shared::{
    auth::Role,
    clock::{Clock, ManualClock},
};
use frontline_ticketing::domain::webhook::verify;
use prost::Message;
use prost_types::FieldMask;
use tonic::Code;

use crate::{
    on_both_backends, on_both_backends_at,
    support::{Backend, TestApp, Ticketing, error_reason, eventually, expect_error, violated_fields},
    tickets,
    webhook_receiver::Receiver,
};

/// Monday 23 November 2026, 9:00 UTC.
fn monday_morning() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 23, 9, 0, 0).unwrap()
}

/// A webhook to a receiver on this machine, which only an administrator's opt-in allows.
fn hook(url: &str, event_types: &[&str]) -> pb::Webhook {
    pb::Webhook {
        name: "CRM sync".into(),
        url: url.into(),
        event_types: event_types.iter().map(|t| t.to_string()).collect(),
        allow_private_targets: true,
        ..Default::default()
    }
}

async fn create(admin: &mut Ticketing, webhook: pb::Webhook) -> pb::Webhook {
    admin
        .create_webhook(pb::CreateWebhookRequest { webhook: Some(webhook), request_id: String::new() })
        .await
        .expect("webhook created")
        .into_inner()
}

async fn deliveries(admin: &mut Ticketing, webhook_id: &str, status: Status) -> Vec<pb::WebhookDelivery> {
    admin
        .list_webhook_deliveries(pb::ListWebhookDeliveriesRequest {
            webhook_id: webhook_id.into(),
            status: status as i32,
            ..Default::default()
        })
        .await
        .expect("deliveries listed")
        .into_inner()
        .deliveries
}

/// Waits until the webhook's only delivery is recorded as `check` wants it.
async fn delivery_where(
    admin: &Ticketing,
    webhook_id: &str,
    check: impl Fn(&pb::WebhookDelivery) -> bool,
) -> pb::WebhookDelivery {
    let check = &check;
    eventually(Duration::from_secs(20), || {
        let mut admin = admin.clone();
        async move {
            let all = deliveries(&mut admin, webhook_id, Status::Unspecified).await;
            match all.as_slice() {
                [only] if check(only) => Some(only.clone()),
                _ => None,
            }
        }
    })
    .await
}

fn mask(paths: &[&str]) -> Option<FieldMask> {
    Some(FieldMask { paths: paths.iter().map(|p| p.to_string()).collect() })
}

fn seconds(timestamp: &Option<prost_types::Timestamp>) -> i64 {
    timestamp.as_ref().map_or(0, |t| t.seconds)
}

on_both_backends! {
    /// Create shows the secret once; reads mask it; updates and deletes honour etags; a
    /// rotation shows the new secret and keeps the old one signing for a day.
    async fn webhooks_are_administered_with_etags_and_a_secret_shown_once(app) {
        let mut admin = app.ticketing(Role::Administrator).await;
        let created = admin
            .create_webhook(pb::CreateWebhookRequest {
                webhook: Some(hook("http://127.0.0.1:9/hooks", &["ticket.created", "ticket.*"])),
                request_id: "crm-webhook-1".into(),
            })
            .await
            .unwrap()
            .into_inner();
        assert!(created.secret.starts_with("whsec_") && created.secret.len() == 70, "{}", created.secret);
        assert_eq!((created.etag.as_str(), created.active), ("1", Some(true)));
        assert_eq!(created.url, "http://127.0.0.1:9/hooks");
        // A retried create returns the same webhook, secret included: the first answer was lost.
        let retried = admin
            .create_webhook(pb::CreateWebhookRequest {
                webhook: Some(hook("http://127.0.0.1:9/hooks", &["ticket.created", "ticket.*"])),
                request_id: "crm-webhook-1".into(),
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(retried, created);

        let mut reader = app.ticketing(Role::TeamLead).await;
        let read = reader.get_webhook(pb::GetWebhookRequest { id: created.id.clone() }).await.unwrap().into_inner();
        assert_eq!(read.secret, format!("whsec_…{}", &created.secret[created.secret.len() - 4..]));
        let listed = reader.list_webhooks(pb::ListWebhooksRequest {}).await.unwrap().into_inner().webhooks;
        assert_eq!(listed, std::slice::from_ref(&read));

        let renamed = admin
            .update_webhook(pb::UpdateWebhookRequest {
                webhook: Some(pb::Webhook { id: created.id.clone(), name: "HubSpot".into(), etag: "1".into(), ..Default::default() }),
                update_mask: mask(&["name"]),
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!((renamed.name.as_str(), renamed.etag.as_str(), renamed.event_types.len()), ("HubSpot", "2", 2));
        let paused = admin
            .update_webhook(pb::UpdateWebhookRequest {
                webhook: Some(pb::Webhook { id: created.id.clone(), active: Some(false), ..Default::default() }),
                update_mask: None,
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!((paused.active, paused.name.as_str()), (Some(false), "HubSpot"));
        let stale = expect_error(admin.update_webhook(pb::UpdateWebhookRequest {
            webhook: Some(pb::Webhook { id: created.id.clone(), name: "Stale".into(), etag: "1".into(), ..Default::default() }),
            update_mask: mask(&["name"]),
        }).await);
        assert_eq!((stale.code(), error_reason(&stale).as_str()), (Code::Aborted, "ETAG_MISMATCH"));

        let rotated = admin
            .rotate_webhook_secret(pb::RotateWebhookSecretRequest { id: created.id.clone(), etag: paused.etag.clone(), revoke_previous: false })
            .await
            .unwrap()
            .into_inner();
        assert!(rotated.secret.starts_with("whsec_") && rotated.secret != created.secret);
        assert!(rotated.previous_secret_expires_at.is_some(), "the old secret signs for a while");

        let stale = expect_error(admin.delete_webhook(pb::DeleteWebhookRequest { id: created.id.clone(), etag: "1".into() }).await);
        assert_eq!(stale.code(), Code::Aborted);
        admin.delete_webhook(pb::DeleteWebhookRequest { id: created.id.clone(), etag: rotated.etag.clone() }).await.unwrap();
        let gone = expect_error(admin.get_webhook(pb::GetWebhookRequest { id: created.id.clone() }).await);
        assert_eq!(gone.code(), Code::NotFound);

        // Every change is on the feed (once the sequencer numbers it), and no feed reader
        // ever sees a secret.
        let events = eventually(Duration::from_secs(10), || {
            let mut admin = admin.clone();
            async move {
                let events = admin.list_events(ListEventsRequest { after_position: 0, page_size: 5000 }).await.ok()?.into_inner().events;
                let events: Vec<_> = events.into_iter().filter(|e| e.aggregate_type == "webhook").collect();
                (events.len() >= 5).then_some(events)
            }
        }).await;
        let changes: Vec<_> = events.iter().map(|e| e.event_type.as_str()).collect();
        assert_eq!(changes, ["webhook.created", "webhook.updated", "webhook.updated", "webhook.secret_rotated", "webhook.deleted"]);
        for event in &events {
            let payload = pb::Webhook::decode(event.payload.as_ref().unwrap().value.as_slice()).unwrap();
            assert!(payload.secret.starts_with("whsec_…"), "{} carries {}", event.event_type, payload.secret);
        }
    }
}

on_both_backends! {
    /// Bad input is INVALID_ARGUMENT naming the field; roles and missing webhooks get their codes.
    async fn bad_webhooks_are_refused_naming_the_field(app) {
        let mut admin = app.ticketing(Role::Administrator).await;
        let refused = |webhook: pb::Webhook| {
            let mut admin = admin.clone();
            async move {
                expect_error(admin.create_webhook(pb::CreateWebhookRequest { webhook: Some(webhook), request_id: String::new() }).await)
            }
        };
        let cases = [
            (hook("ftp://hooks.example.com/", &["ticket.created"]), "webhook.url", "\"ftp\" scheme"),
            (hook("https://user:hunter2@hooks.example.com/", &["ticket.created"]), "webhook.url", "user name or password"),
            (pb::Webhook { allow_private_targets: false, ..hook("http://127.0.0.1:8080/", &["ticket.created"]) }, "webhook.url", "loopback"),
            (pb::Webhook { allow_private_targets: false, ..hook("http://[::ffff:169.254.169.254]/", &["ticket.created"]) }, "webhook.url", "link-local"),
            (hook("https://hooks.example.com/", &["ticket.created", "ticket.exploded"]), "webhook.event_types[1]", "not an event type"),
            (hook("https://hooks.example.com/", &["tickets.*"]), "webhook.event_types[0]", "matches no event type"),
            (hook("https://hooks.example.com/", &[]), "webhook.event_types", "at least one"),
        ];
        for (webhook, field, words) in cases {
            let status = refused(webhook.clone()).await;
            assert_eq!(status.code(), Code::InvalidArgument, "{webhook:?}");
            assert_eq!(violated_fields(&status), [field], "{webhook:?}");
            assert!(status.message().contains(words), "{}", status.message());
        }

        let mut agent = app.ticketing(Role::Agent).await;
        let denied = expect_error(agent.create_webhook(pb::CreateWebhookRequest {
            webhook: Some(hook("https://hooks.example.com/", &["ticket.*"])),
            request_id: String::new(),
        }).await);
        assert_eq!(denied.code(), Code::PermissionDenied);
        let mut service = app.ticketing(Role::Service).await;
        let denied = expect_error(service.create_webhook(pb::CreateWebhookRequest {
            webhook: Some(hook("http://10.0.0.7/", &["ticket.*"])),
            request_id: String::new(),
        }).await);
        assert_eq!(denied.code(), Code::PermissionDenied, "only an administrator opens the internal network");

        let missing = "0190f0f0-0000-7000-8000-000000000000".to_string();
        let not_found = [
            expect_error(admin.get_webhook(pb::GetWebhookRequest { id: missing.clone() }).await),
            expect_error(admin.delete_webhook(pb::DeleteWebhookRequest { id: missing.clone(), etag: String::new() }).await),
            expect_error(admin.rotate_webhook_secret(pb::RotateWebhookSecretRequest { id: missing.clone(), ..Default::default() }).await),
            expect_error(admin.update_webhook(pb::UpdateWebhookRequest {
                webhook: Some(pb::Webhook { id: missing.clone(), name: "x".into(), ..Default::default() }),
                update_mask: None,
            }).await),
            expect_error(admin.list_webhook_deliveries(pb::ListWebhookDeliveriesRequest { webhook_id: missing.clone(), ..Default::default() }).await),
            expect_error(admin.redeliver_webhook_delivery(pb::RedeliverWebhookDeliveryRequest { id: missing.clone() }).await),
        ];
        for status in not_found {
            assert_eq!(status.code(), Code::NotFound, "{status:?}");
        }
        let unnamed = expect_error(admin.get_webhook(pb::GetWebhookRequest { id: String::new() }).await);
        assert_eq!(violated_fields(&unnamed), ["id"]);
        let bad_filter = expect_error(admin.list_webhook_deliveries(pb::ListWebhookDeliveriesRequest {
            webhook_id: missing.clone(), status: 9, ..Default::default()
        }).await);
        assert_eq!(violated_fields(&bad_filter), ["status"]);
        let bad_mask = expect_error(admin.update_webhook(pb::UpdateWebhookRequest {
            webhook: Some(pb::Webhook { id: missing, ..Default::default() }),
            update_mask: mask(&["secret"]),
        }).await);
        assert_eq!(violated_fields(&bad_mask), ["update_mask.paths"]);
    }
}

on_both_backends_at! { monday_morning();
    /// A new ticket reaches the receiver as signed JSON it verifies with the secret it was
    /// shown; events it did not subscribe to stay home.
    async fn a_delivery_arrives_signed_and_the_receiver_verifies_it(app, clock) {
        let receiver = Receiver::answering(200).await;
        let mut admin = app.ticketing(Role::Administrator).await;
        let webhook = create(&mut admin, hook(&receiver.url, &["ticket.created"])).await;
        let requester = tickets::requester(&mut admin).await;
        let ticket = tickets::create(&mut admin, tickets::ticket(&requester, "Parcel lost in Gdańsk")).await;

        let received = receiver.wait_for(1).await;
        let request = &received[0];
        assert_eq!(request.path, "/hooks/frontline");
        assert_eq!(request.header("content-type"), "application/json");
        assert_eq!(request.header("frontline-event"), "ticket.created");
        let signature = request.header("frontline-signature");
        verify(webhook.secret.as_bytes(), signature, &request.body, clock.now().timestamp(), 300)
            .expect("the receiver verifies the signature");
        assert!(verify(b"whsec_someone_else", signature, &request.body, clock.now().timestamp(), 300).is_err());

        let body = request.json();
        assert_eq!(body["event_type"], "ticket.created");
        assert_eq!(body["ticket_id"], ticket.id.as_str());
        assert_eq!(body["payload"]["ticket"]["subject"], "Parcel lost in Gdańsk");
        assert!(!body["event_id"].as_str().unwrap().is_empty());

        let delivered = delivery_where(&admin, &webhook.id, |d| d.status == Status::Delivered as i32).await;
        assert_eq!(request.header("frontline-delivery"), delivered.id);
        assert_eq!((delivered.attempts, delivered.last_status_code, delivered.event_type.as_str()), (1, 200, "ticket.created"));
        assert_eq!(delivered.event_id, body["event_id"].as_str().unwrap());
        assert!(delivered.next_attempt_at.is_none() && delivered.delivered_at.is_some());

        // A second ticket: two deliveries, newest first, one page at a time.
        tickets::create(&mut admin, tickets::ticket(&requester, "Second parcel")).await;
        receiver.wait_for(2).await;
        let first = admin.list_webhook_deliveries(pb::ListWebhookDeliveriesRequest {
            webhook_id: webhook.id.clone(), page_size: 1, ..Default::default()
        }).await.unwrap().into_inner();
        assert_eq!(first.deliveries.len(), 1);
        assert_ne!(first.deliveries[0].id, delivered.id, "newest first");
        let second = admin.list_webhook_deliveries(pb::ListWebhookDeliveriesRequest {
            webhook_id: webhook.id.clone(), page_size: 1, page_token: first.next_page_token.clone(), ..Default::default()
        }).await.unwrap().into_inner();
        assert_eq!(second.deliveries[0].id, delivered.id);
        assert_eq!(receiver.received().len(), 2, "the customer and organisation events were not sent");
    }
}

on_both_backends_at! { monday_morning();
    /// A receiver that fails twice gets the event on the third attempt, each after its backoff.
    async fn a_failing_receiver_gets_the_event_on_the_third_attempt(app, clock) {
        let receiver = Receiver::start(&[500, 503], 200).await;
        let mut admin = app.ticketing(Role::Administrator).await;
        let webhook = create(&mut admin, hook(&receiver.url, &["ticket.created"])).await;
        let requester = tickets::requester(&mut admin).await;
        tickets::create(&mut admin, tickets::ticket(&requester, "Invoice twice")).await;

        receiver.wait_for(1).await;
        let failed = delivery_where(&admin, &webhook.id, |d| d.last_status_code == 500).await;
        assert_eq!((failed.status, failed.attempts), (Status::Pending as i32, 1));
        assert_eq!(failed.last_error, "the receiver answered HTTP 500");
        let wait = seconds(&failed.next_attempt_at) - clock.now().timestamp();
        assert!((15..=30).contains(&wait), "first retry after 15–30 s, not {wait} s");

        clock.advance(Duration::from_secs(10));
        tokio::task::yield_now().await;
        assert_eq!(receiver.received().len(), 1, "not before its time");
        clock.advance(Duration::from_secs(20));
        receiver.wait_for(2).await;
        let failed = delivery_where(&admin, &webhook.id, |d| d.last_status_code == 503).await;
        assert_eq!(failed.attempts, 2);
        let wait = seconds(&failed.next_attempt_at) - clock.now().timestamp();
        assert!((30..=60).contains(&wait), "second retry after 30–60 s, not {wait} s");

        clock.advance(Duration::from_secs(60));
        let received = receiver.wait_for(3).await;
        let delivered = delivery_where(&admin, &webhook.id, |d| d.status == Status::Delivered as i32).await;
        assert_eq!((delivered.attempts, delivered.last_status_code, delivered.last_error.as_str()), (3, 200, ""));
        // Every attempt is the same delivery of the same document, signed afresh.
        assert!(received.iter().all(|r| r.header("frontline-delivery") == delivered.id && r.body == received[0].body));
        assert_ne!(received[0].header("frontline-signature"), received[2].header("frontline-signature"));
        verify(webhook.secret.as_bytes(), received[2].header("frontline-signature"), &received[2].body, clock.now().timestamp(), 300).unwrap();
    }
}

on_both_backends_at! { monday_morning();
    /// A receiver that keeps failing: eight attempts, then the dead-letter list and a
    /// `webhook.delivery_dead` event; a redelivery brings it back and it goes through.
    async fn a_receiver_that_keeps_failing_is_dead_lettered_then_redelivered(app, clock) {
        // Distinct statuses tell each recorded attempt from the one before.
        let failures = [500, 502, 503, 504, 500, 502, 503, 504];
        let receiver = Receiver::start(&failures, 200).await;
        let mut admin = app.ticketing(Role::Administrator).await;
        let webhook = create(&mut admin, hook(&receiver.url, &["ticket.created"])).await;
        let requester = tickets::requester(&mut admin).await;
        tickets::create(&mut admin, tickets::ticket(&requester, "Never answered")).await;

        for (attempt, status) in (1..).zip(failures) {
            receiver.wait_for(attempt).await;
            let recorded = delivery_where(&admin, &webhook.id, |d| d.attempts == attempt as i32 && d.last_status_code == i32::from(status)).await;
            if attempt < failures.len() {
                assert_eq!(recorded.status, Status::Pending as i32, "attempt {attempt}");
                clock.advance(Duration::from_secs(3600)); // past any backoff of the default policy
            }
        }
        let dead = delivery_where(&admin, &webhook.id, |d| d.status == Status::Dead as i32).await;
        assert_eq!(dead.attempts, 8);
        assert!(dead.last_error.ends_with("gave up after 8 attempts"), "{}", dead.last_error);
        assert_eq!(deliveries(&mut admin, &webhook.id, Status::Dead).await, std::slice::from_ref(&dead));
        assert!(deliveries(&mut admin, &webhook.id, Status::Pending).await.is_empty());

        let notice = eventually(Duration::from_secs(10), || {
            let mut admin = admin.clone();
            async move {
                let events = admin.list_events(ListEventsRequest { after_position: 0, page_size: 5000 }).await.ok()?.into_inner().events;
                events.into_iter().find(|e| e.event_type == "webhook.delivery_dead")
            }
        }).await;
        let payload = pb::WebhookDelivery::decode(notice.payload.unwrap().value.as_slice()).unwrap();
        assert_eq!((payload.id.as_str(), payload.status), (dead.id.as_str(), Status::Dead as i32));
        assert_eq!(notice.aggregate_id, webhook.id);

        let pending = admin
            .redeliver_webhook_delivery(pb::RedeliverWebhookDeliveryRequest { id: dead.id.clone() })
            .await
            .unwrap()
            .into_inner();
        assert_eq!((pending.status, pending.attempts), (Status::Pending as i32, 0));
        receiver.wait_for(9).await;
        let delivered = delivery_where(&admin, &webhook.id, |d| d.status == Status::Delivered as i32).await;
        assert_eq!((delivered.id, delivered.attempts), (dead.id, 1));
        let again = expect_error(admin.redeliver_webhook_delivery(pb::RedeliverWebhookDeliveryRequest { id: pending.id }).await);
        assert_eq!((again.code(), error_reason(&again).as_str()), (Code::FailedPrecondition, "DELIVERY_NOT_DEAD"));
    }
}

on_both_backends! {
    /// 410 Gone dead-letters the delivery and disables the webhook; a host name that resolves
    /// to loopback is refused when delivering, and nothing is sent.
    async fn gone_disables_and_a_name_resolving_to_loopback_is_refused(app) {
        let gone = Receiver::answering(410).await;
        let mut admin = app.ticketing(Role::Administrator).await;
        let retired = create(&mut admin, hook(&gone.url, &["customer.*"])).await;
        let sneaky = gone.url.replace("127.0.0.1", "localhost");
        let guarded = create(&mut admin, pb::Webhook { allow_private_targets: false, ..hook(&sneaky, &["customer.created"]) }).await;
        tickets::requester(&mut admin).await;

        let dead = delivery_where(&admin, &retired.id, |d| d.status == Status::Dead as i32).await;
        assert_eq!((dead.attempts, dead.last_status_code), (1, 410));
        let disabled = eventually(Duration::from_secs(10), || {
            let mut admin = admin.clone();
            let id = retired.id.clone();
            async move {
                let webhook = admin.get_webhook(pb::GetWebhookRequest { id }).await.ok()?.into_inner();
                (webhook.active == Some(false)).then_some(webhook)
            }
        }).await;
        assert_eq!(disabled.etag, "2");

        let refused = delivery_where(&admin, &guarded.id, |d| d.status == Status::Dead as i32).await;
        assert!(refused.last_error.starts_with("localhost resolves to"), "{}", refused.last_error);
        assert!(refused.last_error.contains("loopback"), "{}", refused.last_error);
        assert_eq!(refused.last_status_code, 0);
        assert_eq!(gone.received().len(), 1, "only the webhook that allows loopback reached it");
    }
}

/// Two replicas on one PostgreSQL database and one clock, sharing `secrets.key` as every
/// replica must: each event is enqueued and delivered once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs PostgreSQL: set FRONTLINE_TEST_DATABASE_URL and pass --include-ignored (make test does both)"]
async fn each_event_is_delivered_once_across_replicas() {
    let (clock, _hand): (Clock, ManualClock) = Clock::manual(monday_morning());
    let shared_key = |settings: &mut frontline_shared::config::Settings| settings.secrets.key = FIRST_KEY.into();
    let first = TestApp::spawn_on(Backend::Postgres, &[], shared_key, clock).await;
    let url = first.settings().database.url.clone();
    let second = TestApp::spawn_on(
        Backend::Postgres,
        &[],
        |settings| {
            shared_key(settings);
            settings.database.url = url;
        },
        first.clock(),
    )
    .await;
    let receiver = Receiver::answering(204).await;
    let mut admin = first.ticketing(Role::Administrator).await;
    let webhook = create(&mut admin, hook(&receiver.url, &["ticket.created"])).await;
    let requester = tickets::requester(&mut admin).await;
    let mut other = second.ticketing(Role::Administrator).await;
    for n in 0..10 {
        let client = if n % 2 == 0 { &mut admin } else { &mut other };
        tickets::create(client, tickets::ticket(&requester, &format!("Outage report {n}"))).await;
    }
    let delivered = eventually(Duration::from_secs(20), || {
        let mut other = other.clone();
        let id = webhook.id.clone();
        async move {
            let delivered = deliveries(&mut other, &id, Status::Delivered).await;
            (delivered.len() >= 10).then_some(delivered)
        }
    })
    .await;
    assert_eq!(delivered.len(), 10);
    assert!(delivered.iter().all(|d| d.attempts == 1), "no delivery was claimed twice");
    let received = receiver.received();
    let mut events: Vec<_> = received.iter().map(|r| r.json()["event_id"].as_str().unwrap().to_string()).collect();
    events.sort();
    events.dedup();
    assert_eq!((received.len(), events.len()), (10, 10), "each event arrived once");
    second.stop().await;
    first.stop().await;
}

/// Two sealing keys for the tests: base64 and hex, as an operator may write either.
const FIRST_KEY: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
const SECOND_KEY: &str = "202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f";

fn key_id(key: &str) -> String {
    frontline_shared::sealing::SealingKey::parse(key).unwrap().id().to_string()
}

/// The webhook's row as stored: (secret, previous_secret).
async fn stored_secrets(app: &TestApp, webhook_id: &str) -> (String, String) {
    let db = app.database("ticketing").await;
    sqlx::query_as("SELECT secret, previous_secret FROM webhooks WHERE id = $1")
        .bind(webhook_id)
        .fetch_one(db.reader())
        .await
        .unwrap()
}

/// Whether `needle` is in any file under the data directory (SQLite databases, their WAL,
/// search indexes): on SQLite a secret must not be anywhere on disk in the clear.
fn on_disk(app: &TestApp, needle: &str) -> bool {
    fn walk(dir: &std::path::Path, needle: &[u8]) -> bool {
        std::fs::read_dir(dir).unwrap().flatten().any(|entry| {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, needle)
            } else {
                std::fs::read(&path).is_ok_and(|bytes| bytes.windows(needle.len()).any(|window| window == needle))
            }
        })
    }
    walk(&app.settings().data_dir, needle.as_bytes())
}

/// Waits for the `count`th request and checks it verifies with every one of `secrets`.
async fn signed_with(receiver: &Receiver, count: usize, secrets: &[&str]) {
    let received = receiver.wait_for(count).await;
    let request = &received[count - 1];
    for secret in secrets {
        verify(secret.as_bytes(), request.header("frontline-signature"), &request.body, Utc::now().timestamp(), 300)
            .unwrap_or_else(|error| panic!("request {count} does not verify with {}: {error}", &secret[..10]));
    }
}

on_both_backends! {
    /// Signing secrets are sealed in the database (on SQLite, nowhere on disk in the clear),
    /// deliveries are still signed with them, and after a restart with the same key too.
    async fn webhook_secrets_are_sealed_at_rest_and_still_sign(app) {
        let receiver = Receiver::answering(200).await;
        let mut admin = app.ticketing(Role::Administrator).await;
        let webhook = create(&mut admin, hook(&receiver.url, &["ticket.created"])).await;
        let (secret, previous) = stored_secrets(&app, &webhook.id).await;
        let sealed_prefix = format!("sealed:v1:{}:", key_id(&std::fs::read_to_string(app.settings().data_dir.join("secrets-key")).unwrap_or_else(|_| app.settings().secrets.key.clone())));
        assert!(secret.starts_with(&sealed_prefix), "{secret}");
        assert!(!secret.contains(&webhook.secret[6..]) && previous.is_empty());

        let rotated = admin
            .rotate_webhook_secret(pb::RotateWebhookSecretRequest { id: webhook.id.clone(), etag: webhook.etag.clone(), revoke_previous: false })
            .await
            .unwrap()
            .into_inner();
        let (secret, previous) = stored_secrets(&app, &webhook.id).await;
        assert!(secret.starts_with(&sealed_prefix) && previous.starts_with(&sealed_prefix), "{secret} / {previous}");
        assert_ne!(secret, previous);
        for shown in [&webhook.secret, &rotated.secret] {
            assert!(!secret.contains(&shown[6..]) && !previous.contains(&shown[6..]));
            if !app.settings().uses_postgres() {
                assert!(!on_disk(&app, &shown[6..]), "a secret is on disk in the clear");
            }
        }

        let requester = tickets::requester(&mut admin).await;
        tickets::create(&mut admin, tickets::ticket(&requester, "Sealed but signed")).await;
        signed_with(&receiver, 1, &[&rotated.secret, &webhook.secret]).await;

        app.restart().await;
        let mut admin = app.ticketing(Role::Administrator).await;
        tickets::create(&mut admin, tickets::ticket(&requester, "After a restart")).await;
        signed_with(&receiver, 2, &[&rotated.secret, &webhook.secret]).await;
        assert_eq!(stored_secrets(&app, &webhook.id).await, (secret, previous), "nothing to reseal");
    }
}

on_both_backends! {
    /// An install upgraded from plain-text secrets: they are sealed when ticketing starts, and
    /// both the secret and the one rotated out keep signing.
    async fn plain_text_secrets_from_before_are_sealed_at_start(app) {
        let receiver = Receiver::answering(200).await;
        let mut admin = app.ticketing(Role::Administrator).await;
        let webhook = create(&mut admin, hook(&receiver.url, &["ticket.created"])).await;
        let old = "whsec_00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
        app.shut_down().await;
        let db = app.database("ticketing").await;
        let in_a_day = (Utc::now().timestamp() + 86_400) * 1_000_000;
        sqlx::query("UPDATE webhooks SET secret = $2, previous_secret = $3, previous_secret_expires_at = $4 WHERE id = $1")
            .bind(&webhook.id)
            .bind(&webhook.secret)
            .bind(old)
            .bind(in_a_day)
            .execute(db.writer())
            .await
            .unwrap();
        drop(db);

        app.start_again().await;
        let (secret, previous) = stored_secrets(&app, &webhook.id).await;
        assert!(secret.starts_with("sealed:v1:") && previous.starts_with("sealed:v1:"), "{secret} / {previous}");
        assert!(!secret.contains(&webhook.secret[6..]) && !previous.contains(&old[6..]));
        let mut admin = app.ticketing(Role::Administrator).await;
        let read = admin.get_webhook(pb::GetWebhookRequest { id: webhook.id.clone() }).await.unwrap().into_inner();
        assert_eq!((read.etag.as_str(), read.secret.as_str()), ("1", format!("whsec_…{}", &webhook.secret[66..]).as_str()));
        let requester = tickets::requester(&mut admin).await;
        tickets::create(&mut admin, tickets::ticket(&requester, "Upgraded")).await;
        signed_with(&receiver, 1, &[&webhook.secret, old]).await;
    }
}

on_both_backends! { with |settings| settings.secrets.key = FIRST_KEY.into();
    /// A server given another key refuses to start, naming the key it lacks, rather than send
    /// signatures no receiver accepts; with the old key among `secrets.previous_keys` it starts,
    /// reseals every secret with the new key, and the old key can then be dropped.
    async fn a_server_without_the_sealing_key_refuses_to_start_and_keys_rotate(app) {
        let receiver = Receiver::answering(200).await;
        let mut admin = app.ticketing(Role::Administrator).await;
        let webhook = create(&mut admin, hook(&receiver.url, &["ticket.created"])).await;
        assert!(stored_secrets(&app, &webhook.id).await.0.starts_with(&format!("sealed:v1:{}:", key_id(FIRST_KEY))));
        app.shut_down().await;

        app.settings.secrets.key = SECOND_KEY.into();
        let refused = frontline::Application::build_on(app.settings.clone(), &[], app.clock())
            .await
            .err()
            .expect("a server without the key refuses to start");
        let message = format!("{refused:#}");
        assert!(message.contains(&webhook.id) && message.contains(&key_id(FIRST_KEY)), "{message}");
        assert!(message.contains("secrets.key") && message.contains("secrets.previous_keys"), "{message}");

        app.settings.secrets.previous_keys = vec![FIRST_KEY.into()];
        app.start_again().await;
        let (secret, _) = stored_secrets(&app, &webhook.id).await;
        assert!(secret.starts_with(&format!("sealed:v1:{}:", key_id(SECOND_KEY))), "resealed with the new key: {secret}");
        let mut admin = app.ticketing(Role::Administrator).await;
        let requester = tickets::requester(&mut admin).await;
        tickets::create(&mut admin, tickets::ticket(&requester, "Rotated key")).await;
        signed_with(&receiver, 1, &[&webhook.secret]).await;

        // Every secret is on the new key now: the old one can go.
        app.shut_down().await;
        app.settings.secrets.previous_keys.clear();
        app.start_again().await;
        let mut admin = app.ticketing(Role::Administrator).await;
        tickets::create(&mut admin, tickets::ticket(&requester, "Old key gone")).await;
        signed_with(&receiver, 2, &[&webhook.secret]).await;
    }
}

on_both_backends! {
    /// A webhook URL can itself be a credential (Slack's is): administrators and services read
    /// it whole; team leads, managers and BI readers, and the feed, see only where it points.
    async fn only_administrators_see_whole_webhook_urls(app) {
        let mut admin = app.ticketing(Role::Administrator).await;
        let url = "https://hooks.example.com/services/T0001/B0001/XXXXXXXXXXXXXXXXXXXXXXXX?channel=vip";
        let webhook = create(&mut admin, pb::Webhook { allow_private_targets: false, ..hook(url, &["ticket.sla_breached"]) }).await;
        assert_eq!(webhook.url, url);

        for role in [Role::Administrator, Role::Service] {
            let mut reader = app.ticketing(role).await;
            let read = reader.get_webhook(pb::GetWebhookRequest { id: webhook.id.clone() }).await.unwrap().into_inner();
            assert_eq!(read.url, url, "{role:?}");
            let listed = reader.list_webhooks(pb::ListWebhooksRequest {}).await.unwrap().into_inner().webhooks;
            assert_eq!(listed[0].url, url, "{role:?}");
        }
        for role in [Role::TeamLead, Role::Supervisor, Role::Manager, Role::Director, Role::BiReader] {
            let mut reader = app.ticketing(role).await;
            let read = reader.get_webhook(pb::GetWebhookRequest { id: webhook.id.clone() }).await.unwrap().into_inner();
            assert_eq!(read.url, "https://hooks.example.com/…", "{role:?}");
            let listed = reader.list_webhooks(pb::ListWebhooksRequest {}).await.unwrap().into_inner().webhooks;
            assert_eq!(listed, std::slice::from_ref(&read), "{role:?}");
            assert!(!format!("{read:?}").contains("XXXX"), "not even in a Debug print");
        }

        let created = eventually(Duration::from_secs(10), || {
            let mut admin = admin.clone();
            async move {
                let events = admin.list_events(ListEventsRequest { after_position: 0, page_size: 5000 }).await.ok()?.into_inner().events;
                events.into_iter().find(|e| e.event_type == "webhook.created")
            }
        }).await;
        let payload = pb::Webhook::decode(created.payload.unwrap().value.as_slice()).unwrap();
        assert_eq!(payload.url, "https://hooks.example.com/…");
    }
}

/// Everything logged at debug level while webhooks are created, rotated and delivered (one
/// delivery failing first, one receiver gone): no secret, no sealing key, no URL path.
async fn no_secret_reaches_the_logs(backend: Backend) {
    use std::sync::{Arc, Mutex};

    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);
    impl std::io::Write for Captured {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::DEBUG)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    // The runtime has one thread, so the app's tasks log through this subscriber too.
    let _guard = tracing::subscriber::set_default(subscriber);

    let mut app = TestApp::spawn(backend).await;
    let receiver = Receiver::start(&[500], 200).await;
    let gone = Receiver::answering(410).await;
    let mut admin = app.ticketing(Role::Administrator).await;
    let webhook = create(&mut admin, hook(&format!("{}/T0001/XXXXXXXX", receiver.url), &["ticket.created"])).await;
    let retired = create(&mut admin, hook(&format!("{}/T0002/YYYYYYYY", gone.url), &["ticket.created"])).await;
    let rotated = admin
        .rotate_webhook_secret(pb::RotateWebhookSecretRequest {
            id: webhook.id.clone(),
            etag: String::new(),
            revoke_previous: false,
        })
        .await
        .unwrap()
        .into_inner();
    let requester = tickets::requester(&mut admin).await;
    tickets::create(&mut admin, tickets::ticket(&requester, "Logged")).await;
    gone.wait_for(1).await;
    receiver.wait_for(1).await;
    let failed = delivery_where(&admin, &webhook.id, |d| d.last_status_code == 500).await;
    assert_eq!(failed.status, Status::Pending as i32);
    app.restart().await;

    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(
        logs.contains("webhook created") && logs.contains("webhook secret rotated"),
        "the logs were captured:\n{logs}"
    );
    assert!(logs.contains("410 Gone"), "{logs}");
    let key = std::fs::read_to_string(app.settings().data_dir.join("secrets-key")).unwrap();
    for secret in [
        &webhook.secret[6..],
        &rotated.secret[6..],
        &retired.secret[6..],
        key.trim(),
        "XXXXXXXX",
        "YYYYYYYY",
        "/hooks/frontline",
    ] {
        assert!(!logs.contains(secret), "{secret} is in the logs:\n{logs}");
    }
    app.stop().await;
}

mod no_secret_reaches_the_logs {
    use super::*;

    #[tokio::test]
    async fn sqlite() {
        no_secret_reaches_the_logs(Backend::Sqlite).await;
    }

    #[tokio::test]
    #[ignore = "needs PostgreSQL: set FRONTLINE_TEST_DATABASE_URL and pass --include-ignored (make test does both)"]
    async fn postgres() {
        no_secret_reaches_the_logs(Backend::Postgres).await;
    }
}
