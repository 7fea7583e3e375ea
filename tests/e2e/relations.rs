//! Links, merges, satisfaction ratings and the audit trail.
use frontline_proto::ticketing::v1::{self as pb, SatisfactionRating, TicketLinkKind, TicketStatus, TicketType};
use frontline_shared::auth::Role;
use prost_types::FieldMask;
use tonic::Code;

use crate::{
    conversation::comment,
    on_both_backends,
    support::{error_reason, expect_error, violated_fields},
    tickets,
};

fn set_status(id: &str, status: TicketStatus) -> pb::UpdateTicketRequest {
    pb::UpdateTicketRequest {
        ticket: Some(pb::Ticket { id: id.into(), status: status as i32, ..Default::default() }),
        update_mask: Some(FieldMask { paths: vec!["status".into()] }),
    }
}

on_both_backends! {
    /// An outage: one problem, many incidents; solving the problem solves them all.
    async fn solving_a_problem_solves_its_incidents(app) {
        let mut agent = app.ticketing(Role::Agent).await;
        let requester = tickets::requester(&mut agent).await;
        let problem = tickets::create(&mut agent, pb::Ticket { r#type: TicketType::Problem as i32, ..tickets::ticket(&requester, "Export service down") }).await;
        let incident = tickets::create(&mut agent, pb::Ticket { r#type: TicketType::Incident as i32, ..tickets::ticket(&requester, "My export fails") }).await;
        let question = tickets::create(&mut agent, tickets::ticket(&requester, "How do exports work?")).await;
        let link = agent.link_tickets(pb::LinkTicketsRequest { ticket_id: incident.id.clone(), linked_ticket_id: problem.id.clone(), kind: TicketLinkKind::IncidentOf as i32 }).await.unwrap().into_inner();
        assert_eq!(link.kind, TicketLinkKind::IncidentOf as i32);
        agent.link_tickets(pb::LinkTicketsRequest { ticket_id: question.id.clone(), linked_ticket_id: problem.id.clone(), kind: TicketLinkKind::Related as i32 }).await.unwrap();
        let links = agent.list_ticket_links(pb::ListTicketLinksRequest { ticket_id: problem.id.clone() }).await.unwrap().into_inner();
        assert_eq!(links.links.len(), 2);

        agent.update_ticket(set_status(&problem.id, TicketStatus::Solved)).await.unwrap();
        let solved = agent.get_ticket(pb::GetTicketRequest { id: incident.id.clone() }).await.unwrap().into_inner();
        assert_eq!(solved.status, TicketStatus::Solved as i32);
        assert_eq!(solved.problem_id, problem.id);
        let untouched = agent.get_ticket(pb::GetTicketRequest { id: question.id.clone() }).await.unwrap().into_inner();
        assert_eq!(untouched.status, TicketStatus::New as i32, "a related ticket is not an incident");

        let wrong = expect_error(agent.link_tickets(pb::LinkTicketsRequest { ticket_id: question.id.clone(), linked_ticket_id: problem.id.clone(), kind: TicketLinkKind::IncidentOf as i32 }).await);
        assert_eq!(violated_fields(&wrong), ["kind"]);
        let itself = expect_error(agent.link_tickets(pb::LinkTicketsRequest { ticket_id: question.id.clone(), linked_ticket_id: question.id.clone(), kind: TicketLinkKind::Related as i32 }).await);
        assert_eq!(violated_fields(&itself), ["linked_ticket_id"]);
        agent.unlink_tickets(pb::UnlinkTicketsRequest { ticket_id: question.id.clone(), linked_ticket_id: problem.id.clone() }).await.unwrap();
        let gone = expect_error(agent.unlink_tickets(pb::UnlinkTicketsRequest { ticket_id: question.id, linked_ticket_id: problem.id }).await);
        assert_eq!(gone.code(), Code::NotFound);
    }
}

on_both_backends! {
    async fn merged_tickets_close_and_their_conversation_joins_the_target(app) {
        let mut agent = app.ticketing(Role::Agent).await;
        let requester = tickets::requester(&mut agent).await;
        let target = tickets::create(&mut agent, tickets::ticket(&requester, "Invoice wrong")).await;
        let duplicate = tickets::create(&mut agent, tickets::ticket(&requester, "Invoice wrong (again)")).await;
        comment(&mut agent, &duplicate.id, "Sent twice by the customer", false, TicketStatus::Unspecified).await;
        let merged = agent.merge_tickets(pb::MergeTicketsRequest { source_ids: vec![duplicate.id.clone()], target_id: target.id.clone() }).await.unwrap().into_inner();
        let source = &merged.sources[0];
        assert_eq!((source.status, source.merged_into_id.as_str()), (TicketStatus::Closed as i32, target.id.as_str()));
        let joined = agent.list_comments(pb::ListCommentsRequest { ticket_id: target.id.clone(), ..Default::default() }).await.unwrap().into_inner();
        let bodies: Vec<&str> = joined.comments.iter().map(|c| c.body.as_str()).collect();
        assert!(bodies[0].contains(&format!("#{} was merged into this ticket", duplicate.id)), "{bodies:?}");
        assert_eq!(bodies[1], "Sent twice by the customer");
        let says = agent.list_comments(pb::ListCommentsRequest { ticket_id: duplicate.id.clone(), ..Default::default() }).await.unwrap().into_inner();
        assert!(says.comments.last().unwrap().body.contains(&format!("Merged into ticket #{}", target.id)));

        let closed = expect_error(agent.merge_tickets(pb::MergeTicketsRequest { source_ids: vec![target.id.clone()], target_id: duplicate.id.clone() }).await);
        assert_eq!((closed.code(), error_reason(&closed).as_str()), (Code::FailedPrecondition, "TICKET_CLOSED"));
        let none = expect_error(agent.merge_tickets(pb::MergeTicketsRequest { source_ids: vec![], target_id: target.id }).await);
        assert_eq!(violated_fields(&none), ["source_ids"]);
    }
}

on_both_backends! {
    /// CSAT: offered on solve, rated once per solve by the requester, offered again after a reopen.
    async fn the_requester_rates_each_solve(app) {
        let mut agent = app.ticketing(Role::Agent).await;
        let requester = tickets::requester(&mut agent).await;
        let ticket = tickets::create(&mut agent, tickets::ticket(&requester, "Printer")).await;
        let mut portal = app.ticketing(Role::Portal).await;
        let rate = |rating: SatisfactionRating, comment: &str| pb::RateTicketRequest { ticket_id: ticket.id.clone(), rating: rating as i32, comment: comment.into() };
        let early = expect_error(portal.rate_ticket(rate(SatisfactionRating::Good, "")).await);
        assert_eq!((early.code(), error_reason(&early).as_str()), (Code::FailedPrecondition, "SURVEY_NOT_OFFERED"));

        let solved = agent.update_ticket(set_status(&ticket.id, TicketStatus::Solved)).await.unwrap().into_inner();
        assert_eq!(solved.satisfaction.unwrap().rating, SatisfactionRating::Offered as i32);
        portal.rate_ticket(rate(SatisfactionRating::Bad, "Took a week")).await.unwrap();
        let rated = portal.rate_ticket(rate(SatisfactionRating::Good, "Fixed after all")).await.unwrap().into_inner();
        let satisfaction = rated.satisfaction.unwrap();
        assert_eq!((satisfaction.rating, satisfaction.comment.as_str()), (SatisfactionRating::Good as i32, "Fixed after all"));

        comment(&mut portal, &ticket.id, "It broke again", true, TicketStatus::Unspecified).await;
        let reopened = agent.get_ticket(pb::GetTicketRequest { id: ticket.id.clone() }).await.unwrap().into_inner();
        assert!(reopened.satisfaction.is_none(), "the next solve offers a fresh survey");

        let offered = expect_error(portal.rate_ticket(rate(SatisfactionRating::Offered, "")).await);
        assert_eq!(violated_fields(&offered), ["rating"]);
        let denied = expect_error(agent.rate_ticket(rate(SatisfactionRating::Good, "")).await);
        assert_eq!(denied.code(), Code::PermissionDenied, "agents do not rate their own work");
    }
}

on_both_backends! {
    async fn the_audit_trail_pages_through_every_change(app) {
        let mut agent = app.ticketing(Role::Agent).await;
        let requester = tickets::requester(&mut agent).await;
        let ticket = tickets::create(&mut agent, tickets::ticket(&requester, "Audit me")).await;
        agent.update_ticket(pb::UpdateTicketRequest {
            ticket: Some(pb::Ticket { id: ticket.id.clone(), priority: 4, ..Default::default() }),
            update_mask: Some(FieldMask { paths: vec!["priority".into()] }),
        }).await.unwrap();
        comment(&mut agent, &ticket.id, "Looking", true, TicketStatus::Unspecified).await;
        let first = agent.list_ticket_audits(pb::ListTicketAuditsRequest { ticket_id: ticket.id.clone(), page_size: 2, ..Default::default() }).await.unwrap().into_inner();
        let rest = agent.list_ticket_audits(pb::ListTicketAuditsRequest { ticket_id: ticket.id.clone(), page_size: 2, page_token: first.next_page_token.clone() }).await.unwrap().into_inner();
        let actions: Vec<_> = first.audits.iter().chain(&rest.audits).map(|a| a.action.as_str()).collect();
        assert_eq!(actions, ["created", "updated", "commented:public_reply"]);
        let priority = first.audits[1].changes.iter().find(|c| c.field == "priority").unwrap();
        assert_eq!((priority.old_value.as_str(), priority.new_value.as_str()), ("2", "4"));
        assert_eq!(first.audits[1].actor, "test-agent");
        let missing = expect_error(agent.list_ticket_audits(pb::ListTicketAuditsRequest { ticket_id: "0".into(), ..Default::default() }).await);
        assert_eq!(violated_fields(&missing), ["ticket_id"]);
    }
}
