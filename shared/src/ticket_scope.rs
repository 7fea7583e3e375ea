//! Which tickets a caller may see: one rule for every service that shows tickets or what was
//! computed from them. Ticketing applies it to its lists and reads; analytics, which keeps its
//! own copy of each ticket's team and assignee, applies the same rule to its board and its
//! per-ticket metrics, so a number computed in the background never shows a reader a ticket
//! ticketing would hide from them.
use crate::{
    auth::{Principal, Role},
    filter::{SqlFilter, SqlValue},
};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TicketScope {
    All,
    /// Their team's tickets, the ones assigned to them, and the shared inbox (no team).
    Team {
        team_id: Option<String>,
        person_id: String,
    },
    /// An end user: the tickets their customer requested. Ticketing, which knows requesters and
    /// organisations, adds the tickets of an organisation that shares them; a service that does
    /// not know a ticket's requester shows an end user none ([`TicketScope::includes`] is false).
    Requester {
        customer_id: String,
    },
    /// A token that should name whose tickets it reads and does not: nothing.
    Nothing,
}

/// Agents, team leads and supervisors see their team's tickets; end users their own; everyone
/// above them, and the programs, see all (each service still decides which roles may read at
/// all). Every role is named, so a new one cannot fall into "all" by default.
pub fn ticket_scope(principal: &Principal) -> TicketScope {
    match principal.role {
        Role::Agent | Role::TeamLead | Role::Supervisor => {
            TicketScope::Team { team_id: principal.team_id.clone(), person_id: principal.subject.clone() }
        }
        Role::EndUser => match principal.end_user_customer() {
            Some(customer_id) => TicketScope::Requester { customer_id: customer_id.to_owned() },
            None => TicketScope::Nothing,
        },
        Role::Administrator
        | Role::Manager
        | Role::Director
        | Role::CrmSync
        | Role::Scheduler
        | Role::BiReader
        | Role::Service
        | Role::Portal => TicketScope::All,
    }
}

impl TicketScope {
    /// Whether a ticket of `team_id`, assigned to `assignee_id`, is in scope.
    pub fn includes(&self, team_id: &str, assignee_id: &str) -> bool {
        match self {
            TicketScope::All => true,
            TicketScope::Team { team_id: own, person_id } => {
                team_id.is_empty() || assignee_id == person_id || own.as_deref() == Some(team_id)
            }
            TicketScope::Requester { .. } | TicketScope::Nothing => false,
        }
    }

    /// The same rule as a WHERE fragment over columns `team_id` and `assignee_id`, its values
    /// numbered from `$first_placeholder`.
    pub fn sql_clause(&self, first_placeholder: usize) -> SqlFilter {
        match self {
            TicketScope::All => SqlFilter { clause: "TRUE".into(), values: vec![] },
            TicketScope::Team { team_id, person_id } => SqlFilter {
                clause: format!(
                    "team_id = '' OR assignee_id = ${first_placeholder} OR team_id = ${}",
                    first_placeholder + 1
                ),
                values: vec![SqlValue::Text(person_id.clone()), SqlValue::Text(team_id.clone().unwrap_or_default())],
            },
            // Requesters are ticketing's to resolve (it adds them itself); elsewhere, nothing.
            TicketScope::Requester { .. } | TicketScope::Nothing => {
                SqlFilter { clause: "1 = 0".into(), values: vec![] }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn caller(role: Role, team: Option<&str>) -> Principal {
        Principal::new("agent-ola", role, team)
    }

    #[test]
    fn an_agent_sees_their_team_their_own_and_the_shared_inbox_only() {
        let scope = ticket_scope(&caller(Role::Agent, Some("tier1")));
        assert!(scope.includes("tier1", "agent-tom"));
        assert!(scope.includes("tier2", "agent-ola"), "assigned to them");
        assert!(scope.includes("", ""), "the shared inbox");
        assert!(!scope.includes("tier2", "agent-kai"), "another team's ticket");
        let without_team = ticket_scope(&caller(Role::Agent, None));
        assert!(!without_team.includes("tier1", "agent-tom"));
    }

    #[test]
    fn an_end_user_sees_no_ticket_where_requesters_are_unknown() {
        let mut end_user = caller(Role::EndUser, None);
        end_user.customer_id = Some("cus-1".into());
        let scope = ticket_scope(&end_user);
        assert_eq!(scope, TicketScope::Requester { customer_id: "cus-1".into() });
        assert!(!scope.includes("", ""), "not even the shared inbox");
        assert_eq!(scope.sql_clause(1).clause, "1 = 0");
        assert_eq!(ticket_scope(&caller(Role::EndUser, None)), TicketScope::Nothing, "unbound");
    }

    #[test]
    fn managers_directors_and_programs_see_every_ticket() {
        for role in [Role::Manager, Role::Director, Role::Administrator, Role::BiReader, Role::Service] {
            assert!(ticket_scope(&caller(role, Some("tier1"))).includes("tier2", "agent-kai"), "{role}");
        }
    }
}
