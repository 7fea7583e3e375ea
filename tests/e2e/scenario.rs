//! A day at the help desk, end to end: the audit trail and the change feed tell one story.
use std::time::Duration;

use frontline_proto::{
    common::v1::ListEventsRequest,
    ticketing::v1::{self as pb, Channel, SatisfactionRating, TicketStatus},
};
use frontline_shared::auth::Role;
use prost_types::FieldMask;

use crate::{conversation::comment, on_both_backends, support::eventually};

on_both_backends! {
    with crate::support::without_suggestions;
    async fn a_day_at_the_help_desk(app) {
        // A CRM pushes a customer.
        let mut crm = app.ticketing(Role::CrmSync).await;
        let customer = crm.upsert_customer(pb::UpsertCustomerRequest {
            customer: Some(pb::Customer { name: "Dawid Levi".into(), emails: vec!["david@galil.example".into()], external_id: "crm-1002".into(), locale: "he".into(), ..Default::default() }),
        }).await.unwrap().into_inner().customer.unwrap();

        // An email arrives through the gateway and is routed to billing.
        let mut gateway = app.ticketing(Role::Service).await;
        let ticket = gateway.create_ticket(pb::CreateTicketRequest {
            ticket: Some(pb::Ticket { subject: "החיוב כפול בכרטיס האשראי שלי".into(), requester_id: customer.id.clone(), channel: Channel::Email as i32, locale: "he".into(), ..Default::default() }),
            request_id: "mail-<abc@galil.example>".into(),
        }).await.unwrap().into_inner();
        let routed = gateway.update_ticket(pb::UpdateTicketRequest {
            ticket: Some(pb::Ticket { id: ticket.id.clone(), team_id: "t-billing".into(), ..Default::default() }),
            update_mask: Some(FieldMask { paths: vec!["team_id".into()] }),
        }).await.unwrap().into_inner();
        assert_eq!(routed.team_id, "t-billing");

        // An agent of billing replies, notes, and sets pending.
        let mut agent = app.ticketing_in_team(Role::Agent, "agent-yossi", "t-billing").await;
        comment(&mut agent, &ticket.id, "Refund approved by finance", false, TicketStatus::Unspecified).await;
        let replied = comment(&mut agent, &ticket.id, "We have refunded the second charge.", true, TicketStatus::Pending).await.ticket.unwrap();
        assert!(replied.first_reply_at.is_some());
        assert_eq!(replied.status, TicketStatus::Pending as i32);

        // The customer answers by email: the ticket reopens.
        let mut portal = app.ticketing(Role::Portal).await;
        let reopened = comment(&mut portal, &ticket.id, "תודה! I still see it on my statement", true, TicketStatus::Unspecified).await.ticket.unwrap();
        assert_eq!(reopened.status, TicketStatus::Open as i32);

        // Solved, then rated.
        comment(&mut agent, &ticket.id, "The bank shows the refund pending; it clears in 3 days.", true, TicketStatus::Solved).await;
        let rated = portal.rate_ticket(pb::RateTicketRequest { ticket_id: ticket.id.clone(), rating: SatisfactionRating::Good as i32, comment: "Quick, thanks".into() }).await.unwrap().into_inner();
        assert_eq!(rated.status, TicketStatus::Solved as i32);
        assert_eq!(rated.satisfaction.unwrap().rating, SatisfactionRating::Good as i32);

        // The audit trail and the feed tell the same story.
        let audits = agent.list_ticket_audits(pb::ListTicketAuditsRequest { ticket_id: ticket.id.clone(), page_size: 100, ..Default::default() }).await.unwrap().into_inner();
        let story: Vec<&str> = audits.audits.iter().map(|a| a.action.as_str()).collect();
        assert_eq!(story, ["created", "updated", "commented:internal_note", "commented:public_reply", "commented:public_reply", "commented:public_reply", "rated"]);

        let mut reader = app.ticketing(Role::Service).await;
        let events = eventually(Duration::from_secs(20), || {
            let mut reader = reader.clone();
            let id = ticket.id.clone();
            async move {
                let page = reader.list_events(ListEventsRequest { after_position: 0, page_size: 1000 }).await.ok()?.into_inner();
                let events: Vec<String> = page.events.into_iter().filter(|e| e.aggregate_type == "ticket" && e.aggregate_id == id).map(|e| e.event_type).collect();
                (events.len() == 7).then_some(events)
            }
        }).await;
        assert_eq!(events, ["ticket.created", "ticket.updated", "ticket.commented", "ticket.commented", "ticket.commented", "ticket.commented", "ticket.rated"]);
        let _ = &mut reader;
    }
}
