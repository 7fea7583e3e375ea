//! Ticketing's dependencies going away and coming back: with workforce down a new ticket still
//! gets created and waits in its team's queue, with knowledge down it gets no article
//! suggestions — both recorded in the feed with the reason — and once they run again (on the
//! same address) the next tickets are routed and get suggestions, without restarting ticketing.
use std::time::Duration;

use frontline::ServiceKind;
use frontline_proto::{
    common::v1::ListEventsRequest,
    knowledge::v1::SuggestArticlesRequest,
    ticketing::v1::{self as pb, RoutingStrategy, TicketStatus},
};
use frontline_shared::{auth::Role, clock::Clock};

use crate::{
    customers,
    knowledge::{self, collection, create, draft, publish},
    routing::{for_tier_one, monday, route, routed, tier_one},
    support::{Backend, TestApp, Ticketing, eventually},
};

const SECRET: &str = "a-secret-shared-by-ticketing-and-its-peers";

/// An address nothing listens on yet, for the peers to come up on later.
fn free_address() -> std::net::SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a loopback port");
    listener.local_addr().unwrap()
}

/// A ticket for Tier 1 that the refund article answers.
async fn refund_ticket(admin: &mut Ticketing, requester_id: &str) -> pb::Ticket {
    for_tier_one(admin, requester_id, "I want a refund", "en", "").await
}

/// What the feed says about `ticket`'s article suggestions: the articles, or why there are none.
async fn suggestions(admin: &Ticketing, ticket_id: &str) -> Result<Vec<String>, String> {
    eventually(Duration::from_secs(10), || {
        let (mut admin, id) = (admin.clone(), ticket_id.to_string());
        async move {
            let events =
                admin.list_events(ListEventsRequest { after_position: 0, page_size: 5000 }).await.ok()?.into_inner();
            let event = events.events.into_iter().find(|e| {
                e.aggregate_id == id
                    && matches!(e.event_type.as_str(), "ticket.suggestions_attached" | "ticket.suggestions_unavailable")
            })?;
            let payload: pb::TicketSuggestions = event.payload?.to_msg().ok()?;
            Some(if payload.unavailable_reason.is_empty() {
                Ok(payload.suggestions.into_iter().map(|s| s.title).collect())
            } else {
                Err(payload.unavailable_reason)
            })
        }
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tickets_are_created_while_workforce_and_knowledge_are_down_and_routing_and_suggestions_recover() {
    let (clock, _hand) = Clock::manual(monday());
    let peers_address = free_address();
    let peers_url = format!("http://{peers_address}");
    let ticketing = TestApp::spawn_on(
        Backend::Sqlite,
        &[ServiceKind::Ticketing],
        |settings| {
            settings.auth.hs256_secret = SECRET.into();
            settings.peers.workforce = peers_url.clone();
            settings.peers.knowledge = peers_url.clone();
        },
        clock.clone(),
    )
    .await;
    let mut admin = ticketing.ticketing(Role::Administrator).await;
    route(&mut admin, RoutingStrategy::RoundRobin, 0).await;
    let requester = customers::create(&mut admin, customers::zofia()).await.id;

    // Neither peer has started: the ticket is created, queued and without suggestions.
    let alone = refund_ticket(&mut admin, &requester).await;
    assert_degraded(&admin, &alone).await;

    // They start, on the address ticketing was given.
    let mut peers = TestApp::spawn_on(
        Backend::Sqlite,
        &[ServiceKind::Workforce, ServiceKind::Knowledge],
        |settings| {
            settings.auth.hs256_secret = SECRET.into();
            settings.server.addr = peers_address;
        },
        clock.clone(),
    )
    .await;
    tier_one(&peers).await;
    let mut writer = knowledge::admin(&peers).await;
    let billing = collection(&mut writer, "Billing", "", &[]).await;
    let refund = create(
        &mut writer,
        draft(&billing.id, "en", "Request a refund", "Open Billing, find the charge and click Request refund."),
    )
    .await;
    publish(&mut writer, &refund.id).await;
    indexed(&peers).await;
    let served = refund_ticket(&mut admin, &requester).await;
    assert_served(&admin, &served).await;

    // They stop again, and come back on the same address with their data.
    peers.shut_down().await;
    let again_alone = refund_ticket(&mut admin, &requester).await;
    assert_degraded(&admin, &again_alone).await;
    peers.start_again().await;
    assert_eq!(peers.addr, peers_address);
    indexed(&peers).await;
    let served_again = refund_ticket(&mut admin, &requester).await;
    assert_served(&admin, &served_again).await;

    peers.stop().await;
    ticketing.stop().await;
}

/// Created anyway: waiting unassigned in Tier 1's queue, with no suggestions, both saying why.
async fn assert_degraded(admin: &Ticketing, ticket: &pb::Ticket) {
    let event = routed(admin, &ticket.id).await;
    assert!(event.fallback_reason.contains("workforce did not answer"), "{}", event.fallback_reason);
    let read = admin.clone().get_ticket(pb::GetTicketRequest { id: ticket.id.clone() }).await.unwrap().into_inner();
    assert_eq!(
        (read.assignee_id.as_str(), read.team_id.as_str(), read.status),
        ("", "tier1", TicketStatus::New as i32)
    );
    let reason = suggestions(admin, &ticket.id).await.expect_err("no suggestions while knowledge is down");
    assert!(reason.contains("knowledge did not answer"), "{reason}");
}

/// Routed to an agent on shift, with the refund article suggested.
async fn assert_served(admin: &Ticketing, ticket: &pb::Ticket) {
    let event = routed(admin, &ticket.id).await;
    assert_eq!(event.fallback_reason, "", "routed normally");
    let read = admin.clone().get_ticket(pb::GetTicketRequest { id: ticket.id.clone() }).await.unwrap().into_inner();
    assert!(["agent-ola", "agent-tom"].contains(&read.assignee_id.as_str()), "{read:?}");
    assert_eq!(suggestions(admin, &ticket.id).await, Ok(vec!["Request a refund".to_string()]));
}

/// Waits until knowledge's search answers with the refund article (its index is derived data,
/// built in the background).
async fn indexed(peers: &TestApp) {
    let knowledge = knowledge::admin(peers).await;
    eventually(Duration::from_secs(15), || {
        let mut knowledge = knowledge.clone();
        async move {
            let request = SuggestArticlesRequest {
                subject: "I want a refund".into(),
                locale: "en".into(),
                max_results: 3,
                ..Default::default()
            };
            let found = knowledge.suggest_articles(request).await.ok()?.into_inner().suggestions;
            (!found.is_empty()).then_some(())
        }
    })
    .await;
}
