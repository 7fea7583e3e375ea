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
use frontline_shared::{auth::Role, clock::ManualClock};
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

/// Two replicas on one PostgreSQL database and one clock: each event is enqueued and
/// delivered once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs PostgreSQL: set FRONTLINE_TEST_DATABASE_URL and pass --include-ignored (make test does both)"]
async fn each_event_is_delivered_once_across_replicas() {
    let (first, _clock): (TestApp, ManualClock) = TestApp::spawn_at(Backend::Postgres, monday_morning()).await;
    let url = first.settings().database.url.clone();
    let second = TestApp::spawn_on(Backend::Postgres, &[], |settings| settings.database.url = url, first.clock()).await;
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
