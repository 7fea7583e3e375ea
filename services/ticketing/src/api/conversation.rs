//! The conversation: public replies and internal notes, from agents and — through a portal or
//! channel gateway — from requesters.
use frontline_proto::ticketing::v1 as pb;
use frontline_shared::{
    ApiError, ApiResult,
    auth::Principal,
    database::time,
    error::Violations,
    feed::{self, NewEvent},
    pagination::{self, Cursor},
};

use sqlx::AnyConnection;

use super::{RequestId, TicketingApi, check_request_id, convert, fingerprint, tickets::parse_ticket_id};
use crate::{
    domain::{
        Channel,
        access::{self, Action, authorize},
        comment::{AuthorRole, Comment},
        sla::Event,
        ticket::Ticket,
        ticket_facts::TicketEvent,
    },
    store::{comments, sla as sla_store},
};

/// A comment to add, as the caller gave it.
pub(super) struct NewComment {
    pub author_id: String,
    pub author_role: AuthorRole,
    pub public: bool,
    pub body: String,
    pub channel: Channel,
    pub attachments: Vec<crate::domain::comment::Attachment>,
    pub requested_status: Option<crate::domain::Status>,
}

impl TicketingApi {
    pub(super) async fn add_comment(
        &self,
        principal: &Principal,
        request: pb::AddCommentRequest,
    ) -> ApiResult<pb::AddCommentResponse> {
        // A gateway or an end user writes as the requester; everyone else who may change
        // tickets is staff or a program.
        let author_role = if principal.role.reads_as_customer() {
            authorize(principal, Action::ActForRequester)?;
            AuthorRole::Requester
        } else {
            authorize(principal, Action::WriteTickets)?;
            AuthorRole::Agent
        };
        check_request_id(&request.request_id)?;
        let ticket_id = parse_ticket_id("ticket_id", &request.ticket_id)?;
        let request_hash = fingerprint(&request);
        let mut violations = Violations::new();
        let channel = convert::channel(&mut violations, "channel", request.channel).unwrap_or(Channel::Api);
        let requested_status = convert::status(&mut violations, "status", request.status);
        violations.into_result()?;

        let mut transaction = self.db.begin().await?;
        let request_id = RequestId::new("add_comment", principal, &request.request_id);
        if let Some(resource_id) = request_id.claim(&mut transaction, &request_hash).await? {
            let ticket = self.visible_ticket(&mut transaction, principal, ticket_id).await?;
            let original = comments::all(&mut transaction, ticket_id)
                .await?
                .into_iter()
                .find(|comment| comment.id.to_string() == resource_id)
                .ok_or_else(|| ApiError::not_found("comment", &resource_id))?;
            return Ok(pb::AddCommentResponse {
                comment: Some(convert::comment(&original)),
                ticket: Some(convert::ticket(&ticket)),
            });
        }
        let current = self.visible_ticket(&mut transaction, principal, ticket_id).await?;
        if !request.etag.is_empty() && request.etag != current.etag() {
            return Err(ApiError::stale_etag("ticket", &ticket_id.to_string()));
        }
        let author_id = if author_role == AuthorRole::Requester {
            // A requester's reply is the requester's, whoever relays it.
            current.requester_id.clone()
        } else {
            principal.subject.clone()
        };
        let input = NewComment {
            author_id,
            author_role,
            public: request.public || author_role == AuthorRole::Requester,
            body: request.body,
            channel,
            attachments: convert::attachments(request.attachments),
            requested_status,
        };
        let (comment, ticket) = self.comment_within(&mut transaction, principal, current, input).await?;
        request_id.complete(&mut transaction, &comment.id.to_string()).await?;
        let (wire_comment, wire_ticket) = (convert::comment(&comment), convert::ticket(&ticket));
        transaction.commit().await?;
        self.committed();
        Ok(pb::AddCommentResponse { comment: Some(wire_comment), ticket: Some(wire_ticket) })
    }

    /// Adds a comment inside the caller's transaction: the comment, its search terms, its SLA
    /// event, the ticket's change, the feed event, then the triggers. Returns the comment and
    /// the ticket as it ends up.
    pub(super) async fn comment_within(
        &self,
        connection: &mut AnyConnection,
        principal: &Principal,
        current: Ticket,
        input: NewComment,
    ) -> ApiResult<(Comment, Ticket)> {
        let before = current.clone();
        let (comment, ticket) = self.store_comment(connection, principal, current, input).await?;
        let event = TicketEvent::Commented {
            public: comment.public,
            by_requester: comment.author_role == AuthorRole::Requester,
            body: comment.body.clone(),
        };
        let ticket = self.run_triggers(connection, Some(&before), ticket, event).await?;
        Ok((comment, ticket))
    }

    /// An internal note from a rule: recorded like any comment, but it sets off no triggers.
    pub(super) async fn note_within(
        &self,
        connection: &mut AnyConnection,
        principal: &Principal,
        current: Ticket,
        note: NewComment,
    ) -> ApiResult<Ticket> {
        Ok(self.store_comment(connection, principal, current, note).await?.1)
    }

    /// [`TicketingApi::comment_within`] without the triggers.
    async fn store_comment(
        &self,
        connection: &mut AnyConnection,
        principal: &Principal,
        current: Ticket,
        input: NewComment,
    ) -> ApiResult<(Comment, Ticket)> {
        let now = self.clock.now_micros();
        let ticket_id = current.id;
        let mut comment = Comment {
            id: 0,
            ticket_id,
            author_id: input.author_id,
            author_role: input.author_role,
            public: input.public,
            body: input.body,
            channel: input.channel,
            attachments: input.attachments,
            created_at: now,
        };
        comment.check()?;
        let change = comment.apply_to(&current, input.requested_status, now)?;
        comment.id = comments::insert(connection, &comment).await?;
        let previous_status = change.previous_status;
        if comment.public {
            let at = chrono::DateTime::from_timestamp_micros(now).unwrap_or_default();
            let by_agent = comment.author_role != AuthorRole::Requester;
            sla_store::record(connection, ticket_id, &Event::PublicComment { at, by_agent }).await?;
        }
        let kind = if comment.public { "public_reply" } else { "internal_note" };
        let ticket = self.record_update(connection, principal, &current, change, &format!("commented:{kind}")).await?;
        self.append_comment_event(connection, principal, &comment, &ticket, previous_status).await?;
        Ok((comment, ticket))
    }

    pub(super) async fn append_comment_event(
        &self,
        connection: &mut AnyConnection,
        principal: &Principal,
        comment: &Comment,
        ticket: &Ticket,
        previous_status: Option<crate::domain::Status>,
    ) -> ApiResult<()> {
        let (wire_comment, wire_ticket) = (convert::comment(comment), convert::ticket(ticket));
        feed::append(
            connection,
            NewEvent {
                event_type: "ticket.commented",
                aggregate_type: "ticket",
                aggregate_id: &wire_ticket.id,
                actor: &principal.subject,
                payload: &pb::CommentAdded {
                    comment: Some(wire_comment),
                    ticket: Some(wire_ticket.clone()),
                    previous_status: previous_status.map_or(0, |status| status.number() as i32),
                },
            },
        )
        .await?;
        Ok(())
    }

    pub(super) async fn list_comments(
        &self,
        principal: &Principal,
        request: pb::ListCommentsRequest,
    ) -> ApiResult<pb::ListCommentsResponse> {
        authorize(principal, Action::ReadTickets)?;
        let ticket_id = parse_ticket_id("ticket_id", &request.ticket_id)?;
        let page_size = pagination::page_size(request.page_size)?;
        let query = pagination::query_fingerprint(principal, &["comments", &request.ticket_id]);
        let after = pagination::decode_token(&request.page_token, &query)?;
        let after_id = after.map_or(0, |cursor| cursor.id.parse().unwrap_or(0));
        let mut connection = self.db.reader().acquire().await?;
        self.visible_ticket(&mut connection, principal, ticket_id).await?;
        let include_internal = access::sees_internal_notes(principal);
        let mut page = comments::list(&mut connection, ticket_id, include_internal, after_id, page_size + 1).await?;
        let next_page_token = pagination::finish_page(&mut page, page_size, &query, |last| Cursor {
            sort_key: String::new(),
            id: last.id.to_string(),
        });
        Ok(pb::ListCommentsResponse { comments: page.iter().map(convert::comment).collect(), next_page_token })
    }
}

/// A comment from another help desk's history, kept with its original time.
pub(super) fn imported_comment(
    ticket_id: i64,
    index: usize,
    imported: pb::ImportedComment,
    default_time: i64,
) -> ApiResult<Comment> {
    let field = |name: &str| format!("comments[{index}].{name}");
    let author_role = convert::author_role(imported.author_role).unwrap_or(AuthorRole::Agent);
    let mut violations = Violations::new();
    let channel = convert::channel(&mut violations, &field("channel"), imported.channel).unwrap_or(Channel::Api);
    let created_at = match &imported.created_at {
        Some(t) => {
            time::from_timestamp(t).ok_or_else(|| ApiError::invalid(field("created_at"), "is not a valid time"))?
        }
        None => default_time,
    };
    violations.into_result()?;
    Ok(Comment {
        id: 0,
        ticket_id,
        author_id: imported.author_id,
        author_role,
        public: imported.public || author_role == AuthorRole::Requester,
        body: imported.body,
        channel,
        attachments: convert::attachments(imported.attachments),
        created_at,
    })
}
