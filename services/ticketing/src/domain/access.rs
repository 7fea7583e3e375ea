//! What each role may do in ticketing, and which tickets it may touch.
//!
//! - Agents work the tickets of their team, the ones assigned to them, and the shared inbox
//!   (tickets no team holds yet). Team leads and supervisors see the same for their team.
//! - Administrators, managers and directors see everything; administrators configure fields.
//! - Programs: CRM sync and other services see everything; BI reads everything and writes
//!   nothing; a scheduler has no business here; a channel gateway (`portal`) acts for any
//!   requester — it opens tickets, reads tickets and public comments, adds replies and ratings
//!   recorded as the requester's, and never sees internal notes.
//! - End users are bound to one customer: they open tickets for themselves, and read, list,
//!   reply to and rate their own tickets and those of their organisation when it shares them
//!   (`Organization.shared_tickets`); public comments only. Audit trails, links and
//!   escalations are the staff side of a ticket, for neither gateways nor end users.
//!
//! Object checks apply to every RPC, lists and search included, so a ticket of another team
//! is as invisible by id as it is in a list.
use frontline_shared::{
    ApiError, ApiResult,
    auth::{Principal, Role},
};

use super::{Ticket, ticket::TicketFields};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    ReadCustomers,
    WriteCustomers,
    ReadTickets,
    WriteTickets,
    /// Search and list across tickets.
    BrowseTickets,
    /// Add a requester's reply or rating.
    ActForRequester,
    /// Open a ticket as its requester (a gateway for anyone, an end user for themselves).
    RaiseTicket,
    /// See the staff side of a ticket: its audit trail, links and escalations.
    ReadStaffSide,
    ConfigureFields,
    ImportTickets,
    /// Read SLA policies, calendars and rules.
    ReadRules,
    /// Change SLA policies, calendars and rules: an administrator's job.
    ConfigureRules,
}

pub fn authorize(principal: &Principal, action: Action) -> ApiResult<()> {
    use Action::*;
    let allowed = match principal.role {
        Role::Administrator | Role::Manager | Role::Director => {
            !matches!(action, ActForRequester | RaiseTicket)
                && (!matches!(action, ConfigureFields | ConfigureRules) || principal.role == Role::Administrator)
        }
        role if role.is_staff() => {
            !matches!(action, ConfigureFields | ConfigureRules | ImportTickets | ActForRequester | RaiseTicket)
        }
        Role::CrmSync => !matches!(action, ConfigureRules | RaiseTicket),
        Role::Service => true,
        Role::BiReader => matches!(action, ReadCustomers | ReadTickets | BrowseTickets | ReadRules | ReadStaffSide),
        Role::Portal => matches!(action, ReadTickets | ActForRequester | RaiseTicket),
        Role::EndUser => matches!(action, ReadTickets | BrowseTickets | ActForRequester | RaiseTicket),
        Role::Scheduler => false,
        // Exhaustive on purpose: a new role is denied until someone decides what it may do.
        Role::Agent | Role::TeamLead | Role::Supervisor => unreachable!("staff matched above"),
    };
    if allowed {
        Ok(())
    } else {
        let what = match action {
            ReadCustomers => "read customers",
            WriteCustomers => "change customers",
            ReadTickets => "read tickets",
            WriteTickets => "change tickets",
            BrowseTickets => "list or search tickets",
            ActForRequester => "act for a requester",
            RaiseTicket => "open tickets as a requester",
            ReadStaffSide => "read audit trails, links or escalations",
            ConfigureFields => "configure ticket fields",
            ImportTickets => "import tickets",
            ReadRules => "read service levels and rules",
            ConfigureRules => "change service levels and rules",
        };
        Err(ApiError::permission_denied(format!("the {} role may not {what}", principal.role)))
    }
}

/// Which tickets a caller may see: the one rule every service applies.
pub use frontline_shared::ticket_scope::{TicketScope, ticket_scope};

/// Not found rather than forbidden, so ids of other teams' tickets reveal nothing. For an end
/// user this says yes only to their own tickets; their organisation's shared ones need the
/// store (see `TicketingApi::visible_ticket`).
pub fn check_visible(principal: &Principal, ticket: &Ticket) -> ApiResult<()> {
    let visible = match ticket_scope(principal) {
        TicketScope::Requester { customer_id } => ticket.requester_id == customer_id,
        scope => scope.includes(&ticket.team_id, &ticket.assignee_id),
    };
    if visible { Ok(()) } else { Err(ApiError::not_found("ticket", ticket.id.to_string())) }
}

/// A satisfaction rating is the requester's own: an end user who sees a colleague's ticket
/// through a shared organisation may follow up on it, not rate it.
pub fn check_rates(principal: &Principal, ticket: &Ticket) -> ApiResult<()> {
    match principal.end_user_customer() {
        Some(customer_id) if customer_id != ticket.requester_id => {
            Err(ApiError::permission_denied("only the ticket's requester rates it"))
        }
        _ => Ok(()),
    }
}

/// Internal notes are for staff and programs that sync them, never for requesters or their
/// proxies.
pub fn sees_internal_notes(principal: &Principal) -> bool {
    !principal.role.reads_as_customer()
}

/// What a requester (or a gateway for one) may set on a ticket they open: what they ask and how
/// (subject, description, channel, type, priority, language, an order reference). The requester
/// is an end user's own customer (filled in when left empty). Everything else is the help desk's
/// to decide — who works it (routing), its organisation (the requester's), status, tags, dates,
/// custom fields — or would tell a requester about other tickets (a problem's number, an
/// external id already taken), so it is refused, naming the field.
pub fn check_raised_ticket(principal: &Principal, fields: &mut TicketFields) -> ApiResult<()> {
    if let Some(customer_id) = principal.end_user_customer() {
        if fields.requester_id.trim().is_empty() {
            fields.requester_id = customer_id.to_owned();
        } else if fields.requester_id != customer_id {
            return Err(ApiError::permission_denied(
                "ticket.requester_id: an end user opens tickets for themselves only",
            ));
        }
    }
    let staff_only = [
        ("ticket.assignee_id", !fields.assignee_id.is_empty()),
        ("ticket.team_id", !fields.team_id.is_empty()),
        ("ticket.organization_id", !fields.organization_id.is_empty()),
        ("ticket.status", fields.status.is_some_and(|status| status != crate::domain::Status::New)),
        ("ticket.tags", !fields.tags.is_empty()),
        ("ticket.due_at", fields.due_at.is_some()),
        ("ticket.external_id", !fields.external_id.is_empty()),
        ("ticket.custom_fields", !fields.custom_fields.is_empty()),
        ("ticket.problem_id", fields.problem_id.is_some()),
    ];
    match staff_only.iter().find(|(_, set)| *set) {
        Some((field, _)) => Err(ApiError::permission_denied(format!(
            "{field}: a requester's ticket is routed and filed by the help desk; requesters set what they ask, not this"
        ))),
        None => Ok(()),
    }
}

/// Who may share a view with `team_id` (empty: a personal view).
pub fn may_share_view_with(principal: &Principal, team_id: &str) -> bool {
    team_id.is_empty()
        || matches!(principal.role, Role::Administrator | Role::Manager | Role::Director | Role::Service)
        || (matches!(principal.role, Role::TeamLead | Role::Supervisor)
            && principal.team_id.as_deref() == Some(team_id))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ticket::TicketFields;

    fn as_role(role: Role, team: Option<&str>) -> Principal {
        Principal::new("p-1", role, team)
    }

    fn ticket(team: &str, assignee: &str) -> Ticket {
        let mut ticket = Ticket::create(
            TicketFields {
                subject: "s".into(),
                requester_id: "c".into(),
                team_id: team.into(),
                assignee_id: assignee.into(),
                ..Default::default()
            },
            0,
        )
        .unwrap();
        ticket.id = 1;
        ticket
    }

    #[test]
    fn agents_see_their_team_their_own_and_the_shared_inbox() {
        let agent = as_role(Role::Agent, Some("t-1"));
        assert!(check_visible(&agent, &ticket("t-1", "")).is_ok());
        assert!(check_visible(&agent, &ticket("", "")).is_ok());
        assert!(check_visible(&agent, &ticket("t-2", "p-1")).is_ok());
        assert!(matches!(check_visible(&agent, &ticket("t-2", "")), Err(ApiError::NotFound { .. })));
    }

    #[test]
    fn managers_and_directors_read_everything() {
        for role in [Role::Manager, Role::Director, Role::Administrator] {
            assert!(check_visible(&as_role(role, None), &ticket("t-9", "")).is_ok());
        }
    }

    #[test]
    fn bi_reads_but_never_writes_and_scheduler_has_no_access() {
        assert!(authorize(&as_role(Role::BiReader, None), Action::BrowseTickets).is_ok());
        assert!(authorize(&as_role(Role::BiReader, None), Action::WriteTickets).is_err());
        assert!(authorize(&as_role(Role::Scheduler, None), Action::ReadTickets).is_err());
    }

    #[test]
    fn only_administrators_configure_fields_and_portals_never_see_notes() {
        assert!(authorize(&as_role(Role::Administrator, None), Action::ConfigureFields).is_ok());
        assert!(authorize(&as_role(Role::Director, None), Action::ConfigureFields).is_err());
        assert!(authorize(&as_role(Role::TeamLead, Some("t")), Action::ConfigureFields).is_err());
        assert!(!sees_internal_notes(&as_role(Role::Portal, None)));
        assert!(authorize(&as_role(Role::Portal, None), Action::BrowseTickets).is_err());
    }

    fn end_user(customer: &str) -> Principal {
        let mut principal = as_role(Role::EndUser, None);
        principal.customer_id = Some(customer.into());
        principal
    }

    #[test]
    fn end_users_see_their_own_tickets_and_public_comments_only() {
        let maria = end_user("c");
        assert!(check_visible(&maria, &ticket("t-1", "")).is_ok(), "requested by customer c");
        assert!(matches!(check_visible(&end_user("other"), &ticket("", "")), Err(ApiError::NotFound { .. })));
        assert!(!sees_internal_notes(&maria));
        assert!(authorize(&maria, Action::BrowseTickets).is_ok());
        for action in [Action::WriteTickets, Action::ReadCustomers, Action::ReadStaffSide, Action::ReadRules] {
            assert!(authorize(&maria, action).is_err(), "{action:?}");
        }
    }

    #[test]
    fn a_requester_opens_tickets_for_themselves_and_sets_only_what_they_ask() {
        let asked = || TicketFields {
            subject: "Help".into(),
            priority: Some(crate::domain::Priority::High),
            ..Default::default()
        };
        let mut own = asked();
        check_raised_ticket(&end_user("c-1"), &mut own).unwrap();
        assert_eq!(own.requester_id, "c-1", "filled in");
        let mut someone_elses = TicketFields { requester_id: "c-2".into(), ..asked() };
        assert!(check_raised_ticket(&end_user("c-1"), &mut someone_elses).is_err());
        let gateway = as_role(Role::Portal, None);
        assert!(check_raised_ticket(&gateway, &mut someone_elses).is_ok(), "a gateway acts for any requester");
        let refused = |fields: TicketFields| match check_raised_ticket(&gateway, &mut fields.clone()) {
            Err(ApiError::PermissionDenied { message }) => message.split(':').next().unwrap().to_string(),
            other => panic!("{other:?}"),
        };
        assert_eq!(refused(TicketFields { assignee_id: "agent-ola".into(), ..asked() }), "ticket.assignee_id");
        assert_eq!(refused(TicketFields { team_id: "t-1".into(), ..asked() }), "ticket.team_id");
        assert_eq!(refused(TicketFields { organization_id: "org-b".into(), ..asked() }), "ticket.organization_id");
        assert_eq!(refused(TicketFields { problem_id: Some(7), ..asked() }), "ticket.problem_id");
        assert_eq!(refused(TicketFields { external_id: "crm-9".into(), ..asked() }), "ticket.external_id");
        assert_eq!(refused(TicketFields { tags: vec!["vip".into()], ..asked() }), "ticket.tags");
        assert_eq!(refused(TicketFields { status: Some(crate::domain::Status::Solved), ..asked() }), "ticket.status");
    }

    #[test]
    fn team_leads_share_views_with_their_own_team_only() {
        let lead = as_role(Role::TeamLead, Some("t-1"));
        assert!(may_share_view_with(&lead, "t-1"));
        assert!(!may_share_view_with(&lead, "t-2"));
        assert!(!may_share_view_with(&as_role(Role::Agent, Some("t-1")), "t-1"));
    }
}
