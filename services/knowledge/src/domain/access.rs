//! Who may do what in knowledge.
//!
//! - Reading: staff read every collection that is not restricted to other teams;
//!   administrators, managers, directors, services and BI read everything. Customers (end
//!   users, and gateways acting for them) read published public articles of unrestricted
//!   collections only, and only their published text: pending revisions are for staff.
//! - Writing drafts: staff of a collection's editor teams, or any staff when it names none.
//! - Publishing, unpublishing, archiving: team leads and above, and agents of a collection's
//!   named editor teams (an explicit grant). These publishers decide what readers see:
//!   - An edit of a published article's text (UpdateArticle, UpsertTranslation,
//!     RestoreArticleVersion) by a writer who may not publish it is kept as a pending revision;
//!     readers (portal, search, suggestions) keep the published text until a publisher
//!     publishes the revision with PublishArticle. A publisher's own edit is published at once
//!     (see `publishing` for why).
//!   - Changing who reads an article — its visibility, or a move to a collection with other
//!     reader teams — takes publishing rights in both collections. A new article is a draft, so
//!     its author may choose its intended visibility; a publisher confirms it by publishing.
//! - Assigning verifiers (person, team, interval), on create or update: administrators,
//!   managers and directors, and team leads and supervisors of the article's owner team. The
//!   model has no owner-team field and knowledge does not know people's teams, so the owner
//!   teams are the collection's editor teams — the teams that answer for its articles; a
//!   collection naming none belongs to every team, and any lead may assign there.
//! - Verifying: the article's verifier (the person, or anyone in the verifier team), and
//!   administrators, managers and directors.
//! - Collections, rules, imports, exports and index rebuilds: administrators, managers, directors.
use frontline_shared::{
    ApiError, ApiResult,
    auth::{Principal, Role},
};

use super::article::{ArticleStatus, Visibility};
use super::model::{Article, Collection, Permissions};

fn sees_everything(principal: &Principal) -> bool {
    matches!(principal.role, Role::Administrator | Role::Manager | Role::Director | Role::Service | Role::BiReader)
}

fn in_teams(principal: &Principal, teams: &[String]) -> bool {
    principal.team_id.as_ref().is_some_and(|team| teams.contains(team))
}

/// Whether the caller may read articles of a collection with `permissions` at all.
pub fn reads_collection(principal: &Principal, permissions: &Permissions) -> bool {
    if sees_everything(principal) {
        return true;
    }
    match principal.role {
        role if role.reads_as_customer() => permissions.reader_team_ids.is_empty(),
        role if role.is_staff() => {
            permissions.reader_team_ids.is_empty() || in_teams(principal, &permissions.reader_team_ids)
        }
        _ => false,
    }
}

/// Whether the caller may read this article (its collection's permissions given).
pub fn reads_article(principal: &Principal, article: &Article, permissions: &Permissions) -> bool {
    if !reads_collection(principal, permissions) {
        return false;
    }
    !principal.role.reads_as_customer()
        || (article.visibility == Visibility::Public && article.status == ArticleStatus::Published)
}

/// NOT_FOUND rather than PERMISSION_DENIED for an article the caller may not read, so its
/// existence does not leak.
pub fn check_reads_article(principal: &Principal, article: &Article, permissions: &Permissions) -> ApiResult<()> {
    if reads_article(principal, article, permissions) {
        Ok(())
    } else {
        Err(ApiError::not_found("article", &article.id))
    }
}

/// Customers (portal), staff, services and BI read the knowledge base; CRM sync and scheduling
/// tools have no business in it.
pub fn check_reader(principal: &Principal) -> ApiResult<()> {
    if is_staff_reader(principal) || principal.role.reads_as_customer() {
        Ok(())
    } else {
        Err(ApiError::permission_denied(format!("the {} role may not read the knowledge base", principal.role)))
    }
}

/// Whether the caller is staff (or a service) who may search internal content at all.
pub fn is_staff_reader(principal: &Principal) -> bool {
    sees_everything(principal) || principal.role.is_staff()
}

pub fn check_staff(principal: &Principal, what: &str) -> ApiResult<()> {
    if is_staff_reader(principal) {
        Ok(())
    } else {
        Err(ApiError::permission_denied(format!("the {} role may not {what}", principal.role)))
    }
}

fn leads(principal: &Principal) -> bool {
    matches!(principal.role, Role::TeamLead | Role::Supervisor | Role::Administrator | Role::Manager | Role::Director)
}

pub fn check_writes(principal: &Principal, permissions: &Permissions) -> ApiResult<()> {
    let allowed = leads(principal)
        || (principal.role.is_staff()
            && (permissions.editor_team_ids.is_empty() || in_teams(principal, &permissions.editor_team_ids)));
    if allowed {
        Ok(())
    } else {
        Err(ApiError::permission_denied(format!(
            "the {} role may not write articles in this collection (it names its editor teams)",
            principal.role
        )))
    }
}

pub fn check_publishes(principal: &Principal, permissions: &Permissions) -> ApiResult<()> {
    if leads(principal) || (principal.role.is_staff() && in_teams(principal, &permissions.editor_team_ids)) {
        Ok(())
    } else {
        Err(ApiError::permission_denied(format!(
            "the {} role may not publish, unpublish or archive articles here; a team lead or an editor team may",
            principal.role
        )))
    }
}

/// Whether the caller may publish in a collection with `permissions` (see `check_publishes`).
pub fn publishes(principal: &Principal, permissions: &Permissions) -> bool {
    check_publishes(principal, permissions).is_ok()
}

/// Changing who reads an article (visibility, or a move between collections with other reader
/// teams) takes publishing rights where it is and where it goes.
pub fn check_changes_audience(principal: &Principal, from: &Permissions, to: &Permissions) -> ApiResult<()> {
    if publishes(principal, from) && publishes(principal, to) {
        Ok(())
    } else {
        Err(ApiError::permission_denied(format!(
            "the {} role may not change who reads this article (its visibility or its collection's readers); \
             someone who may publish here may",
            principal.role
        )))
    }
}

/// Assigning or changing an article's verifier or interval: administrators, managers and
/// directors, and leads of the owner team (the collection's editor teams; any lead when it
/// names none).
pub fn check_assigns_verifier(principal: &Principal, permissions: &Permissions) -> ApiResult<()> {
    let lead_of_owner_team = matches!(principal.role, Role::TeamLead | Role::Supervisor)
        && (permissions.editor_team_ids.is_empty() || in_teams(principal, &permissions.editor_team_ids));
    if administers(principal) || lead_of_owner_team {
        Ok(())
    } else {
        Err(ApiError::permission_denied(format!(
            "the {} role may not assign verifiers; an administrator or a lead of the collection's editor teams may",
            principal.role
        )))
    }
}

/// Who sees pending revisions (and drafts): staff who may read the article, never portal callers.
pub fn reads_drafts(principal: &Principal) -> bool {
    is_staff_reader(principal)
}

pub fn check_verifies(principal: &Principal, article: &Article) -> ApiResult<()> {
    let verifier = &article.verifier;
    let allowed = administers(principal)
        || (principal.role.is_staff()
            && ((!verifier.person_id.is_empty() && verifier.person_id == principal.subject)
                || (!verifier.team_id.is_empty() && principal.team_id.as_deref() == Some(verifier.team_id.as_str()))));
    if allowed {
        Ok(())
    } else {
        Err(ApiError::permission_denied(
            "only the article's verifier (or an administrator, manager or director) may verify it",
        ))
    }
}

fn administers(principal: &Principal) -> bool {
    matches!(principal.role, Role::Administrator | Role::Manager | Role::Director)
}

pub fn check_administers(principal: &Principal, what: &str) -> ApiResult<()> {
    if administers(principal) {
        Ok(())
    } else {
        Err(ApiError::permission_denied(format!("the {} role may not {what}", principal.role)))
    }
}

/// The effective permissions of a collection or section: a section takes its collection's.
pub fn effective(collection: &Collection, parent: Option<&Collection>) -> Permissions {
    parent.unwrap_or(collection).permissions.clone()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn person(role: Role, team: Option<&str>) -> Principal {
        Principal::new("someone", role, team)
    }

    fn editors(teams: &[&str]) -> Permissions {
        Permissions { editor_team_ids: teams.iter().map(|t| t.to_string()).collect(), ..Default::default() }
    }

    #[test]
    fn verifiers_are_assigned_by_administrators_and_leads_of_the_owner_team() {
        let billing = editors(&["billing"]);
        for role in [Role::Administrator, Role::Manager, Role::Director] {
            assert!(check_assigns_verifier(&person(role, None), &billing).is_ok(), "{role}");
        }
        assert!(check_assigns_verifier(&person(Role::TeamLead, Some("billing")), &billing).is_ok());
        assert!(check_assigns_verifier(&person(Role::Supervisor, Some("billing")), &billing).is_ok());
        assert!(check_assigns_verifier(&person(Role::TeamLead, Some("tier1")), &billing).is_err(), "another team");
        assert!(check_assigns_verifier(&person(Role::Agent, Some("billing")), &billing).is_err(), "an editor agent");
        assert!(check_assigns_verifier(&person(Role::TeamLead, Some("tier1")), &editors(&[])).is_ok());
        assert!(check_assigns_verifier(&person(Role::Agent, None), &editors(&[])).is_err());
        assert!(check_assigns_verifier(&person(Role::Portal, None), &editors(&[])).is_err());
    }

    #[test]
    fn the_audience_changes_only_with_publishing_rights_on_both_sides() {
        let (open, billing) = (editors(&[]), editors(&["billing"]));
        let agent = person(Role::Agent, Some("billing"));
        assert!(check_changes_audience(&agent, &billing, &billing).is_ok(), "an editor team publishes");
        assert!(check_changes_audience(&agent, &billing, &open).is_err(), "but not where it names none");
        assert!(check_changes_audience(&person(Role::Agent, Some("tier1")), &open, &open).is_err());
        assert!(check_changes_audience(&person(Role::TeamLead, Some("tier1")), &billing, &open).is_ok());
    }

    #[test]
    fn portal_callers_never_read_drafts() {
        assert!(!reads_drafts(&person(Role::Portal, None)));
        assert!(reads_drafts(&person(Role::Agent, Some("tier1"))));
        assert!(!reads_drafts(&person(Role::Scheduler, None)));
    }
}
