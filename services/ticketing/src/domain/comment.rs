//! The conversation on a ticket, and what each comment does to it: an agent's public reply is
//! the first reply (once) and opens a new ticket; a requester's reply reopens a pending or
//! solved ticket; nothing is added to a closed one.
use frontline_proto::limits::ticketing as limits;
use frontline_shared::{ApiError, ApiResult, error::Violations};
use serde::{Deserialize, Serialize};

use super::{
    status::Status,
    ticket::{Channel, Ticket, TicketChange},
    validate,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthorRole {
    Agent = 1,
    Requester = 2,
    System = 3,
}

impl AuthorRole {
    pub fn number(self) -> i64 {
        self as i64
    }

    pub fn from_number(number: i64) -> Option<Self> {
        match number {
            1 => Some(Self::Agent),
            2 => Some(Self::Requester),
            3 => Some(Self::System),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attachment {
    pub name: String,
    pub size_bytes: i64,
    pub content_type: String,
    pub url: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Comment {
    /// 0 until stored.
    pub id: i64,
    pub ticket_id: i64,
    pub author_id: String,
    pub author_role: AuthorRole,
    pub public: bool,
    pub body: String,
    pub channel: Channel,
    pub attachments: Vec<Attachment>,
    pub created_at: i64,
}

pub const MAX_BODY_CHARS: usize = limits::ADD_COMMENT_REQUEST_BODY_MAX_CHARS;
pub const MAX_ATTACHMENTS: usize = limits::ADD_COMMENT_REQUEST_ATTACHMENTS_MAX_ITEMS;

impl Comment {
    /// Checks what a caller sent; requesters' comments are always public.
    pub fn check(&self) -> ApiResult<()> {
        let mut violations = Violations::new();
        violations.check(!self.body.trim().is_empty(), "body", "must not be empty");
        validate::max_chars(&mut violations, "body", &self.body, MAX_BODY_CHARS);
        violations.check(
            self.attachments.len() <= MAX_ATTACHMENTS,
            "attachments",
            "at most 20 attachments per comment",
        );
        for (index, attachment) in self.attachments.iter().enumerate() {
            let field = |name: &str| format!("attachments[{index}].{name}");
            violations.check(!attachment.name.trim().is_empty(), &field("name"), "must not be empty");
            validate::max_chars(&mut violations, &field("name"), &attachment.name, 255);
            violations.check(attachment.size_bytes >= 0, &field("size_bytes"), "must not be negative");
            let url_ok = attachment.url.starts_with("https://") || attachment.url.starts_with("http://");
            violations.check(
                url_ok && attachment.url.len() <= 2048,
                &field("url"),
                "must be an http(s) URL of at most 2048 characters",
            );
            validate::max_chars(&mut violations, &field("content_type"), &attachment.content_type, 255);
        }
        violations.into_result()
    }

    /// What this comment does to `ticket`, with `requested` the status an agent asked for.
    pub fn apply_to(&self, ticket: &Ticket, requested: Option<Status>, now: i64) -> ApiResult<TicketChange> {
        if ticket.status == Status::Closed {
            return Err(ApiError::FailedPrecondition {
                reason: "TICKET_CLOSED",
                message: format!("ticket {} is closed; open a follow-up ticket instead", ticket.id),
            });
        }
        let mut next = ticket.clone();
        match self.author_role {
            AuthorRole::Requester => {
                if requested.is_some() {
                    return Err(ApiError::invalid("status", "a requester's reply cannot set the status"));
                }
                next.last_requester_reply_at = Some(now);
                // The customer answered: the ball is back in support's court.
                if matches!(ticket.status, Status::Pending | Status::Solved) {
                    next.status = Status::Open;
                }
            }
            AuthorRole::Agent | AuthorRole::System => {
                if self.public && self.author_role == AuthorRole::Agent {
                    next.last_agent_reply_at = Some(now);
                    next.first_reply_at.get_or_insert(now);
                }
                next.status = match requested {
                    Some(status) => status,
                    // An agent working a new ticket has opened it.
                    None if ticket.status == Status::New && self.author_role == AuthorRole::Agent => Status::Open,
                    None => ticket.status,
                };
            }
        }
        if !ticket.status.can_become(next.status) {
            return Err(ApiError::FailedPrecondition {
                reason: "INVALID_STATUS_TRANSITION",
                message: ticket.status.why_not(next.status),
            });
        }
        next.enter_status(ticket.status, now);
        let mut change = ticket.change_to(next, now);
        if change.changed_fields.is_empty() {
            // A comment is a change of the ticket even when no field moved (an internal note).
            change.ticket.updated_at = now;
            change.ticket.revision = ticket.revision + 1;
        }
        Ok(change)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ticket::{SatisfactionRating, TicketFields};

    fn ticket(status: Status) -> Ticket {
        let mut ticket = Ticket::create(
            TicketFields { subject: "Invoice wrong".into(), requester_id: "c-1".into(), ..Default::default() },
            0,
        )
        .unwrap();
        ticket.id = 7;
        ticket.status = status;
        ticket
    }

    fn comment(author_role: AuthorRole, public: bool) -> Comment {
        Comment {
            id: 0,
            ticket_id: 7,
            author_id: "someone".into(),
            author_role,
            public,
            body: "Hello".into(),
            channel: Channel::Email,
            attachments: vec![],
            created_at: 10,
        }
    }

    #[test]
    fn first_public_agent_reply_is_recorded_once_and_opens_a_new_ticket() {
        let first = comment(AuthorRole::Agent, true).apply_to(&ticket(Status::New), None, 10).unwrap();
        assert_eq!(first.ticket.first_reply_at, Some(10));
        assert_eq!(first.ticket.status, Status::Open);
        let second = comment(AuthorRole::Agent, true).apply_to(&first.ticket, None, 20).unwrap();
        assert_eq!(second.ticket.first_reply_at, Some(10));
        assert_eq!(second.ticket.last_agent_reply_at, Some(20));
    }

    #[test]
    fn internal_notes_are_not_replies() {
        let noted = comment(AuthorRole::Agent, false).apply_to(&ticket(Status::Open), None, 10).unwrap();
        assert_eq!(noted.ticket.first_reply_at, None);
        assert_eq!(noted.ticket.revision, 2, "still a change of the ticket");
    }

    #[test]
    fn a_requester_reply_reopens_pending_and_solved_tickets() {
        for status in [Status::Pending, Status::Solved] {
            let mut waiting = ticket(status);
            if status == Status::Solved {
                waiting.satisfaction.rating = Some(SatisfactionRating::Good);
            }
            let reply = comment(AuthorRole::Requester, true).apply_to(&waiting, None, 10).unwrap();
            assert_eq!(reply.ticket.status, Status::Open);
            assert_eq!(reply.ticket.last_requester_reply_at, Some(10));
            assert_eq!(reply.ticket.satisfaction.rating, None, "the next solve offers a new survey");
        }
    }

    #[test]
    fn closed_tickets_take_no_comments() {
        let error = comment(AuthorRole::Requester, true).apply_to(&ticket(Status::Closed), None, 10).unwrap_err();
        assert!(matches!(error, ApiError::FailedPrecondition { reason: "TICKET_CLOSED", .. }));
    }

    #[test]
    fn an_agent_may_reply_and_set_pending_in_one_step() {
        let change =
            comment(AuthorRole::Agent, true).apply_to(&ticket(Status::Open), Some(Status::Pending), 10).unwrap();
        assert_eq!(change.ticket.status, Status::Pending);
        assert_eq!(change.previous_status, Some(Status::Open));
    }

    #[test]
    fn bad_attachments_are_named() {
        let mut bad = comment(AuthorRole::Agent, true);
        bad.attachments.push(Attachment {
            name: String::new(),
            size_bytes: -1,
            content_type: "x".into(),
            url: "ftp://x".into(),
        });
        let error = bad.check().unwrap_err().to_string();
        for field in ["attachments[0].name", "attachments[0].size_bytes", "attachments[0].url"] {
            assert!(error.contains(field), "{error}");
        }
    }
}
