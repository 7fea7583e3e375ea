//! What a ticket is, how it is created and how an update by field mask changes it.
use frontline_proto::limits::ticketing as limits;
use frontline_shared::{ApiError, ApiResult, error::Violations};

use super::{
    custom_fields::{self, CustomValue},
    escalation::Tier,
    field_mask,
    status::Status,
    validate,
};

numbered_enum!(Channel { Email = 1, Phone = 2, Chat = 3, Social = 4, Web = 5, Api = 6 });
numbered_enum!(TicketType { Question = 1, Incident = 2, Problem = 3, Task = 4, Complaint = 5, Order = 6 });
numbered_enum!(
    /// Ordered: Low < Normal < High < Urgent.
    Priority { Low = 1, Normal = 2, High = 3, Urgent = 4 }
);
numbered_enum!(
    /// The CSAT survey of the current solve: offered on solve, then rated good or bad.
    SatisfactionRating { Offered = 1, Good = 2, Bad = 3 }
);

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Satisfaction {
    /// None until the ticket is solved (and again after a reopen).
    pub rating: Option<SatisfactionRating>,
    pub comment: String,
    pub rated_at: Option<i64>,
}

pub const MAX_SUBJECT_CHARS: usize = limits::TICKET_SUBJECT_MAX_CHARS;
pub const MAX_DESCRIPTION_CHARS: usize = limits::TICKET_DESCRIPTION_MAX_CHARS;
pub const MAX_TAGS: usize = limits::TICKET_TAGS_MAX_ITEMS;
pub const MAX_TAG_CHARS: usize = limits::TICKET_TAGS_MAX_CHARS;

/// The fields a caller sets, as given (unset enums are None).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TicketFields {
    pub subject: String,
    pub description: String,
    pub requester_id: String,
    pub organization_id: String,
    pub channel: Option<Channel>,
    pub ticket_type: Option<TicketType>,
    pub order_reference: String,
    pub priority: Option<Priority>,
    pub status: Option<Status>,
    pub assignee_id: String,
    pub team_id: String,
    pub tags: Vec<String>,
    pub due_at: Option<i64>,
    pub external_id: String,
    pub locale: String,
    /// Values to set (merged into the ticket's; a value of None clears the key).
    pub custom_fields: Vec<CustomValue>,
    pub problem_id: Option<i64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Ticket {
    /// 0 until stored; then the ticket number.
    pub id: i64,
    pub subject: String,
    pub description: String,
    pub requester_id: String,
    pub organization_id: String,
    pub channel: Channel,
    pub ticket_type: TicketType,
    pub order_reference: String,
    pub priority: Priority,
    pub status: Status,
    pub assignee_id: String,
    pub team_id: String,
    pub tags: Vec<String>,
    pub due_at: Option<i64>,
    pub external_id: String,
    pub locale: String,
    pub created_at: i64,
    pub updated_at: i64,
    pub first_reply_at: Option<i64>,
    pub solved_at: Option<i64>,
    pub closed_at: Option<i64>,
    /// Bumped by every change; the etag is derived from it.
    pub revision: i64,
    /// Set values only, sorted by key.
    pub custom_fields: Vec<CustomValue>,
    /// For an incident: the problem it is an instance of.
    pub problem_id: Option<i64>,
    pub merged_into_id: Option<i64>,
    pub last_requester_reply_at: Option<i64>,
    pub last_agent_reply_at: Option<i64>,
    /// How many times it was solved; each solve is one CSAT cycle.
    pub solve_count: i64,
    pub satisfaction: Satisfaction,
    /// Who handles it on the escalation ladder; changed only by escalation.
    pub escalation_tier: Tier,
    /// Derived by the SLA policies after every change (never written with the ticket).
    pub sla_policy_id: String,
    pub sla_breach_at: Option<i64>,
}

/// The update-mask paths a caller may name.
pub const UPDATABLE_FIELDS: &[&str] = &[
    "subject",
    "description",
    "requester_id",
    "organization_id",
    "type",
    "order_reference",
    "priority",
    "status",
    "assignee_id",
    "team_id",
    "tags",
    "due_at",
    "external_id",
    "locale",
    "custom_fields",
    "problem_id",
];

/// The result of an update: the new ticket and what changed.
#[derive(Debug, Clone, PartialEq)]
pub struct TicketChange {
    pub ticket: Ticket,
    pub changed_fields: Vec<&'static str>,
    /// Set when the status changed.
    pub previous_status: Option<Status>,
}

impl Ticket {
    /// A new ticket from the caller's fields, with defaults applied, validated.
    pub fn create(fields: TicketFields, now: i64) -> ApiResult<Ticket> {
        let assigned = !fields.assignee_id.is_empty();
        let status = fields.status.unwrap_or(if assigned { Status::Open } else { Status::New });
        if !status.allowed_at_creation() {
            return Err(ApiError::invalid("ticket.status", "a ticket cannot be created closed; create it solved"));
        }
        let ticket = Ticket {
            id: 0,
            subject: fields.subject.trim().to_string(),
            description: fields.description,
            requester_id: fields.requester_id.trim().to_string(),
            organization_id: fields.organization_id,
            channel: fields.channel.unwrap_or(Channel::Api),
            ticket_type: fields.ticket_type.unwrap_or(TicketType::Question),
            order_reference: fields.order_reference.trim().to_string(),
            priority: fields.priority.unwrap_or(Priority::Normal),
            status,
            assignee_id: fields.assignee_id,
            team_id: fields.team_id,
            tags: normalise_tags(&fields.tags),
            due_at: fields.due_at,
            external_id: fields.external_id.trim().to_string(),
            locale: fields.locale,
            created_at: now,
            updated_at: now,
            first_reply_at: None,
            solved_at: (status == Status::Solved).then_some(now),
            closed_at: None,
            revision: 1,
            custom_fields: custom_fields::merge(&[], &fields.custom_fields),
            problem_id: fields.problem_id,
            merged_into_id: None,
            last_requester_reply_at: None,
            last_agent_reply_at: None,
            solve_count: 0,
            satisfaction: Satisfaction::default(),
            escalation_tier: Tier::Agent,
            sla_policy_id: String::new(),
            sla_breach_at: None,
        };
        let mut ticket = ticket;
        if status == Status::Solved {
            ticket.solve_count = 1;
            ticket.satisfaction.rating = Some(SatisfactionRating::Offered);
        }
        let mut violations = Violations::new();
        if ticket.requester_id.is_empty() {
            violations.add("ticket.requester_id", "must name the customer who asked");
        }
        ticket.check(&mut violations, &fields.tags);
        violations.into_result()?;
        Ok(ticket)
    }

    /// Applies the `paths` of `fields` to this ticket. Unknown paths are the caller's mistake;
    /// an illegal status move is FAILED_PRECONDITION.
    pub fn update(&self, fields: &TicketFields, paths: &[String], now: i64) -> ApiResult<TicketChange> {
        let paths = field_mask::resolve(paths, UPDATABLE_FIELDS, |path| is_populated(fields, path))?;
        let mut next = self.clone();
        for path in &paths {
            match *path {
                "subject" => next.subject = fields.subject.trim().to_string(),
                "description" => next.description = fields.description.clone(),
                "requester_id" => next.requester_id = fields.requester_id.trim().to_string(),
                "organization_id" => next.organization_id = fields.organization_id.clone(),
                "type" => next.ticket_type = required(fields.ticket_type, "ticket.type")?,
                "order_reference" => next.order_reference = fields.order_reference.trim().to_string(),
                "priority" => next.priority = required(fields.priority, "ticket.priority")?,
                "status" => next.status = required(fields.status, "ticket.status")?,
                "assignee_id" => next.assignee_id = fields.assignee_id.clone(),
                "team_id" => next.team_id = fields.team_id.clone(),
                "tags" => next.tags = normalise_tags(&fields.tags),
                "due_at" => next.due_at = fields.due_at,
                "external_id" => next.external_id = fields.external_id.trim().to_string(),
                "locale" => next.locale = fields.locale.clone(),
                "custom_fields" => {
                    next.custom_fields = custom_fields::merge(&self.custom_fields, &fields.custom_fields)
                }
                "problem_id" => next.problem_id = fields.problem_id,
                other => {
                    unreachable!("field_mask::resolve only returns updatable paths, got {other}")
                }
            }
        }
        // Assigning a new ticket puts it in the assignee's hands: it is open from now on.
        if self.status == Status::New && next.status == Status::New && !next.assignee_id.is_empty() {
            next.status = Status::Open;
        }
        let mut violations = Violations::new();
        if next.requester_id.is_empty() {
            violations.add("ticket.requester_id", "must name the customer who asked");
        }
        let given_tags: &[String] = if paths.contains(&"tags") { &fields.tags } else { &[] };
        next.check(&mut violations, given_tags);
        violations.into_result()?;
        if !self.status.can_become(next.status) {
            return Err(ApiError::FailedPrecondition {
                reason: "INVALID_STATUS_TRANSITION",
                message: self.status.why_not(next.status),
            });
        }
        if self.problem_id != next.problem_id && next.problem_id.is_some() && next.ticket_type != TicketType::Incident {
            return Err(ApiError::invalid("ticket.problem_id", "only an incident can be an instance of a problem"));
        }
        next.enter_status(self.status, now);
        Ok(self.change_to(next, now))
    }

    /// Records the effects of moving from `previous` to the current status.
    pub fn enter_status(&mut self, previous: Status, now: i64) {
        if self.status == previous {
            return;
        }
        match self.status {
            Status::Solved => {
                self.solved_at = Some(now);
                self.solve_count += 1;
                // Each solve offers a fresh survey.
                self.satisfaction = Satisfaction { rating: Some(SatisfactionRating::Offered), ..Default::default() };
            }
            Status::Closed => self.closed_at = Some(now),
            // Reopened: it is no longer solved; the survey comes again with the next solve.
            _ if previous == Status::Solved => {
                self.solved_at = None;
                self.satisfaction = Satisfaction::default();
            }
            _ => {}
        }
    }

    /// Turns `next` into a change of `self`: what changed, with the revision bumped when anything did.
    pub fn change_to(&self, mut next: Ticket, now: i64) -> TicketChange {
        let changed_fields = self.changed_fields(&next);
        if !changed_fields.is_empty() {
            next.updated_at = now;
            next.revision = self.revision + 1;
        }
        let previous_status = (next.status != self.status).then_some(self.status);
        TicketChange { ticket: next, changed_fields, previous_status }
    }

    /// Moves the ticket to `tier`, handing it to `team_id` and / or `assignee_id` when given.
    /// A new ticket handed to a person is open from then on, as with any assignment.
    pub fn escalate(&self, tier: Tier, team_id: &str, assignee_id: &str, now: i64) -> TicketChange {
        let mut next = self.clone();
        next.escalation_tier = tier;
        if !team_id.is_empty() {
            next.team_id = team_id.to_string();
        }
        if !assignee_id.is_empty() {
            next.assignee_id = assignee_id.to_string();
        }
        if self.status == Status::New && !next.assignee_id.is_empty() {
            next.status = Status::Open;
            next.enter_status(Status::New, now);
        }
        self.change_to(next, now)
    }

    /// A solved ticket closes once `close_after` has passed since its solve.
    pub fn close_if_due(&self, now: i64, close_after_micros: i64) -> Option<TicketChange> {
        let solved_at = self.solved_at?;
        if self.status != Status::Solved || now - solved_at < close_after_micros {
            return None;
        }
        let mut next = self.clone();
        next.status = Status::Closed;
        next.enter_status(Status::Solved, now);
        Some(self.change_to(next, now))
    }

    /// The requester rates the current solve; a second rating of the same solve replaces the first.
    /// Returns the rated ticket and the rating it replaced.
    pub fn rate(
        &self,
        rating: SatisfactionRating,
        comment: &str,
        now: i64,
    ) -> ApiResult<(TicketChange, SatisfactionRating)> {
        if rating == SatisfactionRating::Offered {
            return Err(ApiError::invalid("rating", "must be GOOD or BAD"));
        }
        if comment.chars().count() > 2000 {
            return Err(ApiError::invalid("comment", "must be at most 2000 characters"));
        }
        let previous = match self.satisfaction.rating {
            Some(previous) if matches!(self.status, Status::Solved | Status::Closed) => previous,
            _ => {
                return Err(ApiError::FailedPrecondition {
                    reason: "SURVEY_NOT_OFFERED",
                    message: format!(
                        "ticket {} has no open satisfaction survey: it is rated after it is solved",
                        self.id
                    ),
                });
            }
        };
        let mut next = self.clone();
        next.satisfaction =
            Satisfaction { rating: Some(rating), comment: comment.trim().to_string(), rated_at: Some(now) };
        Ok((self.change_to(next, now), previous))
    }

    /// Closes this ticket as merged into `target_id`.
    pub fn merge_into(&self, target_id: i64, now: i64) -> ApiResult<TicketChange> {
        if self.id == target_id {
            return Err(ApiError::invalid("source_ids", "a ticket cannot be merged into itself"));
        }
        if self.status == Status::Closed {
            return Err(ApiError::FailedPrecondition {
                reason: "TICKET_CLOSED",
                message: format!("ticket {} is closed and cannot be merged", self.id),
            });
        }
        let mut next = self.clone();
        next.merged_into_id = Some(target_id);
        next.status = Status::Closed;
        next.enter_status(self.status, now);
        Ok(self.change_to(next, now))
    }

    pub fn etag(&self) -> String {
        self.revision.to_string()
    }

    /// Is the ticket still being worked (not solved or closed)?
    pub fn is_unsolved(&self) -> bool {
        !matches!(self.status, Status::Solved | Status::Closed)
    }

    fn check(&self, violations: &mut Violations, given_tags: &[String]) {
        if self.subject.is_empty() {
            violations.add("ticket.subject", "must not be empty");
        }
        validate::max_chars(violations, "ticket.subject", &self.subject, MAX_SUBJECT_CHARS);
        validate::max_chars(violations, "ticket.description", &self.description, MAX_DESCRIPTION_CHARS);
        validate::external_id(violations, "ticket.external_id", &self.external_id);
        validate::reference(violations, "ticket.order_reference", &self.order_reference);
        validate::reference(violations, "ticket.assignee_id", &self.assignee_id);
        validate::reference(violations, "ticket.team_id", &self.team_id);
        validate::reference(violations, "ticket.organization_id", &self.organization_id);
        validate::locale(violations, "ticket.locale", &self.locale);
        if self.ticket_type == TicketType::Order && self.order_reference.is_empty() {
            violations.add("ticket.order_reference", "is required for an order ticket");
        }
        if given_tags.iter().any(|tag| tag.trim().is_empty()) {
            violations.add("ticket.tags", "must not contain empty tags");
        }
        if self.tags.iter().any(|tag| tag.chars().count() > MAX_TAG_CHARS) {
            violations.add("ticket.tags", format!("each tag must be at most {MAX_TAG_CHARS} characters"));
        }
        if self.tags.len() > MAX_TAGS {
            violations.add("ticket.tags", format!("a ticket carries at most {MAX_TAGS} tags"));
        }
    }

    fn changed_fields(&self, next: &Ticket) -> Vec<&'static str> {
        let mut changed = Vec::new();
        let mut note = |name: &'static str, differs: bool| {
            if differs {
                changed.push(name);
            }
        };
        note("subject", self.subject != next.subject);
        note("description", self.description != next.description);
        note("requester_id", self.requester_id != next.requester_id);
        note("organization_id", self.organization_id != next.organization_id);
        note("type", self.ticket_type != next.ticket_type);
        note("order_reference", self.order_reference != next.order_reference);
        note("priority", self.priority != next.priority);
        note("status", self.status != next.status);
        note("assignee_id", self.assignee_id != next.assignee_id);
        note("team_id", self.team_id != next.team_id);
        note("tags", self.tags != next.tags);
        note("due_at", self.due_at != next.due_at);
        note("external_id", self.external_id != next.external_id);
        note("locale", self.locale != next.locale);
        note("custom_fields", self.custom_fields != next.custom_fields);
        note("problem_id", self.problem_id != next.problem_id);
        note("merged_into_id", self.merged_into_id != next.merged_into_id);
        note("satisfaction", self.satisfaction != next.satisfaction);
        note("last_requester_reply_at", self.last_requester_reply_at != next.last_requester_reply_at);
        note("last_agent_reply_at", self.last_agent_reply_at != next.last_agent_reply_at);
        note("first_reply_at", self.first_reply_at != next.first_reply_at);
        note("escalation_tier", self.escalation_tier != next.escalation_tier);
        changed
    }
}

fn required<T>(value: Option<T>, field: &str) -> ApiResult<T> {
    value.ok_or_else(|| ApiError::invalid(field, "must be set when named in update_mask"))
}

/// Which paths an update without a mask touches: the fields the caller populated (AIP-134).
fn is_populated(fields: &TicketFields, path: &str) -> bool {
    match path {
        "subject" => !fields.subject.is_empty(),
        "description" => !fields.description.is_empty(),
        "requester_id" => !fields.requester_id.is_empty(),
        "organization_id" => !fields.organization_id.is_empty(),
        "type" => fields.ticket_type.is_some(),
        "order_reference" => !fields.order_reference.is_empty(),
        "priority" => fields.priority.is_some(),
        "status" => fields.status.is_some(),
        "assignee_id" => !fields.assignee_id.is_empty(),
        "team_id" => !fields.team_id.is_empty(),
        "tags" => !fields.tags.is_empty(),
        "due_at" => fields.due_at.is_some(),
        "external_id" => !fields.external_id.is_empty(),
        "locale" => !fields.locale.is_empty(),
        "custom_fields" => !fields.custom_fields.is_empty(),
        "problem_id" => fields.problem_id.is_some(),
        _ => false,
    }
}

/// Tags are matched case-insensitively and never contain spaces (as in Zendesk): lower-cased,
/// inner whitespace turned into `_`, duplicates dropped, sorted.
pub fn normalise_tags(tags: &[String]) -> Vec<String> {
    let mut normalised: Vec<String> = tags
        .iter()
        .map(|tag| tag.trim().to_lowercase().split_whitespace().collect::<Vec<_>>().join("_"))
        .filter(|tag| !tag.is_empty())
        .collect();
    normalised.sort();
    normalised.dedup();
    normalised
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields() -> TicketFields {
        TicketFields { subject: "Printer on fire".into(), requester_id: "c-1".into(), ..Default::default() }
    }

    fn paths(names: &[&str]) -> Vec<String> {
        names.iter().map(|name| name.to_string()).collect()
    }

    #[test]
    fn defaults_apply_at_creation() {
        let ticket = Ticket::create(fields(), 10).unwrap();
        assert_eq!(
            (ticket.status, ticket.priority, ticket.channel, ticket.ticket_type),
            (Status::New, Priority::Normal, Channel::Api, TicketType::Question)
        );
        assert_eq!(ticket.revision, 1);
        let assigned = Ticket::create(TicketFields { assignee_id: "agent-7".into(), ..fields() }, 10).unwrap();
        assert_eq!(assigned.status, Status::Open);
    }

    #[test]
    fn every_bad_field_is_reported_at_once() {
        let error = Ticket::create(
            TicketFields {
                subject: "  ".into(),
                requester_id: String::new(),
                locale: "english please".into(),
                ..Default::default()
            },
            0,
        )
        .unwrap_err();
        let ApiError::InvalidArgument(violations) = error else { panic!("expected invalid argument") };
        let named: Vec<_> = violations.iter().map(|v| v.field.as_str()).collect();
        assert_eq!(named, ["ticket.requester_id", "ticket.subject", "ticket.locale"]);
    }

    #[test]
    fn order_tickets_need_an_order_reference() {
        let error = Ticket::create(TicketFields { ticket_type: Some(TicketType::Order), ..fields() }, 0).unwrap_err();
        assert!(error.to_string().contains("ticket.order_reference"));
    }

    #[test]
    fn tags_are_normalised() {
        let tags = normalise_tags(&["Billing".into(), " late  payment ".into(), "billing".into()]);
        assert_eq!(tags, ["billing", "late_payment"]);
    }

    #[test]
    fn update_changes_only_the_masked_fields_and_bumps_the_revision() {
        let ticket = Ticket::create(fields(), 10).unwrap();
        let incoming =
            TicketFields { subject: "ignored".into(), priority: Some(Priority::Urgent), ..Default::default() };
        let change = ticket.update(&incoming, &paths(&["priority"]), 20).unwrap();
        assert_eq!(change.ticket.priority, Priority::Urgent);
        assert_eq!(change.ticket.subject, "Printer on fire");
        assert_eq!(change.changed_fields, ["priority"]);
        assert_eq!((change.ticket.revision, change.ticket.updated_at), (2, 20));
    }

    #[test]
    fn update_without_a_mask_touches_populated_fields() {
        let ticket = Ticket::create(fields(), 10).unwrap();
        let change = ticket.update(&TicketFields { team_id: "t-1".into(), ..Default::default() }, &[], 20).unwrap();
        assert_eq!(change.changed_fields, ["team_id"]);
    }

    #[test]
    fn solving_stamps_solved_at_and_reopening_clears_it() {
        let ticket = Ticket::create(fields(), 10).unwrap();
        let solved = ticket
            .update(&TicketFields { status: Some(Status::Solved), ..Default::default() }, &paths(&["status"]), 20)
            .unwrap();
        assert_eq!(solved.ticket.solved_at, Some(20));
        assert_eq!(solved.previous_status, Some(Status::New));
        let reopened = solved
            .ticket
            .update(&TicketFields { status: Some(Status::Open), ..Default::default() }, &paths(&["status"]), 30)
            .unwrap();
        assert_eq!(reopened.ticket.solved_at, None);
    }

    #[test]
    fn illegal_moves_are_failed_preconditions() {
        let ticket = Ticket::create(fields(), 10).unwrap();
        let error = ticket
            .update(&TicketFields { status: Some(Status::Closed), ..Default::default() }, &paths(&["status"]), 20)
            .unwrap_err();
        assert!(matches!(error, ApiError::FailedPrecondition { reason: "INVALID_STATUS_TRANSITION", .. }));
    }

    #[test]
    fn assigning_a_new_ticket_opens_it() {
        let ticket = Ticket::create(fields(), 10).unwrap();
        let change = ticket
            .update(&TicketFields { assignee_id: "agent-1".into(), ..Default::default() }, &paths(&["assignee_id"]), 20)
            .unwrap();
        assert_eq!(change.ticket.status, Status::Open);
        assert_eq!(change.changed_fields, ["status", "assignee_id"]);
    }

    #[test]
    fn each_solve_offers_one_survey_that_a_reopen_withdraws() {
        let ticket = Ticket::create(fields(), 10).unwrap();
        assert!(ticket.rate(SatisfactionRating::Good, "", 15).is_err(), "not solved yet");
        let solved = ticket
            .update(&TicketFields { status: Some(Status::Solved), ..Default::default() }, &paths(&["status"]), 20)
            .unwrap()
            .ticket;
        assert_eq!((solved.solve_count, solved.satisfaction.rating), (1, Some(SatisfactionRating::Offered)));
        let (rated, previous) = solved.rate(SatisfactionRating::Bad, "slow", 30).unwrap();
        assert_eq!(previous, SatisfactionRating::Offered);
        let (rerated, previous) = rated.ticket.rate(SatisfactionRating::Good, "fixed after all", 40).unwrap();
        assert_eq!(
            (previous, rerated.ticket.satisfaction.rating),
            (SatisfactionRating::Bad, Some(SatisfactionRating::Good))
        );
        let reopened = rerated
            .ticket
            .update(&TicketFields { status: Some(Status::Open), ..Default::default() }, &paths(&["status"]), 50)
            .unwrap()
            .ticket;
        assert_eq!(reopened.satisfaction.rating, None);
        assert!(reopened.rate(SatisfactionRating::Good, "", 60).is_err());
    }

    #[test]
    fn solved_tickets_close_when_their_time_comes() {
        let ticket = Ticket::create(fields(), 10).unwrap();
        let solved = ticket
            .update(&TicketFields { status: Some(Status::Solved), ..Default::default() }, &paths(&["status"]), 100)
            .unwrap()
            .ticket;
        assert!(solved.close_if_due(150, 100).is_none());
        let closed = solved.close_if_due(200, 100).unwrap();
        assert_eq!((closed.ticket.status, closed.ticket.closed_at), (Status::Closed, Some(200)));
    }

    #[test]
    fn merging_closes_the_source_and_remembers_the_target() {
        let mut ticket = Ticket::create(fields(), 10).unwrap();
        ticket.id = 3;
        assert!(ticket.merge_into(3, 20).is_err());
        let merged = ticket.merge_into(9, 20).unwrap().ticket;
        assert_eq!((merged.status, merged.merged_into_id, merged.solved_at), (Status::Closed, Some(9), None));
        assert!(merged.merge_into(10, 30).is_err(), "a closed ticket cannot be merged again");
    }

    #[test]
    fn unchanged_update_keeps_the_revision() {
        let ticket = Ticket::create(fields(), 10).unwrap();
        let change = ticket.update(&fields(), &paths(&["subject"]), 20).unwrap();
        assert!(change.changed_fields.is_empty());
        assert_eq!(change.ticket, ticket);
    }
}
