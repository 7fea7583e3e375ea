//! What each role may do in ticketing. Object-level rules (an agent and another team's
//! internal notes) arrive with the conversation; here is the role-level floor.
use frontline_shared::{
    ApiError, ApiResult,
    auth::{Principal, Role},
};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    ReadCustomers,
    WriteCustomers,
    ReadTickets,
    WriteTickets,
}

pub fn authorize(principal: &Principal, action: Action) -> ApiResult<()> {
    use Action::*;
    let allowed = match principal.role {
        role if role.is_staff() => true,
        // CRM sync keeps customers and tickets in step with the CRM, both ways.
        Role::CrmSync | Role::Service => true,
        // BI reads everything and writes nothing.
        Role::BiReader => matches!(action, ReadCustomers | ReadTickets),
        // A scheduling tool deals in rosters, not tickets.
        Role::Scheduler => false,
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
        };
        Err(ApiError::permission_denied(format!("the {} role may not {what}", principal.role)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn as_role(role: Role) -> Principal {
        Principal { subject: "x".into(), role, team_id: None }
    }

    #[test]
    fn bi_reads_but_never_writes() {
        assert!(authorize(&as_role(Role::BiReader), Action::ReadTickets).is_ok());
        assert!(authorize(&as_role(Role::BiReader), Action::WriteTickets).is_err());
    }

    #[test]
    fn scheduler_has_no_business_with_tickets() {
        assert!(authorize(&as_role(Role::Scheduler), Action::ReadTickets).is_err());
    }

    #[test]
    fn every_staff_role_works_tickets() {
        for role in Role::ALL.into_iter().filter(|role| role.is_staff()) {
            assert!(authorize(&as_role(role), Action::WriteTickets).is_ok(), "{role}");
        }
    }
}
