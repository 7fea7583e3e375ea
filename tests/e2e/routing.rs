//! Routing new tickets to agents on shift: round robin, least open load, skills, capacity, and
//! the team queue when workforce cannot say who is working (resilience/dependencies.rs).
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use frontline_proto::{
    common::v1::ListEventsRequest,
    ticketing::v1::{self as pb, RoutingStrategy as Strategy, TicketStatus},
    workforce::v1::{self as wf, workforce_service_client::WorkforceServiceClient},
};
use frontline_shared::auth::Role;
use prost::Message;
use prost_types::Timestamp;
use tonic::Code;

use crate::{
    customers, on_both_backends_at,
    support::{Bearer, TestApp, Ticketing, eventually, expect_error, violated_fields},
};

/// Monday 23 November 2026, 11:00 in Warsaw.
pub fn monday() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 23, 10, 0, 0).unwrap()
}

fn at(time: DateTime<Utc>) -> Option<Timestamp> {
    Some(Timestamp { seconds: time.timestamp(), nanos: 0 })
}

/// Tier 1 in Warsaw: Ola (Polish, billing) and Tom (English, some Polish) work now; Marek
/// (Polish, billing) only in the evening.
pub async fn tier_one(app: &TestApp) {
    let token = app.token_for(Role::Director, "director-anna", None);
    let mut workforce = WorkforceServiceClient::new(app.authed(Bearer::token(&token)).await);
    workforce
        .create_team(wf::CreateTeamRequest {
            team: Some(wf::Team {
                id: "tier1".into(),
                name: "Tier 1".into(),
                time_zone: "Europe/Warsaw".into(),
                ..Default::default()
            }),
        })
        .await
        .unwrap();
    let skill = |name: &str, kind: wf::SkillKind, proficiency: i32| wf::Skill {
        name: name.into(),
        kind: kind as i32,
        proficiency,
    };
    let people = [
        ("agent-ola", vec![skill("pl", wf::SkillKind::Language, 5), skill("billing", wf::SkillKind::Product, 4)], 8),
        ("agent-tom", vec![skill("en", wf::SkillKind::Language, 5), skill("pl", wf::SkillKind::Language, 2)], 8),
        ("agent-marek", vec![skill("pl", wf::SkillKind::Language, 3), skill("billing", wf::SkillKind::Product, 5)], 15),
    ];
    for (id, skills, start_hour) in people {
        workforce
            .create_person(wf::CreatePersonRequest {
                person: Some(wf::Person {
                    id: id.into(),
                    name: id.into(),
                    team_id: "tier1".into(),
                    role: wf::PersonRole::Agent as i32,
                    time_zone: "Europe/Warsaw".into(),
                    skills,
                    ..Default::default()
                }),
            })
            .await
            .unwrap();
        let starts = Utc.with_ymd_and_hms(2026, 11, 23, start_hour, 0, 0).unwrap();
        workforce
            .create_shift(wf::CreateShiftRequest {
                shift: Some(wf::Shift {
                    person_id: id.into(),
                    kind: wf::ShiftKind::Work as i32,
                    starts_at: at(starts),
                    ends_at: at(starts + chrono::TimeDelta::hours(8)),
                    state: wf::ShiftState::Published as i32,
                    ..Default::default()
                }),
            })
            .await
            .unwrap();
    }
}

pub async fn route(admin: &mut Ticketing, strategy: Strategy, capacity: i32) -> pb::TeamRouting {
    admin
        .set_team_routing(pb::SetTeamRoutingRequest {
            routing: Some(pb::TeamRouting {
                team_id: "tier1".into(),
                strategy: strategy as i32,
                capacity_per_agent: capacity,
                ..Default::default()
            }),
        })
        .await
        .expect("routing set")
        .into_inner()
}

pub async fn for_tier_one(
    client: &mut Ticketing,
    requester_id: &str,
    subject: &str,
    locale: &str,
    product: &str,
) -> pb::Ticket {
    let custom_fields = if product.is_empty() {
        vec![]
    } else {
        vec![pb::CustomFieldValue {
            key: "product".into(),
            value: Some(pb::custom_field_value::Value::Option(product.into())),
        }]
    };
    client
        .create_ticket(pb::CreateTicketRequest {
            ticket: Some(pb::Ticket {
                subject: subject.into(),
                requester_id: requester_id.into(),
                team_id: "tier1".into(),
                locale: locale.into(),
                custom_fields,
                ..Default::default()
            }),
            request_id: String::new(),
        })
        .await
        .expect("ticket created")
        .into_inner()
}

pub async fn routed(client: &Ticketing, ticket_id: &str) -> pb::TicketRouted {
    eventually(Duration::from_secs(10), || {
        let (mut client, id) = (client.clone(), ticket_id.to_string());
        async move {
            let page =
                client.list_events(ListEventsRequest { after_position: 0, page_size: 5000 }).await.ok()?.into_inner();
            let event = page.events.into_iter().find(|e| e.event_type == "ticket.routed" && e.aggregate_id == id)?;
            pb::TicketRouted::decode(event.payload?.value.as_slice()).ok()
        }
    })
    .await
}

async fn product_field(admin: &mut Ticketing) {
    admin
        .create_custom_field(pb::CreateCustomFieldRequest {
            field: Some(pb::CustomFieldDefinition {
                key: "product".into(),
                title: "Product".into(),
                r#type: pb::CustomFieldType::Dropdown as i32,
                options: vec!["Billing".into(), "Cloud".into()],
                ..Default::default()
            }),
        })
        .await
        .unwrap();
}

on_both_backends_at! {
    monday();
    async fn round_robin_and_least_load_share_tickets_among_agents_on_shift(app, clock) {
        tier_one(&app).await;
        let mut admin = app.ticketing(Role::Administrator).await;
        let requester = customers::create(&mut admin, customers::zofia()).await;
        route(&mut admin, Strategy::RoundRobin, 0).await;
        let mut assignees = Vec::new();
        for n in 0..4 {
            let ticket = for_tier_one(&mut admin, &requester.id, &format!("Pytanie {n}"), "pl", "").await;
            assert_eq!(ticket.status, TicketStatus::Open as i32, "created assigned, so open");
            assignees.push(ticket.assignee_id);
        }
        assert_eq!(assignees, ["agent-ola", "agent-tom", "agent-ola", "agent-tom"], "Marek is not on shift yet");

        // Tom solves one of his; least load now prefers him.
        let toms = admin.list_tickets(pb::ListTicketsRequest { filter: "assignee_id = \"agent-tom\"".into(), ..Default::default() }).await.unwrap().into_inner().tickets;
        admin.update_ticket(pb::UpdateTicketRequest {
            ticket: Some(pb::Ticket { id: toms[0].id.clone(), status: TicketStatus::Solved as i32, ..Default::default() }),
            update_mask: Some(prost_types::FieldMask { paths: vec!["status".into()] }),
        }).await.unwrap();
        route(&mut admin, Strategy::LeastOpenLoad, 0).await;
        let next = for_tier_one(&mut admin, &requester.id, "Kolejne pytanie", "pl", "").await;
        assert_eq!(next.assignee_id, "agent-tom");
        let event = routed(&admin, &next.id).await;
        assert_eq!((event.strategy, event.candidates, event.fallback_reason.as_str()), (Strategy::LeastOpenLoad as i32, 2, ""));

        // In the evening Marek is on shift too, and at capacity 2 only he has room.
        clock.set(Utc.with_ymd_and_hms(2026, 11, 23, 15, 30, 0).unwrap());
        route(&mut admin, Strategy::LeastOpenLoad, 2).await;
        let evening = for_tier_one(&mut admin, &requester.id, "Wieczorne pytanie", "pl", "").await;
        assert_eq!(evening.assignee_id, "agent-marek");
        let full = for_tier_one(&mut admin, &requester.id, "Jeszcze jedno", "pl", "").await;
        assert_eq!(full.assignee_id, "agent-marek");
        let queued = for_tier_one(&mut admin, &requester.id, "I jeszcze", "pl", "").await;
        assert_eq!((queued.assignee_id.as_str(), queued.team_id.as_str()), ("", "tier1"));
        assert!(routed(&admin, &queued.id).await.fallback_reason.contains("2 unsolved tickets"));
    }
}

on_both_backends_at! {
    monday();
    async fn skills_based_routing_matches_language_and_product(app, clock) {
        tier_one(&app).await;
        let mut admin = app.ticketing(Role::Administrator).await;
        product_field(&mut admin).await;
        let requester = customers::create(&mut admin, customers::zofia()).await;
        route(&mut admin, Strategy::SkillsBased, 0).await;
        let billing = for_tier_one(&mut admin, &requester.id, "Faktura", "pl-PL", "Billing").await;
        assert_eq!(billing.assignee_id, "agent-ola", "Polish and billing");
        let english = for_tier_one(&mut admin, &requester.id, "Invoice", "en", "").await;
        assert_eq!(english.assignee_id, "agent-tom");
        let hebrew = for_tier_one(&mut admin, &requester.id, "חשבונית", "he", "").await;
        assert_eq!(hebrew.assignee_id, "");
        assert!(routed(&admin, &hebrew.id).await.fallback_reason.contains("he"));
        // Later Marek, the billing expert, is on shift as well.
        clock.set(Utc.with_ymd_and_hms(2026, 11, 23, 15, 30, 0).unwrap());
        let evening = for_tier_one(&mut admin, &requester.id, "Faktura korygująca", "pl", "Billing").await;
        assert_eq!(evening.assignee_id, "agent-ola", "Ola: 5 + 4 beats Marek: 3 + 5");
    }
}

on_both_backends_at! {
    monday();
    async fn team_routing_is_configured_by_administrators(app, clock) {
        let _ = &clock;
        let mut admin = app.ticketing(Role::Administrator).await;
        let set = route(&mut admin, Strategy::RoundRobin, 5).await;
        assert_eq!((set.capacity_per_agent, set.product_field.as_str(), set.etag.as_str()), (5, "product", "1"));
        let bad = expect_error(admin.set_team_routing(pb::SetTeamRoutingRequest { routing: Some(pb::TeamRouting { team_id: "tier1".into(), strategy: 0, ..Default::default() }) }).await);
        assert_eq!(violated_fields(&bad), ["routing.strategy"]);
        let negative = expect_error(admin.set_team_routing(pb::SetTeamRoutingRequest { routing: Some(pb::TeamRouting { team_id: " ".into(), strategy: 1, capacity_per_agent: -1, ..Default::default() }) }).await);
        assert_eq!(violated_fields(&negative), ["routing.team_id", "routing.capacity_per_agent"]);
        let stale = expect_error(admin.set_team_routing(pb::SetTeamRoutingRequest { routing: Some(pb::TeamRouting { team_id: "tier1".into(), strategy: 2, etag: "7".into(), ..Default::default() }) }).await);
        assert_eq!(stale.code(), Code::Aborted);
        let mut agent = app.ticketing(Role::Agent).await;
        assert_eq!(expect_error(agent.set_team_routing(pb::SetTeamRoutingRequest { routing: Some(set.clone()) }).await).code(), Code::PermissionDenied);
        assert_eq!(agent.get_team_routing(pb::GetTeamRoutingRequest { team_id: "tier1".into() }).await.unwrap().into_inner().strategy, Strategy::RoundRobin as i32);
        assert_eq!(admin.list_team_routings(pb::ListTeamRoutingsRequest {}).await.unwrap().into_inner().routings.len(), 1);
        admin.delete_team_routing(pb::DeleteTeamRoutingRequest { team_id: "tier1".into() }).await.unwrap();
        assert_eq!(expect_error(admin.get_team_routing(pb::GetTeamRoutingRequest { team_id: "tier1".into() }).await).code(), Code::NotFound);
        assert_eq!(expect_error(admin.delete_team_routing(pb::DeleteTeamRoutingRequest { team_id: "tier1".into() }).await).code(), Code::NotFound);
        assert_eq!(violated_fields(&expect_error(admin.get_team_routing(pb::GetTeamRoutingRequest { team_id: String::new() }).await)), ["team_id"]);
    }
}
