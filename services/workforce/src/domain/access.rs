//! What each role may do in workforce.
//!
//! - Everyone in support reads people, teams and rosters; scheduling tools and BI read them too.
//! - Administrators, managers and directors manage people and teams.
//! - Rosters are managed by a team's lead or supervisor, by managers, directors and
//!   administrators, and by scheduling tools.
//! - Anyone requests their own time off; a team's lead or supervisor decides it, as do
//!   managers, directors and administrators.
//! - Hourly costs are shown to the person themselves and to those who manage people.
use frontline_shared::{
    ApiError, ApiResult,
    auth::{Principal, Role},
};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    ReadPeople,
    ManagePeople,
    ReadRoster,
    PlanStaffing,
}

pub fn authorize(principal: &Principal, action: Action) -> ApiResult<()> {
    use Action::*;
    let allowed = match principal.role {
        Role::Administrator | Role::Manager | Role::Director | Role::Service => true,
        role if role.is_staff() => {
            matches!(action, ReadPeople | ReadRoster) || (action == PlanStaffing && oversees_a_team(principal))
        }
        Role::Scheduler => matches!(action, ReadPeople | ReadRoster),
        Role::BiReader => matches!(action, ReadPeople | ReadRoster | PlanStaffing),
        _ => false,
    };
    if allowed {
        Ok(())
    } else {
        let what = match action {
            ReadPeople => "read people and teams",
            ManagePeople => "change people and teams",
            ReadRoster => "read rosters",
            PlanStaffing => "plan staffing",
        };
        Err(ApiError::permission_denied(format!("the {} role may not {what}", principal.role)))
    }
}

fn oversees_a_team(principal: &Principal) -> bool {
    matches!(principal.role, Role::TeamLead | Role::Supervisor)
}

/// Whether the caller may change `team_id`'s roster (and decide its time off).
pub fn manages_team(principal: &Principal, team_id: &str) -> bool {
    match principal.role {
        Role::Administrator | Role::Manager | Role::Director | Role::Service => true,
        Role::TeamLead | Role::Supervisor => principal.team_id.as_deref() == Some(team_id),
        _ => false,
    }
}

pub fn check_manages_team(principal: &Principal, team_id: &str) -> ApiResult<()> {
    if manages_team(principal, team_id) {
        Ok(())
    } else {
        Err(ApiError::permission_denied(format!(
            "only a lead or supervisor of team {team_id}, or a manager, may do this"
        )))
    }
}

/// Scheduling tools also write rosters (they push the schedules they build).
pub fn check_writes_roster(principal: &Principal, team_id: &str) -> ApiResult<()> {
    if principal.role == Role::Scheduler || manages_team(principal, team_id) {
        Ok(())
    } else {
        check_manages_team(principal, team_id)
    }
}

/// Writing a shift takes rights over the team it is worked for and over the person's own team:
/// a lead may not put another team's agent on their roster (and so block that team's lead with
/// overlaps) by naming their own team. ImportShifts applies the same rule.
pub fn check_writes_shift(principal: &Principal, shift_team_id: &str, person_team_id: &str) -> ApiResult<()> {
    check_writes_roster(principal, shift_team_id)?;
    if person_team_id != shift_team_id {
        check_writes_roster(principal, person_team_id)?;
    }
    Ok(())
}

pub fn sees_costs_of(principal: &Principal, person_id: &str) -> bool {
    principal.subject == person_id
        || matches!(
            principal.role,
            Role::Administrator | Role::Manager | Role::Director | Role::Service | Role::BiReader
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn as_role(role: Role, team: Option<&str>) -> Principal {
        Principal::new("me", role, team)
    }

    #[test]
    fn leads_manage_their_own_team_only() {
        let lead = as_role(Role::TeamLead, Some("t1"));
        assert!(manages_team(&lead, "t1"));
        assert!(!manages_team(&lead, "t2"));
        assert!(!manages_team(&as_role(Role::Agent, Some("t1")), "t1"));
        assert!(manages_team(&as_role(Role::Director, None), "t2"));
    }

    #[test]
    fn schedulers_read_and_write_rosters_but_not_people() {
        let scheduler = as_role(Role::Scheduler, None);
        assert!(authorize(&scheduler, Action::ReadRoster).is_ok());
        assert!(check_writes_roster(&scheduler, "t9").is_ok());
        assert!(authorize(&scheduler, Action::ManagePeople).is_err());
        assert!(authorize(&as_role(Role::Portal, None), Action::ReadPeople).is_err());
    }

    #[test]
    fn costs_are_for_the_person_and_management() {
        assert!(sees_costs_of(&as_role(Role::Agent, None), "me"));
        assert!(!sees_costs_of(&as_role(Role::Agent, None), "colleague"));
        assert!(sees_costs_of(&as_role(Role::Manager, None), "colleague"));
    }
}
