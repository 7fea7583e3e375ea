//! Who may do what in knowledge.
//!
//! - Reading: staff read every collection that is not restricted to other teams;
//!   administrators, managers, directors, services and BI read everything. Customers (end
//!   users, and gateways acting for them) read published public articles of unrestricted
//!   collections only.
//! - Writing drafts: staff of a collection's editor teams, or any staff when it names none.
//! - Publishing, unpublishing, archiving: team leads and above, and agents of a collection's
//!   named editor teams (an explicit grant).
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

pub fn check_verifies(principal: &Principal, article: &Article) -> ApiResult<()> {
    let verifier = &article.verifier;
    let allowed = matches!(principal.role, Role::Administrator | Role::Manager | Role::Director)
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

pub fn check_administers(principal: &Principal, what: &str) -> ApiResult<()> {
    if matches!(principal.role, Role::Administrator | Role::Manager | Role::Director) {
        Ok(())
    } else {
        Err(ApiError::permission_denied(format!("the {} role may not {what}", principal.role)))
    }
}

/// The effective permissions of a collection or section: a section takes its collection's.
pub fn effective(collection: &Collection, parent: Option<&Collection>) -> Permissions {
    parent.unwrap_or(collection).permissions.clone()
}
