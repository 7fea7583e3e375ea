//! Ingestion: the appliers that turn other services' feed events into analytics facts, and the
//! followers that feed them. Applying is idempotent by feed position.
use frontline_proto::{
    common::v1::{FeedEvent, WatchEventsRequest},
    knowledge::v1::knowledge_service_client::KnowledgeServiceClient,
    ticketing::v1::{
        CommentAdded, SlaAlert, Ticket, TicketCreated, TicketEscalated, TicketImported, TicketRated, TicketUpdated,
        TicketsMerged, ticketing_service_client::TicketingServiceClient,
    },
    workforce::v1::workforce_service_client::WorkforceServiceClient,
};
use frontline_shared::{
    database::{Database, time},
    feed::{EventApplier, Follower},
    peers::PeerChannel,
};
use futures::{FutureExt, StreamExt, future::BoxFuture};
use prost::Name;
use sqlx::AnyConnection;
use tokio_util::sync::CancellationToken;

use crate::{
    domain::{backlog::unsolved_periods, ticket_metrics::ticket_metrics},
    store::{
        calendars, history,
        metric_facts::{self, Dimensions},
        periods, rollups,
    },
};

/// The follower name (and cursor) for the ticketing feed.
pub const TICKETING_FEED: &str = "ticketing";

mod knowledge;
mod service_levels;
mod ticket_history;
mod workforce;

pub use knowledge::KnowledgeFacts;
pub use workforce::WorkforceFacts;

/// The follower name (and cursor) for the knowledge feed.
pub const KNOWLEDGE_FEED: &str = "knowledge";
/// The follower name (and cursor) for the workforce feed.
pub const WORKFORCE_FEED: &str = "workforce";

/// Keeps `ticket_facts` in step with the ticketing feed, and records each ticket's history.
pub struct TicketFacts;

impl EventApplier for TicketFacts {
    fn apply<'a>(
        &'a self,
        connection: &'a mut AnyConnection,
        event: &'a FeedEvent,
    ) -> BoxFuture<'a, anyhow::Result<()>> {
        async move {
            history::record(connection, event.position, &ticket_history::entries(event)?).await?;
            service_levels::apply(connection, event).await?;
            let Some(payload) = &event.payload else { return Ok(()) };
            // Every ticketing event that carries a ticket carries its state after the change.
            let tickets: Vec<Ticket> = match payload.type_url.as_str() {
                url if url == TicketCreated::type_url() => {
                    payload.to_msg::<TicketCreated>()?.ticket.into_iter().collect()
                }
                url if url == TicketUpdated::type_url() => {
                    payload.to_msg::<TicketUpdated>()?.ticket.into_iter().collect()
                }
                url if url == CommentAdded::type_url() => {
                    payload.to_msg::<CommentAdded>()?.ticket.into_iter().collect()
                }
                url if url == TicketRated::type_url() => payload.to_msg::<TicketRated>()?.ticket.into_iter().collect(),
                url if url == TicketImported::type_url() => {
                    payload.to_msg::<TicketImported>()?.ticket.into_iter().collect()
                }
                url if url == TicketsMerged::type_url() => {
                    let merged = payload.to_msg::<TicketsMerged>()?;
                    merged.target.into_iter().chain(merged.sources).collect()
                }
                url if url == SlaAlert::type_url() => payload.to_msg::<SlaAlert>()?.ticket.into_iter().collect(),
                url if url == TicketEscalated::type_url() => {
                    payload.to_msg::<TicketEscalated>()?.ticket.into_iter().collect()
                }
                _ => return Ok(()), // an event analytics has no use for (yet)
            };
            let now = event.occurred_at.as_ref().and_then(time::from_timestamp).unwrap_or_else(time::now_micros);
            for ticket in &tickets {
                upsert_ticket(connection, ticket, event.position).await?;
                refresh_metrics(connection, ticket, now, event.position).await?;
            }
            Ok(())
        }
        .boxed()
    }
}

async fn upsert_ticket(connection: &mut AnyConnection, ticket: &Ticket, position: i64) -> anyhow::Result<()> {
    let micros = |t: &Option<prost_types::Timestamp>| t.as_ref().and_then(time::from_timestamp);
    sqlx::query(
        "INSERT INTO ticket_facts (ticket_id, status, priority, channel, team_id, assignee_id, created_at, updated_at, solved_at, last_position, sla_policy_id, subject, sla_breach_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
         ON CONFLICT (ticket_id) DO UPDATE SET status = excluded.status, priority = excluded.priority,
             channel = excluded.channel, team_id = excluded.team_id, assignee_id = excluded.assignee_id,
             updated_at = excluded.updated_at, solved_at = excluded.solved_at, last_position = excluded.last_position,
             sla_policy_id = excluded.sla_policy_id, subject = excluded.subject, sla_breach_at = excluded.sla_breach_at
         WHERE ticket_facts.last_position < excluded.last_position",
    )
    .bind(&ticket.id)
    .bind(i64::from(ticket.status))
    .bind(i64::from(ticket.priority))
    .bind(i64::from(ticket.channel))
    .bind(&ticket.team_id)
    .bind(&ticket.assignee_id)
    .bind(micros(&ticket.created_at).unwrap_or_default())
    .bind(micros(&ticket.updated_at).unwrap_or_default())
    .bind(micros(&ticket.solved_at))
    .bind(position)
    .bind(&ticket.sla_policy_id)
    .bind(&ticket.subject)
    .bind(micros(&ticket.sla_breach_at))
    .execute(connection)
    .await?;
    Ok(())
}

/// Recomputes the ticket's metrics from its history as of `now` (the event's instant, so a
/// replay computes the same row), and marks the rollup slots it was and is now dated in stale.
async fn refresh_metrics(
    connection: &mut AnyConnection,
    ticket: &Ticket,
    now: i64,
    position: i64,
) -> anyhow::Result<()> {
    let events = history::events_of(connection, &ticket.id).await?;
    let calendar = calendars::for_ticket(connection, &ticket.id).await?;
    let now = chrono::DateTime::from_timestamp_micros(now).unwrap_or_default();
    if let Some(metrics) = ticket_metrics(&events, &calendar, now) {
        let mut dated = metric_facts::dated_instants(connection, &ticket.id).await?;
        dated.extend(
            [Some(metrics.created_at), metrics.first_reply_at, metrics.solved_at]
                .into_iter()
                .flatten()
                .map(|at| at.timestamp_micros()),
        );
        metric_facts::upsert(connection, &ticket.id, &Dimensions::of(ticket), &metrics, position).await?;
        rollups::mark_stale(connection, &dated, position).await?;
        periods::replace(connection, &ticket.id, &unsolved_periods(&events, now)).await?;
    }
    Ok(())
}

/// A follower's source from a generated client: its WatchEvents from a position. (Each service's
/// client is its own type with the same method, hence a macro rather than a function.)
macro_rules! watch_source {
    ($client:expr) => {{
        let client = $client;
        move |after_position| {
            let mut client = client.clone();
            async move {
                Ok(client
                    .watch_events(frontline_shared::peers::as_this_service(WatchEventsRequest { after_position }))
                    .await?
                    .into_inner()
                    .boxed())
            }
            .boxed()
        }
    }};
}

/// Follows ticketing's feed over `channel` until `shutdown`.
pub async fn follow_ticketing(db: Database, channel: PeerChannel, shutdown: CancellationToken) {
    let source = watch_source!(TicketingServiceClient::new(channel));
    Follower::new(TICKETING_FEED, db, source, TicketFacts).run(shutdown).await;
}

/// Follows knowledge's feed over `channel` until `shutdown`.
pub async fn follow_knowledge(db: Database, channel: PeerChannel, shutdown: CancellationToken) {
    let source = watch_source!(KnowledgeServiceClient::new(channel));
    Follower::new(KNOWLEDGE_FEED, db, source, KnowledgeFacts).run(shutdown).await;
}

/// Follows workforce's feed over `channel` until `shutdown`.
pub async fn follow_workforce(db: Database, channel: PeerChannel, shutdown: CancellationToken) {
    let source = watch_source!(WorkforceServiceClient::new(channel));
    Follower::new(WORKFORCE_FEED, db, source, WorkforceFacts).run(shutdown).await;
}
