//! The conversation: replies, internal notes, what requesters' proxies may see.
use frontline_proto::ticketing::v1::{self as pb, AuthorRole, Channel, TicketStatus};
use frontline_shared::auth::Role;
use tonic::Code;

use crate::{
    on_both_backends,
    support::{Ticketing, error_reason, expect_error, violated_fields},
    tickets,
};

pub async fn comment(
    client: &mut Ticketing,
    ticket_id: &str,
    body: &str,
    public: bool,
    status: TicketStatus,
) -> pb::AddCommentResponse {
    client
        .add_comment(pb::AddCommentRequest {
            ticket_id: ticket_id.into(),
            body: body.into(),
            public,
            channel: Channel::Email as i32,
            status: status as i32,
            ..Default::default()
        })
        .await
        .expect("comment added")
        .into_inner()
}

on_both_backends! {
    async fn the_first_public_agent_reply_is_the_first_reply_and_notes_are_not(app) {
        let mut agent = app.ticketing(Role::Agent).await;
        let requester = tickets::requester(&mut agent).await;
        let ticket = tickets::create(&mut agent, tickets::ticket(&requester, "Export fails")).await;
        let note = comment(&mut agent, &ticket.id, "Checking the logs first", false, TicketStatus::Unspecified).await;
        assert!(note.ticket.as_ref().unwrap().first_reply_at.is_none(), "a note is no reply");
        let reply = comment(&mut agent, &ticket.id, "We are on it.", true, TicketStatus::Pending).await;
        let after = reply.ticket.unwrap();
        assert!(after.first_reply_at.is_some());
        assert_eq!(after.status, TicketStatus::Pending as i32);
        let listed = agent.list_comments(pb::ListCommentsRequest { ticket_id: ticket.id.clone(), ..Default::default() }).await.unwrap().into_inner();
        assert_eq!(listed.comments.len(), 2);
        assert_eq!(listed.comments[0].author_role, AuthorRole::Agent as i32);
    }
}

on_both_backends! {
    /// An email gateway relays the customer's answer: the ticket reopens, and the gateway
    /// never sees what agents wrote to each other.
    async fn requester_replies_reopen_and_portals_never_see_internal_notes(app) {
        let mut agent = app.ticketing(Role::Agent).await;
        let requester = tickets::requester(&mut agent).await;
        let ticket = tickets::create(&mut agent, tickets::ticket(&requester, "Refund")).await;
        comment(&mut agent, &ticket.id, "Customer is on the legacy plan", false, TicketStatus::Unspecified).await;
        comment(&mut agent, &ticket.id, "Could you send the invoice number?", true, TicketStatus::Pending).await;

        let mut gateway = app.ticketing(Role::Portal).await;
        let answer = comment(&mut gateway, &ticket.id, "It is FV/10/2026", true, TicketStatus::Unspecified).await;
        assert_eq!(answer.comment.as_ref().unwrap().author_id, requester, "the requester's reply, relayed");
        assert_eq!(answer.ticket.as_ref().unwrap().status, TicketStatus::Open as i32);
        assert!(answer.ticket.unwrap().last_requester_reply_at.is_some());
        let seen = gateway.list_comments(pb::ListCommentsRequest { ticket_id: ticket.id.clone(), ..Default::default() }).await.unwrap().into_inner();
        assert_eq!(seen.comments.len(), 2);
        assert!(seen.comments.iter().all(|c| c.public), "no internal notes for a portal");

        let status = expect_error(gateway.add_comment(pb::AddCommentRequest { ticket_id: ticket.id.clone(), body: "x".into(), status: TicketStatus::Solved as i32, ..Default::default() }).await);
        assert_eq!(violated_fields(&status), ["status"]);
        let audits = expect_error(gateway.list_ticket_audits(pb::ListTicketAuditsRequest { ticket_id: ticket.id, ..Default::default() }).await);
        assert_eq!(audits.code(), Code::PermissionDenied);
    }
}

on_both_backends! {
    async fn comment_mistakes_are_named_and_closed_tickets_take_none(app) {
        let mut agent = app.ticketing(Role::Agent).await;
        let requester = tickets::requester(&mut agent).await;
        let ticket = tickets::create(&mut agent, tickets::ticket(&requester, "Question")).await;
        let empty = expect_error(agent.add_comment(pb::AddCommentRequest { ticket_id: ticket.id.clone(), body: "  ".into(), ..Default::default() }).await);
        assert_eq!(violated_fields(&empty), ["body"]);
        let attachment = expect_error(agent.add_comment(pb::AddCommentRequest {
            ticket_id: ticket.id.clone(),
            body: "see attached".into(),
            attachments: vec![pb::Attachment { name: "log.txt".into(), size_bytes: 10, content_type: "text/plain".into(), url: "file:///etc/passwd".into() }],
            ..Default::default()
        }).await);
        assert_eq!(violated_fields(&attachment), ["attachments[0].url"]);
        let missing = expect_error(agent.add_comment(pb::AddCommentRequest { ticket_id: "999".into(), body: "hi".into(), ..Default::default() }).await);
        assert_eq!(missing.code(), Code::NotFound);

        comment(&mut agent, &ticket.id, "Solved", true, TicketStatus::Solved).await;
        agent.update_ticket(pb::UpdateTicketRequest {
            ticket: Some(pb::Ticket { id: ticket.id.clone(), status: TicketStatus::Closed as i32, ..Default::default() }),
            update_mask: Some(prost_types::FieldMask { paths: vec!["status".into()] }),
        }).await.unwrap();
        let closed = expect_error(agent.add_comment(pb::AddCommentRequest { ticket_id: ticket.id.clone(), body: "one more thing".into(), public: true, ..Default::default() }).await);
        assert_eq!((closed.code(), error_reason(&closed).as_str()), (Code::FailedPrecondition, "TICKET_CLOSED"));
        let mut bi = app.ticketing(Role::BiReader).await;
        let denied = expect_error(bi.add_comment(pb::AddCommentRequest { ticket_id: ticket.id, body: "hi".into(), ..Default::default() }).await);
        assert_eq!(denied.code(), Code::PermissionDenied);
    }
}
