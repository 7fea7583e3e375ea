//! The roles a token can carry: people by their place in the support organisation, programs by
//! what they are for. What each may do is each service's domain's business, not this module's.
use std::fmt;

use serde::{Deserialize, Serialize};

/// Where a person sits in the support organisation, or which program is calling.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Agent,
    TeamLead,
    Supervisor,
    Administrator,
    Manager,
    Director,
    /// A CRM keeping customers and tickets in sync.
    CrmSync,
    /// A scheduling tool pulling rosters.
    Scheduler,
    /// A BI pipeline reading metrics and facts.
    BiReader,
    /// Another Frontline service.
    Service,
    /// A channel gateway (email, chat, a portal's own server) acting for any requester: it
    /// creates tickets and adds replies and ratings, recorded as the requester's, reads the
    /// public side of conversations, and never sees internal notes.
    Portal,
    /// A customer signed in to a help centre, bound to one customer by the token's `customer`
    /// claim: it reads and replies on that customer's own tickets (and their organisation's,
    /// where the organisation shares them), public comments and public articles only.
    EndUser,
}

impl Role {
    pub const ALL: [Role; 12] = [
        Role::Agent,
        Role::TeamLead,
        Role::Supervisor,
        Role::Administrator,
        Role::Manager,
        Role::Director,
        Role::CrmSync,
        Role::Scheduler,
        Role::BiReader,
        Role::Service,
        Role::Portal,
        Role::EndUser,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Agent => "agent",
            Role::TeamLead => "team_lead",
            Role::Supervisor => "supervisor",
            Role::Administrator => "administrator",
            Role::Manager => "manager",
            Role::Director => "director",
            Role::CrmSync => "crm_sync",
            Role::Scheduler => "scheduler",
            Role::BiReader => "bi_reader",
            Role::Service => "service",
            Role::Portal => "portal",
            Role::EndUser => "end_user",
        }
    }

    /// Sees what a customer may see: public comments and published public articles only.
    pub fn reads_as_customer(self) -> bool {
        matches!(self, Role::Portal | Role::EndUser)
    }

    /// A person in the support organisation, as opposed to a program.
    pub fn is_staff(self) -> bool {
        matches!(
            self,
            Role::Agent | Role::TeamLead | Role::Supervisor | Role::Administrator | Role::Manager | Role::Director
        )
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Role {
    type Err = String;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        Role::ALL.into_iter().find(|role| role.as_str() == value).ok_or_else(|| {
            let names: Vec<_> = Role::ALL.iter().map(|role| role.as_str()).collect();
            format!("unknown role `{value}`; expected one of {}", names.join(", "))
        })
    }
}
