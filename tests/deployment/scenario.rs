//! A help desk's day, driven across the processes an overlay runs, each call sent to the
//! workload that serves it: a CRM pushes a customer, a ticket is created, routed to an agent on
//! shift and given article suggestions, answered, solved and rated; analytics measures it; a
//! scheduler reads the roster; an agent searches the knowledge base.
use std::time::Duration;

use chrono::{TimeDelta, Utc};
use frontline_proto::{
    analytics::v1::{self as an, analytics_service_client::AnalyticsServiceClient},
    common::v1::ListEventsRequest,
    knowledge::v1::{self as kn, knowledge_service_client::KnowledgeServiceClient},
    ticketing::v1::{self as pb, ticketing_service_client::TicketingServiceClient},
    workforce::v1::{self as wf, workforce_service_client::WorkforceServiceClient},
};
use frontline_shared::auth::Role;
use prost::Message;
use prost_types::Timestamp;

use crate::{
    cluster::Cluster,
    e2e_support::{Authed, eventually},
};

pub const TEAM: &str = "tier1";
pub const AGENTS: [&str; 2] = ["agent-ola", "agent-tom"];
pub const ARTICLE: &str = "Request a refund";

const TICKETING: &str = "frontline.ticketing.v1.TicketingService";
const KNOWLEDGE: &str = "frontline.knowledge.v1.KnowledgeService";
const WORKFORCE: &str = "frontline.workforce.v1.WorkforceService";
const ANALYTICS: &str = "frontline.analytics.v1.AnalyticsService";

fn timestamp(time: chrono::DateTime<Utc>) -> Option<Timestamp> {
    Some(Timestamp { seconds: time.timestamp(), nanos: 0 })
}

/// Clients of the workload serving each service, as one person or program.
pub struct Clients<'a> {
    cluster: &'a Cluster,
}

impl<'a> Clients<'a> {
    pub fn new(cluster: &'a Cluster) -> Self {
        Self { cluster }
    }

    fn channel(&self, service: &str, replica: usize, role: Role, subject: &str, team: Option<&str>) -> Authed {
        let workload = self.cluster.serving(service);
        let replica = replica % self.cluster.replica_count(&workload);
        self.cluster.authed(&workload, replica, role, subject, team)
    }

    /// Ticketing on replica `replica` (modulo the replicas there are).
    pub fn ticketing(
        &self,
        replica: usize,
        role: Role,
        subject: &str,
        team: Option<&str>,
    ) -> TicketingServiceClient<Authed> {
        TicketingServiceClient::new(self.channel(TICKETING, replica, role, subject, team))
    }

    pub fn knowledge(&self, role: Role, subject: &str) -> KnowledgeServiceClient<Authed> {
        KnowledgeServiceClient::new(self.channel(KNOWLEDGE, 0, role, subject, None))
    }

    pub fn workforce(&self, role: Role, subject: &str) -> WorkforceServiceClient<Authed> {
        WorkforceServiceClient::new(self.channel(WORKFORCE, 0, role, subject, None))
    }

    pub fn analytics(&self, role: Role, subject: &str) -> AnalyticsServiceClient<Authed> {
        AnalyticsServiceClient::new(self.channel(ANALYTICS, 0, role, subject, None))
    }
}

/// Tier 1 with two agents on shift now, routing for it, and a published refund article that
/// knowledge suggests. Returns the CRM's customer id.
pub async fn set_up(clients: &Clients<'_>) -> String {
    let mut workforce = clients.workforce(Role::Director, "director-anna");
    workforce
        .create_team(wf::CreateTeamRequest {
            team: Some(wf::Team {
                id: TEAM.into(),
                name: "Tier 1".into(),
                time_zone: "Europe/Warsaw".into(),
                ..Default::default()
            }),
        })
        .await
        .expect("team created");
    let now = Utc::now();
    for agent in AGENTS {
        workforce
            .create_person(wf::CreatePersonRequest {
                person: Some(wf::Person {
                    id: agent.into(),
                    name: agent.into(),
                    team_id: TEAM.into(),
                    role: wf::PersonRole::Agent as i32,
                    time_zone: "Europe/Warsaw".into(),
                    ..Default::default()
                }),
            })
            .await
            .expect("agent created");
        workforce
            .create_shift(wf::CreateShiftRequest {
                shift: Some(wf::Shift {
                    person_id: agent.into(),
                    kind: wf::ShiftKind::Work as i32,
                    starts_at: timestamp(now - TimeDelta::hours(1)),
                    ends_at: timestamp(now + TimeDelta::hours(7)),
                    state: wf::ShiftState::Published as i32,
                    ..Default::default()
                }),
            })
            .await
            .expect("shift created");
    }

    let mut admin = clients.ticketing(0, Role::Administrator, "admin", None);
    admin
        .set_team_routing(pb::SetTeamRoutingRequest {
            routing: Some(pb::TeamRouting {
                team_id: TEAM.into(),
                strategy: pb::RoutingStrategy::RoundRobin as i32,
                ..Default::default()
            }),
        })
        .await
        .expect("routing set");

    let mut knowledge = clients.knowledge(Role::Administrator, "admin");
    let collection = knowledge
        .create_collection(kn::CreateCollectionRequest {
            collection: Some(kn::Collection { name: "Billing".into(), ..Default::default() }),
        })
        .await
        .expect("collection created")
        .into_inner();
    let article = knowledge
        .create_article(kn::CreateArticleRequest {
            article: Some(kn::Article {
                collection_id: collection.id,
                source_locale: "en".into(),
                title: ARTICLE.into(),
                body: "Open Billing, find the charge and click Request refund.".into(),
                r#type: kn::ArticleType::Solution as i32,
                visibility: kn::Visibility::Public as i32,
                ..Default::default()
            }),
        })
        .await
        .expect("article created")
        .into_inner();
    knowledge
        .publish_article(kn::ChangeArticleStatusRequest { id: article.id, etag: String::new() })
        .await
        .expect("article published");
    // The index is derived data, built in the background: wait until it suggests the article.
    eventually(Duration::from_secs(20), || {
        let mut knowledge = knowledge.clone();
        async move {
            let request = kn::SuggestArticlesRequest {
                subject: "I want a refund".into(),
                locale: "en".into(),
                ..Default::default()
            };
            let suggestions = knowledge.suggest_articles(request).await.ok()?.into_inner();
            suggestions.suggestions.iter().any(|s| s.title == ARTICLE).then_some(())
        }
    })
    .await;

    let mut crm = clients.ticketing(0, Role::CrmSync, "crm", None);
    let customer = crm
        .upsert_customer(pb::UpsertCustomerRequest {
            customer: Some(pb::Customer {
                name: "Zofia Nowak".into(),
                emails: vec!["zofia@example.pl".into()],
                external_id: "crm-1".into(),
                locale: "en".into(),
                ..Default::default()
            }),
        })
        .await
        .expect("the CRM's customer upserted")
        .into_inner();
    customer.customer.expect("the customer").id
}

/// A refund question for Tier 1 from `requester`, through ticketing replica `replica`.
pub async fn refund_ticket(clients: &Clients<'_>, replica: usize, requester: &str) -> pb::Ticket {
    let mut gateway = clients.ticketing(replica, Role::Administrator, "email-gateway", None);
    gateway
        .create_ticket(pb::CreateTicketRequest {
            ticket: Some(pb::Ticket {
                subject: "I want a refund".into(),
                description: "I was charged twice for my order".into(),
                requester_id: requester.into(),
                team_id: TEAM.into(),
                locale: "en".into(),
                channel: pb::Channel::Email as i32,
                ..Default::default()
            }),
            request_id: String::new(),
        })
        .await
        .expect("a ticket is created, whatever its peers are doing")
        .into_inner()
}

/// The first feed event of `event_type` about `ticket_id`, decoded.
async fn event<T: Message + Default>(clients: &Clients<'_>, ticket_id: &str, event_type: &'static str) -> T {
    let reader = clients.ticketing(0, Role::Administrator, "admin", None);
    eventually(Duration::from_secs(20), || {
        let (mut reader, id) = (reader.clone(), ticket_id.to_string());
        async move {
            let events =
                reader.list_events(ListEventsRequest { after_position: 0, page_size: 5000 }).await.ok()?.into_inner();
            let event = events.events.into_iter().find(|e| e.aggregate_id == id && e.event_type == event_type)?;
            T::decode(event.payload?.value.as_slice()).ok()
        }
    })
    .await
}

/// How routing and suggestions went for a ticket.
pub struct Handling {
    pub assignee: String,
    pub routing_fallback: String,
    pub suggestions: Vec<String>,
    pub suggestions_unavailable: String,
}

pub async fn handling(clients: &Clients<'_>, ticket_id: &str) -> Handling {
    let routed: pb::TicketRouted = event(clients, ticket_id, "ticket.routed").await;
    let reader = clients.ticketing(0, Role::Administrator, "admin", None);
    let suggestions = eventually(Duration::from_secs(20), || {
        let (mut reader, id) = (reader.clone(), ticket_id.to_string());
        async move {
            let events =
                reader.list_events(ListEventsRequest { after_position: 0, page_size: 5000 }).await.ok()?.into_inner();
            let event = events.events.into_iter().find(|e| {
                e.aggregate_id == id
                    && matches!(e.event_type.as_str(), "ticket.suggestions_attached" | "ticket.suggestions_unavailable")
            })?;
            pb::TicketSuggestions::decode(event.payload?.value.as_slice()).ok()
        }
    })
    .await;
    Handling {
        assignee: routed.assignee_id,
        routing_fallback: routed.fallback_reason,
        suggestions: suggestions.suggestions.into_iter().map(|s| s.title).collect(),
        suggestions_unavailable: suggestions.unavailable_reason,
    }
}

/// The whole day for one ticket: created and handled, answered, solved, rated, measured; the
/// roster and the knowledge base read by those who use them.
pub async fn a_day(clients: &Clients<'_>, requester: &str) {
    let ticket = refund_ticket(clients, 0, requester).await;
    let handled = handling(clients, &ticket.id).await;
    assert_eq!(handled.routing_fallback, "", "routed to an agent on shift");
    assert!(AGENTS.contains(&handled.assignee.as_str()), "assigned to {:?}", handled.assignee);
    assert_eq!(handled.suggestions, [ARTICLE], "knowledge suggested the refund article");

    let mut agent = clients.ticketing(0, Role::Agent, &handled.assignee, Some(TEAM));
    agent
        .add_comment(pb::AddCommentRequest {
            ticket_id: ticket.id.clone(),
            body: "We have refunded the second charge.".into(),
            public: true,
            status: pb::TicketStatus::Solved as i32,
            ..Default::default()
        })
        .await
        .expect("the agent replies and solves");
    let mut portal = clients.ticketing(0, Role::Portal, "email-gateway", None);
    let rated = portal
        .rate_ticket(pb::RateTicketRequest {
            ticket_id: ticket.id.clone(),
            rating: pb::SatisfactionRating::Good as i32,
            comment: "Quick, thanks".into(),
        })
        .await
        .expect("the customer rates it")
        .into_inner();
    assert_eq!(rated.status, pb::TicketStatus::Solved as i32);

    // Analytics follows ticketing's feed in its own process.
    let analytics = clients.analytics(Role::Manager, "manager");
    let metrics = eventually(Duration::from_secs(30), || {
        let (mut analytics, id) = (analytics.clone(), ticket.id.clone());
        async move {
            let metrics =
                analytics.get_ticket_metrics(an::GetTicketMetricsRequest { ticket_id: id }).await.ok()?.into_inner();
            (metrics.solved && metrics.csat == an::Csat::Good as i32).then_some(metrics)
        }
    })
    .await;
    assert!(metrics.first_reply_at.is_some(), "first reply measured");
    assert_eq!(metrics.agent_replies, 1);
    assert!(metrics.one_touch);
    assert_eq!(metrics.handled_by, std::slice::from_ref(&handled.assignee));

    // A scheduling tool pulls today's roster.
    let mut scheduler = clients.workforce(Role::Scheduler, "scheduler");
    let now = Utc::now();
    let roster = scheduler
        .list_roster(wf::RosterRequest {
            team_id: TEAM.into(),
            from: timestamp(now - TimeDelta::hours(12)),
            to: timestamp(now + TimeDelta::hours(12)),
            ..Default::default()
        })
        .await
        .expect("the roster is read")
        .into_inner();
    let mut people: Vec<String> = roster.shifts.into_iter().map(|shift| shift.person_id).collect();
    people.sort();
    assert_eq!(people, AGENTS);

    // An agent searches the knowledge base.
    let mut knowledge = clients.knowledge(Role::Agent, &handled.assignee);
    let found = knowledge
        .search_articles(kn::SearchArticlesRequest { query: "refund".into(), ..Default::default() })
        .await
        .expect("knowledge searched")
        .into_inner();
    assert_eq!(found.results.first().map(|result| result.title.as_str()), Some(ARTICLE));
}
