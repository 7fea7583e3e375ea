//! The change feed: every write appears once, in commit order, and a follower never misses one.
use std::{collections::BTreeSet, sync::Arc, time::Duration};

use frontline_proto::{
    common::v1::{FeedEvent, ListEventsRequest, WatchEventsRequest},
    ticketing::v1::{self as pb, TicketCreated, TicketUpdated},
};
use frontline_shared::{
    auth::Role,
    database::{Database, Migrations},
    feed::{EventApplier, Follower},
};
use futures::{FutureExt, StreamExt, future::BoxFuture};
use sqlx::{AnyConnection, Row};
use tokio_util::sync::CancellationToken;
use tonic::Code;

use crate::{
    on_both_backends,
    support::{TestApp, eventually, expect_error},
    tickets,
};

const WAIT: Duration = Duration::from_secs(20);

async fn all_events(app: &TestApp) -> Vec<FeedEvent> {
    let mut client = app.ticketing(Role::Service).await;
    let mut events = Vec::new();
    let mut after_position = 0;
    loop {
        let page =
            client.list_events(ListEventsRequest { after_position, page_size: 1000 }).await.unwrap().into_inner();
        if page.events.is_empty() {
            return events;
        }
        after_position = page.next_after_position;
        events.extend(page.events);
    }
}

on_both_backends! {
    with crate::support::without_suggestions;
    async fn every_write_appears_in_the_feed_in_order_with_a_typed_payload(app) {
        let mut client = app.ticketing(Role::Agent).await;
        let requester = tickets::requester(&mut client).await;
        let created = tickets::create(&mut client, tickets::ticket(&requester, "Broken invoice")).await;
        client.update_ticket(pb::UpdateTicketRequest {
            ticket: Some(pb::Ticket { id: created.id.clone(), priority: pb::Priority::Urgent as i32, ..Default::default() }),
            update_mask: Some(prost_types::FieldMask { paths: vec!["priority".into()] }),
        }).await.unwrap();

        let events = eventually(WAIT, || async {
            let events = all_events(&app).await;
            (events.len() == 4).then_some(events)
        }).await;
        let kinds: Vec<_> = events.iter().map(|e| e.event_type.as_str()).collect();
        assert_eq!(kinds, ["organization.created", "customer.created", "ticket.created", "ticket.updated"]);
        let positions: Vec<_> = events.iter().map(|e| e.position).collect();
        assert_eq!(positions, [1, 2, 3, 4]);
        assert_eq!(events[2].actor, "test-agent");
        let payload = events[2].payload.as_ref().unwrap().to_msg::<TicketCreated>().unwrap();
        assert_eq!(payload.ticket.unwrap().subject, "Broken invoice");
        let update = events[3].payload.as_ref().unwrap().to_msg::<TicketUpdated>().unwrap();
        assert_eq!(update.changed_fields, ["priority"]);

        let head = app.ticketing(Role::Service).await.list_events(ListEventsRequest { after_position: 4, page_size: 0 }).await.unwrap().into_inner();
        assert!(head.events.is_empty());
        assert_eq!((head.next_after_position, head.head_position), (4, 4));
    }
}

on_both_backends! {
    async fn watch_streams_new_events_as_they_commit(app) {
        let mut service = app.ticketing(Role::Service).await;
        let mut watch = service.watch_events(WatchEventsRequest { after_position: 0 }).await.unwrap().into_inner();
        let mut client = app.ticketing(Role::Agent).await;
        tickets::requester(&mut client).await;
        let batch = tokio::time::timeout(WAIT, watch.next()).await.expect("a batch arrives").unwrap().unwrap();
        assert_eq!(batch.events[0].event_type, "organization.created");
        assert!(batch.head_position >= 1);
    }
}

on_both_backends! {
    async fn feeds_are_not_for_agents_and_positions_are_not_negative(app) {
        let mut agent = app.ticketing(Role::Agent).await;
        let status = expect_error(agent.list_events(ListEventsRequest::default()).await);
        assert_eq!(status.code(), Code::PermissionDenied);
        let mut service = app.ticketing(Role::Service).await;
        let status = expect_error(service.list_events(ListEventsRequest { after_position: -1, page_size: 0 }).await);
        assert_eq!(status.code(), Code::InvalidArgument);
    }
}

/// Records every event it is given; the primary key makes a second application fail loudly.
struct Recorder;

impl EventApplier for Recorder {
    fn apply<'a>(
        &'a self,
        connection: &'a mut AnyConnection,
        event: &'a FeedEvent,
    ) -> BoxFuture<'a, anyhow::Result<()>> {
        async move {
            sqlx::query("INSERT INTO seen_events (position, event_id, aggregate_id) VALUES ($1, $2, $3)")
                .bind(event.position)
                .bind(&event.event_id)
                .bind(&event.aggregate_id)
                .execute(connection)
                .await?;
            Ok(())
        }
        .boxed()
    }
}

/// A follower with its own database (as another service would have), reading the ticketing
/// feed of `app` over real gRPC.
struct TestFollower {
    db: Database,
}

impl TestFollower {
    async fn new(app: &TestApp) -> Self {
        let db = Database::connect(&app.settings, "follower").await.unwrap();
        db.migrate(&Migrations::new(&[], &[])).await.unwrap();
        sqlx::query("CREATE TABLE IF NOT EXISTS seen_events (position BIGINT PRIMARY KEY, event_id TEXT NOT NULL, aggregate_id TEXT NOT NULL)")
            .execute(db.writer())
            .await
            .unwrap();
        Self { db }
    }

    fn start(&self, app: &TestApp) -> (CancellationToken, tokio::task::JoinHandle<()>) {
        let url = app.url();
        let token = app.token(Role::Service);
        let source = move |after_position| {
            let (url, token) = (url.clone(), token.clone());
            async move {
                let channel = tonic::transport::Channel::from_shared(url)
                    .unwrap()
                    .connect()
                    .await
                    .map_err(|e| tonic::Status::unavailable(e.to_string()))?;
                let mut client = pb::ticketing_service_client::TicketingServiceClient::with_interceptor(
                    channel,
                    move |mut r: tonic::Request<()>| {
                        r.metadata_mut().insert("authorization", format!("Bearer {token}").parse().unwrap());
                        Ok(r)
                    },
                );
                Ok(client.watch_events(WatchEventsRequest { after_position }).await?.into_inner().boxed())
            }
            .boxed()
        };
        let stop = CancellationToken::new();
        let follower = Follower::new("ticketing", self.db.clone(), source, Recorder);
        (stop.clone(), tokio::spawn(follower.run(stop)))
    }

    async fn seen(&self) -> Vec<(i64, String, String)> {
        sqlx::query("SELECT position, event_id, aggregate_id FROM seen_events ORDER BY position")
            .fetch_all(self.db.reader())
            .await
            .unwrap()
            .iter()
            .map(|row| (row.get("position"), row.get("event_id"), row.get("aggregate_id")))
            .collect()
    }
}

/// Waits until the follower has applied `expected` events. Positions are handed out just
/// after commit, so an acknowledged write reaches the feed a moment after its caller hears back.
async fn caught_up(follower: &TestFollower, expected: usize) -> Vec<(i64, String, String)> {
    eventually(WAIT, || async {
        let seen = follower.seen().await;
        assert!(seen.len() <= expected, "applied more events than were written");
        (seen.len() == expected).then_some(seen)
    })
    .await
}

on_both_backends! {
    with crate::support::without_suggestions;
    async fn follower_sees_every_event_exactly_once_in_order_across_a_restart(app) {
        let follower = TestFollower::new(&app).await;
        let mut client = app.ticketing(Role::Agent).await;
        let requester = tickets::requester(&mut client).await;
        let (stop, running) = follower.start(&app);
        for n in 0..5 {
            tickets::create(&mut client, tickets::ticket(&requester, &format!("Before restart {n}"))).await;
        }
        caught_up(&follower, 7).await;
        stop.cancel();
        running.await.unwrap();

        // Written while the follower is away, then the whole suite restarts.
        for n in 0..5 {
            tickets::create(&mut client, tickets::ticket(&requester, &format!("While away {n}"))).await;
        }
        app.restart().await;
        let mut client = app.ticketing(Role::Agent).await;
        let (stop, running) = follower.start(&app);
        for n in 0..3 {
            tickets::create(&mut client, tickets::ticket(&requester, &format!("After restart {n}"))).await;
        }
        let seen = caught_up(&follower, 15).await;
        stop.cancel();
        running.await.unwrap();

        let events = all_events(&app).await;
        assert_eq!(events.len(), 15);
        let expected: Vec<_> = events.iter().map(|e| (e.position, e.event_id.clone(), e.aggregate_id.clone())).collect();
        assert_eq!(seen, expected, "every event once, in order");
        follower.db.close().await;
    }
}

on_both_backends! {
    with crate::support::without_suggestions;
    /// Sixteen writers commit at once while a follower tails the feed; on PostgreSQL commits
    /// land out of insertion order, which is exactly when a naive cursor skips events.
    async fn follower_misses_nothing_while_sixteen_writers_commit_concurrently(app) {
        const WRITERS: usize = 16;
        const TICKETS_EACH: usize = 12;
        let follower = TestFollower::new(&app).await;
        let mut client = app.ticketing(Role::Agent).await;
        let requester = Arc::new(tickets::requester(&mut client).await);
        let (stop, running) = follower.start(&app);

        let mut writers = Vec::new();
        for writer in 0..WRITERS {
            let mut client = app.ticketing(Role::Agent).await;
            let requester = requester.clone();
            writers.push(tokio::spawn(async move {
                let mut ids = Vec::new();
                for n in 0..TICKETS_EACH {
                    ids.push(tickets::create(&mut client, tickets::ticket(&requester, &format!("Writer {writer} ticket {n}"))).await.id);
                }
                ids
            }));
        }
        let mut acknowledged = BTreeSet::new();
        for writer in writers {
            acknowledged.extend(writer.await.unwrap());
        }
        assert_eq!(acknowledged.len(), WRITERS * TICKETS_EACH);

        let seen = caught_up(&follower, WRITERS * TICKETS_EACH + 2).await;
        stop.cancel();
        running.await.unwrap();
        let positions: Vec<i64> = seen.iter().map(|(position, _, _)| *position).collect();
        assert_eq!(positions, (1..=positions.len() as i64).collect::<Vec<_>>(), "dense, in order, no gaps");
        // Ticket ids are numbers; the organisation and customer before them are not.
        let tickets_seen: BTreeSet<String> = seen.iter().filter(|(_, _, id)| id.parse::<i64>().is_ok()).map(|(_, _, id)| id.clone()).collect();
        assert_eq!(tickets_seen, acknowledged, "every acknowledged ticket reached the follower");
        follower.db.close().await;
    }
}
