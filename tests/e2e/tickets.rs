//! Tickets: create, read, list, update — the way an agent console and a CRM use them.
use frontline_proto::ticketing::v1::{self as pb, Channel, Priority, TicketStatus, TicketType};
use frontline_shared::auth::Role;
use prost_types::FieldMask;
use tonic::Code;

use crate::{
    customers, on_both_backends,
    support::{Ticketing, error_reason, expect_error, violated_fields},
};

pub fn ticket(requester_id: &str, subject: &str) -> pb::Ticket {
    pb::Ticket { subject: subject.into(), requester_id: requester_id.into(), ..Default::default() }
}

pub async fn create(client: &mut Ticketing, ticket: pb::Ticket) -> pb::Ticket {
    client
        .create_ticket(pb::CreateTicketRequest { ticket: Some(ticket), request_id: String::new() })
        .await
        .expect("ticket created")
        .into_inner()
}

/// A customer of an organisation, as most requesters are.
pub async fn requester(client: &mut Ticketing) -> String {
    let organization = client
        .create_organization(pb::CreateOrganizationRequest {
            organization: Some(pb::Organization {
                name: "Kowalski Logistyka".into(),
                domains: vec!["example.pl".into()],
                ..Default::default()
            }),
            request_id: "fixture-organization".into(),
        })
        .await
        .expect("organisation created")
        .into_inner();
    customers::create(client, pb::Customer { organization_id: organization.id, ..customers::zofia() }).await.id
}

fn mask(paths: &[&str]) -> Option<FieldMask> {
    Some(FieldMask { paths: paths.iter().map(|p| p.to_string()).collect() })
}

async fn update(client: &mut Ticketing, ticket: pb::Ticket, paths: &[&str]) -> Result<pb::Ticket, tonic::Status> {
    client
        .update_ticket(pb::UpdateTicketRequest { ticket: Some(ticket), update_mask: mask(paths) })
        .await
        .map(|r| r.into_inner())
}

on_both_backends! {
    async fn created_ticket_gets_a_number_defaults_and_its_requesters_organisation(app) {
        let mut client = app.ticketing(Role::Agent).await;
        let requester = requester(&mut client).await;
        let created = create(&mut client, pb::Ticket { tags: vec!["Billing".into()], ..ticket(&requester, "Nie mogę zalogować się") }).await;
        assert_eq!(created.id, "1");
        assert_eq!(created.status, TicketStatus::New as i32);
        assert_eq!(created.priority, Priority::Normal as i32);
        assert_eq!(created.channel, Channel::Api as i32);
        assert_eq!(created.r#type, TicketType::Question as i32);
        let customer = client.get_customer(pb::GetCustomerRequest { id: requester.clone() }).await.unwrap().into_inner();
        assert!(!customer.organization_id.is_empty());
        assert_eq!(created.organization_id, customer.organization_id, "inherited from the requester");
        assert_eq!(created.tags, ["billing"]);
        let fetched = client.get_ticket(pb::GetTicketRequest { id: created.id.clone() }).await.unwrap().into_inner();
        assert_eq!(fetched, created);
    }
}

on_both_backends! {
    async fn ticket_with_an_empty_subject_is_rejected_naming_the_field(app) {
        let mut client = app.ticketing(Role::Agent).await;
        let requester = requester(&mut client).await;
        let status = expect_error(client.create_ticket(pb::CreateTicketRequest { ticket: Some(ticket(&requester, "")), request_id: String::new() }).await);
        assert_eq!(status.code(), Code::InvalidArgument);
        assert_eq!(violated_fields(&status), ["ticket.subject"]);
        assert!(status.message().contains("ticket.subject"));

        let status = expect_error(client.create_ticket(pb::CreateTicketRequest { ticket: Some(ticket("nobody", "Hello")), request_id: String::new() }).await);
        assert_eq!(violated_fields(&status), ["ticket.requester_id"]);
        let status = expect_error(client.create_ticket(pb::CreateTicketRequest {
            ticket: Some(pb::Ticket { r#type: TicketType::Order as i32, priority: 42, ..ticket(&requester, "Where is my parcel?") }),
            request_id: String::new(),
        }).await);
        assert_eq!(violated_fields(&status), ["ticket.priority"], "unknown enum numbers are named");
        let listed = client.list_tickets(pb::ListTicketsRequest::default()).await.unwrap().into_inner();
        assert!(listed.tickets.is_empty(), "nothing was stored");
    }
}

on_both_backends! {
    /// A client retrying after a timeout must not open a second ticket.
    async fn repeated_request_id_returns_the_original_ticket(app) {
        let mut client = app.ticketing(Role::CrmSync).await;
        let requester = requester(&mut client).await;
        let request = pb::CreateTicketRequest { ticket: Some(ticket(&requester, "Refund please")), request_id: "crm-req-1".into() };
        let first = client.create_ticket(request.clone()).await.unwrap().into_inner();
        let retried = client.create_ticket(request.clone()).await.unwrap().into_inner();
        assert_eq!(retried, first);
        let listed = client.list_tickets(pb::ListTicketsRequest::default()).await.unwrap().into_inner();
        assert_eq!(listed.tickets.len(), 1, "one ticket, not two");

        let reused = expect_error(client.create_ticket(pb::CreateTicketRequest {
            ticket: Some(ticket(&requester, "Something else")), request_id: "crm-req-1".into(),
        }).await);
        assert_eq!(violated_fields(&reused), ["request_id"]);
    }
}

on_both_backends! {
    async fn unknown_ticket_is_not_found_and_a_malformed_id_is_invalid(app) {
        let mut client = app.ticketing(Role::Agent).await;
        let status = expect_error(client.get_ticket(pb::GetTicketRequest { id: "404".into() }).await);
        assert_eq!(status.code(), Code::NotFound);
        let status = expect_error(client.get_ticket(pb::GetTicketRequest { id: "ticket-one".into() }).await);
        assert_eq!(status.code(), Code::InvalidArgument);
        assert_eq!(violated_fields(&status), ["id"]);
        let status = expect_error(update(&mut client, pb::Ticket { id: "404".into(), subject: "x".into(), ..Default::default() }, &["subject"]).await.map(tonic::Response::new));
        assert_eq!(status.code(), Code::NotFound);
    }
}

on_both_backends! {
    async fn update_with_a_mask_changes_only_those_fields(app) {
        let mut client = app.ticketing(Role::Agent).await;
        let requester = requester(&mut client).await;
        let created = create(&mut client, ticket(&requester, "Printer on fire")).await;
        let updated = update(
            &mut client,
            pb::Ticket { id: created.id.clone(), etag: created.etag.clone(), priority: Priority::Urgent as i32, assignee_id: "agent-ola".into(), subject: "ignored".into(), ..Default::default() },
            &["priority", "assignee_id"],
        ).await.unwrap();
        assert_eq!(updated.priority, Priority::Urgent as i32);
        assert_eq!(updated.assignee_id, "agent-ola");
        assert_eq!(updated.status, TicketStatus::Open as i32, "assigning a new ticket opens it");
        assert_eq!(updated.subject, "Printer on fire");
        assert_ne!(updated.etag, created.etag);
    }
}

on_both_backends! {
    /// Two agents edit the same ticket: the second, working from a stale copy, is told to re-read.
    async fn stale_etag_is_aborted_and_changes_nothing(app) {
        let mut client = app.ticketing(Role::Agent).await;
        let requester = requester(&mut client).await;
        let created = create(&mut client, ticket(&requester, "Printer on fire")).await;
        update(&mut client, pb::Ticket { id: created.id.clone(), etag: created.etag.clone(), priority: Priority::High as i32, ..Default::default() }, &["priority"]).await.unwrap();
        let status = expect_error(update(&mut client, pb::Ticket { id: created.id.clone(), etag: created.etag.clone(), priority: Priority::Low as i32, ..Default::default() }, &["priority"]).await.map(tonic::Response::new));
        assert_eq!(status.code(), Code::Aborted);
        assert_eq!(error_reason(&status), "ETAG_MISMATCH");
        let current = client.get_ticket(pb::GetTicketRequest { id: created.id }).await.unwrap().into_inner();
        assert_eq!(current.priority, Priority::High as i32);
    }
}

on_both_backends! {
    async fn status_moves_follow_the_lifecycle(app) {
        let mut client = app.ticketing(Role::Agent).await;
        let requester = requester(&mut client).await;
        let created = create(&mut client, ticket(&requester, "Cannot export reports")).await;
        let status_of = |status: TicketStatus, id: &str| pb::Ticket { id: id.into(), status: status as i32, ..Default::default() };

        let premature = expect_error(update(&mut client, status_of(TicketStatus::Closed, &created.id), &["status"]).await.map(tonic::Response::new));
        assert_eq!(premature.code(), Code::FailedPrecondition);
        assert_eq!(error_reason(&premature), "INVALID_STATUS_TRANSITION");

        let solved = update(&mut client, status_of(TicketStatus::Solved, &created.id), &["status"]).await.unwrap();
        assert!(solved.solved_at.is_some());
        let closed = update(&mut client, status_of(TicketStatus::Closed, &created.id), &["status"]).await.unwrap();
        assert!(closed.closed_at.is_some());
        let reopen = expect_error(update(&mut client, status_of(TicketStatus::Open, &created.id), &["status"]).await.map(tonic::Response::new));
        assert_eq!(reopen.code(), Code::FailedPrecondition, "closed is final");
        assert!(reopen.message().contains("closed"), "{}", reopen.message());

        let bad_path = expect_error(update(&mut client, pb::Ticket { id: created.id.clone(), ..Default::default() }, &["created_at"]).await.map(tonic::Response::new));
        assert_eq!(violated_fields(&bad_path), ["update_mask.paths"]);
    }
}

on_both_backends! {
    /// The queue a team lead watches: open, high or urgent, billing, for one team.
    async fn list_filters_orders_and_pages_through_every_match_once(app) {
        let mut client = app.ticketing_in_team(Role::TeamLead, "lead-1", "t-1").await;
        let requester = requester(&mut client).await;
        let mut matching = Vec::new();
        for n in 0..7 {
            let priority = if n % 2 == 0 { Priority::High } else { Priority::Low };
            let tags = if n == 4 { vec!["shipping".to_string()] } else { vec!["billing".to_string()] };
            let created = create(&mut client, pb::Ticket { priority: priority as i32, tags, team_id: "t-1".into(), assignee_id: "agent-1".into(), ..ticket(&requester, &format!("Ticket {n}")) }).await;
            if priority == Priority::High && n != 4 {
                matching.push(created.id);
            }
        }
        let filter = r#"status = OPEN AND priority >= HIGH AND tags:"billing" AND team = "t-1""#;
        let mut seen = Vec::new();
        let mut token = String::new();
        loop {
            let page = client.list_tickets(pb::ListTicketsRequest { page_size: 2, page_token: token, filter: filter.into(), order_by: "created_at".into(), ..Default::default() })
                .await.unwrap().into_inner();
            assert!(page.tickets.len() <= 2);
            seen.extend(page.tickets.into_iter().map(|t| t.id));
            if page.next_page_token.is_empty() { break; }
            token = page.next_page_token;
        }
        assert_eq!(seen, matching, "oldest first, each match exactly once");

        let by_priority = client.list_tickets(pb::ListTicketsRequest { order_by: "priority desc".into(), ..Default::default() }).await.unwrap().into_inner();
        assert_eq!(by_priority.tickets[0].priority, Priority::High as i32);

        let first = client.list_tickets(pb::ListTicketsRequest { page_size: 1, filter: filter.into(), ..Default::default() }).await.unwrap().into_inner();
        let reused = expect_error(client.list_tickets(pb::ListTicketsRequest { page_size: 1, page_token: first.next_page_token, filter: "status = NEW".into(), ..Default::default() }).await);
        assert_eq!(violated_fields(&reused), ["page_token"]);
        let bad = expect_error(client.list_tickets(pb::ListTicketsRequest { filter: "colour = RED".into(), ..Default::default() }).await);
        assert_eq!(bad.code(), Code::InvalidArgument);
        assert_eq!(violated_fields(&bad), ["filter"]);
        assert!(bad.message().contains("colour"), "{}", bad.message());
        let bad_order = expect_error(client.list_tickets(pb::ListTicketsRequest { order_by: "subject".into(), ..Default::default() }).await);
        assert_eq!(violated_fields(&bad_order), ["order_by"]);
    }
}
