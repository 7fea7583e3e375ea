//! What must hold after a process died or stopped, checked from outside as a user would:
//! every acknowledged write is there, the change feed is whole, and analytics agrees with a
//! recount of what ticketing holds.
use std::{
    collections::{BTreeMap, BTreeSet},
    time::Duration,
};

use frontline_proto::{
    analytics::v1 as analytics_pb,
    common::v1::{FeedEvent, ListEventsRequest},
    ticketing::v1::{self as pb, AuthorRole, CommentAdded},
};
use frontline_shared::auth::Role;

use crate::{
    load::Record,
    support::{Analytics, Install, Ticketing, eventually},
};

/// How long followers and the sequencer may take to catch up after a start.
const CATCH_UP: Duration = Duration::from_secs(60);

/// Every ticket and comment a writer got OK for can be read back.
pub async fn acknowledged_writes_are_kept(install: &mut Install, record: &Record) {
    let mut client = install.ticketing(Role::Agent);
    for id in &record.tickets {
        let got = client.get_ticket(pb::GetTicketRequest { id: id.clone() }).await;
        got.unwrap_or_else(|status| panic!("acknowledged ticket {id} lost: {status}"));
    }
    let mut comments_by_ticket: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (ticket, comment) in &record.comments {
        comments_by_ticket.entry(ticket).or_default().push(comment);
    }
    for (ticket, acknowledged) in comments_by_ticket {
        let stored: BTreeSet<String> = comments(&mut client, ticket).await.into_iter().map(|c| c.id).collect();
        for comment in acknowledged {
            assert!(stored.contains(comment), "acknowledged comment {comment} on ticket {ticket} lost");
        }
    }
}

async fn comments(client: &mut Ticketing, ticket_id: &str) -> Vec<pb::Comment> {
    let mut all = Vec::new();
    let mut page_token = String::new();
    loop {
        let request = pb::ListCommentsRequest { ticket_id: ticket_id.into(), page_size: 1000, page_token };
        let page = client.list_comments(request).await.expect("comments listed").into_inner();
        all.extend(page.comments);
        if page.next_page_token.is_empty() {
            return all;
        }
        page_token = page.next_page_token;
    }
}

/// The feed numbers its events 1, 2, 3 … with no gap and no repeat, and holds each
/// acknowledged ticket's creation and each acknowledged comment exactly once.
pub async fn feed_is_whole(install: &mut Install, record: &Record) {
    let acknowledged: BTreeSet<&str> = record.tickets.iter().map(String::as_str).collect();
    // Events written just before the kill are numbered by the sequencer of the new process.
    let events = eventually(CATCH_UP, || {
        let mut reader = FeedReader(install.ticketing(Role::Service));
        let acknowledged = &acknowledged;
        async move {
            let events = reader.all().await;
            let created: BTreeSet<String> = created_tickets(&events).into_iter().collect();
            acknowledged.iter().all(|id| created.contains(*id)).then_some(events)
        }
    })
    .await;
    for (index, event) in events.iter().enumerate() {
        assert_eq!(event.position, index as i64 + 1, "feed positions run 1, 2, 3 … with no gap or repeat");
    }
    let mut created = created_tickets(&events);
    created.sort();
    let distinct: BTreeSet<&String> = created.iter().collect();
    assert_eq!(distinct.len(), created.len(), "a ticket.created event appears twice");
    let commented: Vec<String> = events
        .iter()
        .filter(|event| event.event_type == "ticket.commented")
        .map(|event| event.payload.as_ref().unwrap().to_msg::<CommentAdded>().unwrap().comment.unwrap().id)
        .collect();
    let distinct_comments: BTreeSet<&String> = commented.iter().collect();
    assert_eq!(distinct_comments.len(), commented.len(), "a ticket.commented event appears twice");
    for (ticket, comment) in &record.comments {
        assert!(distinct_comments.contains(comment), "acknowledged comment {comment} on {ticket} is not in the feed");
    }
}

/// A ticketing client reading the feed, movable into a polling closure.
struct FeedReader(Ticketing);

impl FeedReader {
    async fn all(&mut self) -> Vec<FeedEvent> {
        let mut events = Vec::new();
        let mut after_position = 0;
        loop {
            let request = ListEventsRequest { after_position, page_size: 5000 };
            let page = self.0.list_events(request).await.expect("feed listed").into_inner();
            if page.events.is_empty() {
                return events;
            }
            after_position = page.next_after_position;
            events.extend(page.events);
        }
    }
}

fn created_tickets(events: &[FeedEvent]) -> Vec<String> {
    events.iter().filter(|e| e.event_type == "ticket.created").map(|e| e.aggregate_id.clone()).collect()
}

/// What ticketing holds, counted the way analytics defines it: each ticket with the number
/// of public replies agents wrote on it.
async fn recount(install: &mut Install) -> BTreeMap<String, i32> {
    let mut client = install.ticketing(Role::Administrator);
    let mut tickets = Vec::new();
    let mut page_token = String::new();
    loop {
        let request = pb::ListTicketsRequest { page_size: 1000, page_token, ..Default::default() };
        let page = client.list_tickets(request).await.expect("tickets listed").into_inner();
        tickets.extend(page.tickets.into_iter().map(|ticket| ticket.id));
        if page.next_page_token.is_empty() {
            break;
        }
        page_token = page.next_page_token;
    }
    let mut replies = BTreeMap::new();
    for id in tickets {
        let agent_replies = comments(&mut client, &id)
            .await
            .iter()
            .filter(|c| c.public && c.author_role == AuthorRole::Agent as i32)
            .count();
        replies.insert(id, agent_replies as i32);
    }
    replies
}

/// Analytics, having followed the feed across the restarts, holds one fact per ticket with
/// the replies ticketing holds, and its tickets_created series adds up to the same count.
pub async fn analytics_matches_a_recount(install: &mut Install) {
    let expected = recount(install).await;
    let bi = install.analytics(Role::BiReader);
    eventually(CATCH_UP, || {
        let mut bi = bi.clone();
        let expected = &expected;
        async move { (exported_replies(&mut bi).await == *expected).then_some(()) }
    })
    .await;
    let now = chrono::Utc::now().timestamp();
    let day = 24 * 3600;
    let request = analytics_pb::GetMetricSeriesRequest {
        metric: "tickets_created".into(),
        from: Some(prost_types::Timestamp { seconds: now - 2 * day, nanos: 0 }),
        to: Some(prost_types::Timestamp { seconds: now + 2 * day, nanos: 0 }),
        granularity: "day".into(),
        ..Default::default()
    };
    // Rollups are refreshed in the background; the series catches up with the facts.
    eventually(CATCH_UP, || {
        let (mut bi, request) = (bi.clone(), request.clone());
        let expected = expected.len() as i64;
        async move {
            let series = bi.get_metric_series(request).await.expect("series").into_inner();
            let created: i64 = series.groups.iter().flat_map(|g| &g.points).map(|p| p.count).sum();
            (created == expected).then_some(())
        }
    })
    .await;
}

/// Ticket id → agent replies, from analytics' BI export.
async fn exported_replies(bi: &mut Analytics) -> BTreeMap<String, i32> {
    let mut stream = bi
        .export_ticket_facts(analytics_pb::ExportTicketFactsRequest::default())
        .await
        .expect("export starts")
        .into_inner();
    let mut facts = BTreeMap::new();
    while let Some(batch) = stream.message().await.expect("export batch") {
        facts.extend(batch.facts.into_iter().map(|fact| (fact.ticket_id, fact.agent_replies)));
    }
    facts
}
