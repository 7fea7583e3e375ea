//! End users signed in to a help centre, each bound to one customer: their own tickets (and
//! their organisation's when it shares them), public comments only, tickets for themselves only.
//! And the channel gateway (`portal`), which writes for any requester as that requester.
use frontline_proto::ticketing::v1 as tk;
use frontline_shared::auth::Role;
use prost_types::FieldMask;
use tonic::Code;

use crate::{
    on_both_backends,
    support::{Bearer, TestApp, Ticketing, expect_error},
};

async fn customer(admin: &mut Ticketing, name: &str, organization_id: &str) -> tk::Customer {
    let customer = tk::Customer { name: name.into(), organization_id: organization_id.into(), ..Default::default() };
    admin
        .create_customer(tk::CreateCustomerRequest { customer: Some(customer), ..Default::default() })
        .await
        .unwrap()
        .into_inner()
}

async fn ticket_for(
    client: &mut Ticketing,
    requester_id: &str,
    subject: &str,
) -> Result<tonic::Response<tk::Ticket>, tonic::Status> {
    let ticket = tk::Ticket {
        requester_id: requester_id.into(),
        subject: subject.into(),
        description: format!("{subject}, please help."),
        ..Default::default()
    };
    client.create_ticket(tk::CreateTicketRequest { ticket: Some(ticket), request_id: String::new() }).await
}

async fn signed_in(app: &TestApp, customer: &tk::Customer) -> Ticketing {
    app.ticketing_as(Bearer::token(&app.end_user_token(&customer.name, &customer.id))).await
}

async fn listed(client: &mut Ticketing) -> Vec<String> {
    let page = client.list_tickets(tk::ListTicketsRequest { page_size: 100, ..Default::default() }).await.unwrap();
    let mut subjects: Vec<String> = page.into_inner().tickets.into_iter().map(|t| t.subject).collect();
    subjects.sort();
    subjects
}

on_both_backends! {
    async fn an_end_user_reads_and_replies_on_their_own_tickets_only(app) {
        let mut admin = app.ticketing(Role::Administrator).await;
        let maria = customer(&mut admin, "Maria", "").await;
        let jan = customer(&mut admin, "Jan", "").await;
        let jans = ticket_for(&mut admin, &jan.id, "Jan's parcel").await.unwrap().into_inner();
        let mut as_maria = signed_in(&app, &maria).await;

        // Maria opens a ticket for herself; the requester is filled in from her token.
        let own = ticket_for(&mut as_maria, "", "Maria's invoice").await.unwrap().into_inner();
        assert_eq!(own.requester_id, maria.id);
        let for_jan = expect_error(ticket_for(&mut as_maria, &jan.id, "On Jan's behalf").await);
        assert_eq!(for_jan.code(), Code::PermissionDenied);
        assert!(for_jan.message().contains("requester_id"), "{}", for_jan.message());
        let mut routed = tk::Ticket { subject: "Pick an agent".into(), assignee_id: "agent-ola".into(), ..Default::default() };
        routed.description = "x".into();
        let chose = expect_error(as_maria.create_ticket(tk::CreateTicketRequest { ticket: Some(routed), request_id: String::new() }).await);
        assert_eq!(chose.code(), Code::PermissionDenied);
        // Nor may she file it under another organisation, or probe other tickets through it.
        for (field, ticket) in [
            ("ticket.organization_id", tk::Ticket { organization_id: "org-someone-else".into(), ..Default::default() }),
            ("ticket.problem_id", tk::Ticket { problem_id: jans.id.clone(), ..Default::default() }),
            ("ticket.external_id", tk::Ticket { external_id: "crm-ticket-1".into(), ..Default::default() }),
            ("ticket.tags", tk::Ticket { tags: vec!["vip".into()], ..Default::default() }),
        ] {
            let ticket = tk::Ticket { subject: "Probe".into(), description: "x".into(), ..ticket };
            let refused = expect_error(as_maria.create_ticket(tk::CreateTicketRequest { ticket: Some(ticket), request_id: String::new() }).await);
            assert_eq!(refused.code(), Code::PermissionDenied, "{field}: {refused:?}");
            assert!(refused.message().contains(field), "{field}: {}", refused.message());
        }

        // Jan's ticket does not exist for Maria, by id or in a list.
        let hidden = expect_error(as_maria.get_ticket(tk::GetTicketRequest { id: jans.id.clone() }).await);
        let missing = expect_error(as_maria.get_ticket(tk::GetTicketRequest { id: "999999".into() }).await);
        assert_eq!((hidden.code(), missing.code()), (Code::NotFound, Code::NotFound));
        assert_eq!(listed(&mut as_maria).await, ["Maria's invoice"]);
        let filtered = as_maria.list_tickets(tk::ListTicketsRequest { filter: format!("requester_id = \"{}\"", jan.id), ..Default::default() }).await.unwrap();
        assert!(filtered.into_inner().tickets.is_empty(), "a filter cannot widen the scope");
        let reply = |ticket_id: &str| tk::AddCommentRequest { ticket_id: ticket_id.into(), body: "Any news?".into(), ..Default::default() };
        assert_eq!(expect_error(as_maria.add_comment(reply(&jans.id)).await).code(), Code::NotFound);

        // On her own ticket she replies as the requester and never sees internal notes.
        let mut agent = app.ticketing(Role::Agent).await;
        agent.add_comment(tk::AddCommentRequest { ticket_id: own.id.clone(), body: "Customer sounds upset".into(), public: false, ..Default::default() }).await.unwrap().into_inner();
        agent.add_comment(tk::AddCommentRequest { ticket_id: own.id.clone(), body: "We are on it.".into(), public: true, ..Default::default() }).await.unwrap().into_inner();
        let mine = as_maria.add_comment(reply(&own.id)).await.unwrap().into_inner().comment.unwrap();
        assert_eq!((mine.author_id.as_str(), mine.public), (maria.id.as_str(), true));
        assert_eq!(mine.author_role, tk::AuthorRole::Requester as i32);
        let comments = as_maria.list_comments(tk::ListCommentsRequest { ticket_id: own.id.clone(), ..Default::default() }).await.unwrap().into_inner().comments;
        let bodies: Vec<&str> = comments.iter().map(|c| c.body.as_str()).collect();
        assert!(!bodies.contains(&"Customer sounds upset"), "internal note shown: {bodies:?}");
        assert!(bodies.contains(&"We are on it.") && bodies.contains(&"Any news?"), "{bodies:?}");

        // Her search finds her tickets by their public words, never by an internal note's.
        let by_note = as_maria.search_tickets(tk::SearchTicketsRequest { query: "upset".into(), ..Default::default() }).await.unwrap().into_inner();
        assert_eq!((by_note.tickets.len(), by_note.total_size), (0, 0), "{by_note:?}");

        // The staff side of a ticket, views and customers are not hers.
        let denied = [
            expect_error(as_maria.list_ticket_audits(tk::ListTicketAuditsRequest { ticket_id: own.id.clone(), ..Default::default() }).await),
            expect_error(as_maria.list_ticket_links(tk::ListTicketLinksRequest { ticket_id: own.id.clone() }).await),
            expect_error(as_maria.list_ticket_views(tk::ListTicketViewsRequest::default()).await),
            expect_error(as_maria.get_customer(tk::GetCustomerRequest { id: jan.id.clone() }).await),
            expect_error(as_maria.update_ticket(tk::UpdateTicketRequest {
                ticket: Some(tk::Ticket { id: own.id.clone(), priority: tk::Priority::Urgent as i32, ..Default::default() }),
                update_mask: Some(FieldMask { paths: vec!["priority".into()] }),
            }).await),
        ];
        for status in denied {
            assert_eq!(status.code(), Code::PermissionDenied, "{}", status.message());
        }
    }
}

on_both_backends! {
    async fn an_organisation_that_shares_its_tickets_shows_them_to_its_people(app) {
        let mut admin = app.ticketing(Role::Administrator).await;
        let organization = admin.create_organization(tk::CreateOrganizationRequest {
            organization: Some(tk::Organization { name: "Kowalski Logistyka".into(), shared_tickets: true, ..Default::default() }),
            ..Default::default()
        }).await.unwrap().into_inner();
        assert!(organization.shared_tickets);
        let ewa = customer(&mut admin, "Ewa", &organization.id).await;
        let piotr = customer(&mut admin, "Piotr", &organization.id).await;
        let stranger = customer(&mut admin, "Stranger", "").await;
        let piotrs = ticket_for(&mut admin, &piotr.id, "Piotr's pallet").await.unwrap().into_inner();
        ticket_for(&mut admin, &stranger.id, "Someone else's").await.unwrap().into_inner();
        let mut as_ewa = signed_in(&app, &ewa).await;

        assert_eq!(listed(&mut as_ewa).await, ["Piotr's pallet"]);
        let seen = as_ewa.get_ticket(tk::GetTicketRequest { id: piotrs.id.clone() }).await.unwrap().into_inner();
        assert_eq!(seen.requester_id, piotr.id);
        let reply = as_ewa.add_comment(tk::AddCommentRequest { ticket_id: piotrs.id.clone(), body: "Same for our Gdańsk site.".into(), ..Default::default() }).await;
        assert!(reply.is_ok(), "a colleague may follow up on a shared ticket");
        let rating = tk::RateTicketRequest { ticket_id: piotrs.id.clone(), rating: tk::SatisfactionRating::Good as i32, comment: String::new() };
        assert_eq!(expect_error(as_ewa.rate_ticket(rating).await).code(), Code::PermissionDenied, "the rating is Piotr's");

        // Sharing switched off: Piotr's ticket is his alone again.
        admin.update_organization(tk::UpdateOrganizationRequest {
            organization: Some(tk::Organization { id: organization.id.clone(), shared_tickets: false, ..Default::default() }),
            update_mask: Some(FieldMask { paths: vec!["shared_tickets".into()] }),
        }).await.unwrap().into_inner();
        assert!(listed(&mut as_ewa).await.is_empty());
        let hidden = expect_error(as_ewa.get_ticket(tk::GetTicketRequest { id: piotrs.id.clone() }).await);
        assert_eq!(hidden.code(), Code::NotFound);
    }
}

on_both_backends! {
    async fn a_channel_gateway_opens_tickets_and_replies_for_any_requester_as_the_requester(app) {
        let mut admin = app.ticketing(Role::Administrator).await;
        let maria = customer(&mut admin, "Maria", "").await;
        let mut gateway = app.ticketing(Role::Portal).await;
        let ticket = ticket_for(&mut gateway, &maria.id, "Sent by email").await.unwrap().into_inner();
        assert_eq!(ticket.requester_id, maria.id);
        let reply = gateway.add_comment(tk::AddCommentRequest { ticket_id: ticket.id.clone(), body: "Re: Sent by email".into(), public: false, ..Default::default() }).await.unwrap().into_inner().comment.unwrap();
        assert_eq!((reply.author_id.as_str(), reply.public), (maria.id.as_str(), true), "recorded as the requester's, in public");

        let mut assigned = tk::Ticket { requester_id: maria.id.clone(), subject: "Chat".into(), description: "x".into(), team_id: "t-vip".into(), ..Default::default() };
        let refused = expect_error(gateway.create_ticket(tk::CreateTicketRequest { ticket: Some(assigned.clone()), request_id: String::new() }).await);
        assert_eq!(refused.code(), Code::PermissionDenied);
        assert!(refused.message().contains("team_id"), "{}", refused.message());
        assigned.team_id.clear();
        assert!(gateway.create_ticket(tk::CreateTicketRequest { ticket: Some(assigned), request_id: String::new() }).await.is_ok());
        let audits = expect_error(gateway.list_ticket_audits(tk::ListTicketAuditsRequest { ticket_id: ticket.id, ..Default::default() }).await);
        assert_eq!(audits.code(), Code::PermissionDenied);
    }
}
