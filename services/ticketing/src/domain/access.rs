//! What each role may do in ticketing, and which tickets it may touch.
//!
//! - Agents work the tickets of their team, the ones assigned to them, and the shared inbox
//!   (tickets no team holds yet). Team leads and supervisors see the same for their team.
//! - Administrators, managers and directors see everything; administrators configure fields.
//! - Programs: CRM sync and other services see everything; BI reads everything and writes
//!   nothing; a scheduler has no business here; a portal or channel gateway acts for
//!   requesters — it reads tickets and public comments, adds replies and ratings, and never
//!   sees internal notes.
//!
//! Object checks apply to every RPC, lists and search included, so a ticket of another team
//! is as invisible by id as it is in a list.
use frontline_shared::{
    ApiError, ApiResult,
    auth::{Principal, Role},
};

use super::Ticket;

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
            !matches!(action, ActForRequester)
                && (!matches!(action, ConfigureFields | ConfigureRules) || principal.role == Role::Administrator)
        }
        role if role.is_staff() => {
            !matches!(action, ConfigureFields | ConfigureRules | ImportTickets | ActForRequester)
        }
        Role::CrmSync => action != ConfigureRules,
        Role::Service => true,
        Role::BiReader => matches!(action, ReadCustomers | ReadTickets | BrowseTickets | ReadRules),
        Role::Portal => matches!(action, ReadTickets | ActForRequester),
        _ => false,
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

/// Not found rather than forbidden, so ids of other teams' tickets reveal nothing.
pub fn check_visible(principal: &Principal, ticket: &Ticket) -> ApiResult<()> {
    if ticket_scope(principal).includes(&ticket.team_id, &ticket.assignee_id) {
        Ok(())
    } else {
        Err(ApiError::not_found("ticket", ticket.id.to_string()))
    }
}

/// Internal notes are for staff and programs that sync them, never for requesters' proxies.
pub fn sees_internal_notes(principal: &Principal) -> bool {
    principal.role != Role::Portal
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
        Principal { subject: "p-1".into(), role, team_id: team.map(Into::into) }
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

    #[test]
    fn team_leads_share_views_with_their_own_team_only() {
        let lead = as_role(Role::TeamLead, Some("t-1"));
        assert!(may_share_view_with(&lead, "t-1"));
        assert!(!may_share_view_with(&lead, "t-2"));
        assert!(!may_share_view_with(&as_role(Role::Agent, Some("t-1")), "t-1"));
    }
}
