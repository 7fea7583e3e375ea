//! Saved views, personal or shared with a team, with live counts.
use frontline_proto::ticketing::v1 as pb;
use frontline_shared::{
    ApiError, ApiResult,
    auth::{Principal, Role},
    filter,
};

use super::{TicketingApi, convert, tickets};
use crate::{
    domain::{
        access::{self, Action, authorize},
        view::TicketView,
    },
    store::{tickets as ticket_store, views as store},
};

const MAX_VIEWS_PER_PERSON: usize = 100;

fn sees_all_shared_views(principal: &Principal) -> bool {
    matches!(principal.role, Role::Administrator | Role::Manager | Role::Director | Role::Service)
}

/// A view is visible to its owner, to its team, and to those who oversee every team.
/// Saved views are a staff tool: requesters list their own tickets without them.
fn authorize_views(principal: &Principal) -> ApiResult<()> {
    authorize(principal, Action::BrowseTickets)?;
    if principal.role.reads_as_customer() {
        return Err(ApiError::permission_denied("saved ticket views are for staff"));
    }
    Ok(())
}

pub(super) fn check_view_visible(principal: &Principal, view: &TicketView) -> ApiResult<()> {
    let shared_with_caller = !view.team_id.is_empty()
        && (principal.team_id.as_deref() == Some(view.team_id.as_str()) || sees_all_shared_views(principal));
    if view.owner_id == principal.subject || shared_with_caller {
        Ok(())
    } else {
        Err(ApiError::not_found("view", &view.id))
    }
}

/// Only the owner changes a personal view; a shared one, whoever may share with that team.
fn check_view_editable(principal: &Principal, view: &TicketView) -> ApiResult<()> {
    check_view_visible(principal, view)?;
    if view.owner_id == principal.subject
        || (!view.team_id.is_empty() && access::may_share_view_with(principal, &view.team_id))
    {
        Ok(())
    } else {
        Err(ApiError::permission_denied("only its owner or a lead of its team may change this view"))
    }
}

fn check_view_rules(principal: &Principal, view: &TicketView) -> ApiResult<()> {
    if !access::may_share_view_with(principal, &view.team_id) {
        return Err(ApiError::permission_denied(format!(
            "the {} role may not share views with team {}",
            principal.role, view.team_id
        )));
    }
    // The filter must be one ListTickets accepts, so the view never fails when opened.
    filter::to_sql(&filter::parse(&view.filter)?, tickets::FILTER_FIELDS, 1)
        .map_err(|_| ApiError::invalid("view.filter", "is not a filter ListTickets accepts"))?;
    Ok(())
}

impl TicketingApi {
    pub(super) async fn create_ticket_view(
        &self,
        principal: &Principal,
        request: pb::CreateTicketViewRequest,
    ) -> ApiResult<pb::TicketView> {
        authorize_views(principal)?;
        let given = request.view.ok_or_else(|| ApiError::invalid("view", "is required"))?;
        let view = TicketView::create(
            uuid::Uuid::now_v7().to_string(),
            &principal.subject,
            convert::view_fields(given),
            self.clock.now_micros(),
        )?;
        check_view_rules(principal, &view)?;
        let mut transaction = self.db.begin().await?;
        if store::visible(&mut transaction, &principal.subject, None, false).await?.len() >= MAX_VIEWS_PER_PERSON {
            return Err(ApiError::FailedPrecondition {
                reason: "TOO_MANY_VIEWS",
                message: format!("at most {MAX_VIEWS_PER_PERSON} views per person"),
            });
        }
        store::insert(&mut transaction, &view).await?;
        transaction.commit().await?;
        Ok(convert::view(&view))
    }

    pub(super) async fn list_ticket_views(&self, principal: &Principal) -> ApiResult<pb::ListTicketViewsResponse> {
        authorize_views(principal)?;
        let mut connection = self.db.reader().acquire().await?;
        let views = store::visible(
            &mut connection,
            &principal.subject,
            principal.team_id.as_deref(),
            sees_all_shared_views(principal),
        )
        .await?;
        let mut counted = Vec::with_capacity(views.len());
        for view in views {
            // Live: counted now, within what the caller may see.
            let filter = tickets::visible_filter(principal, &[&view.filter])?;
            let ticket_count = ticket_store::count(&mut connection, &filter).await?;
            counted.push(pb::CountedTicketView { view: Some(convert::view(&view)), ticket_count });
        }
        Ok(pb::ListTicketViewsResponse { views: counted })
    }

    pub(super) async fn update_ticket_view(
        &self,
        principal: &Principal,
        request: pb::UpdateTicketViewRequest,
    ) -> ApiResult<pb::TicketView> {
        authorize_views(principal)?;
        let given = request.view.ok_or_else(|| ApiError::invalid("view", "is required"))?;
        let (id, etag) = (given.id.clone(), given.etag.clone());
        let paths = request.update_mask.map(|mask| mask.paths).unwrap_or_default();
        let mut transaction = self.db.begin().await?;
        let current = store::get(&mut transaction, &id).await?.ok_or_else(|| ApiError::not_found("view", &id))?;
        check_view_editable(principal, &current)?;
        if !etag.is_empty() && etag != current.etag() {
            return Err(ApiError::stale_etag("view", &id));
        }
        let next = current.update(&convert::view_fields(given), &paths, self.clock.now_micros())?;
        check_view_rules(principal, &next)?;
        if next != current && !store::update(&mut transaction, &next, current.revision).await? {
            return Err(ApiError::Aborted {
                reason: "CONCURRENT_UPDATE",
                message: format!("view {id} changed meanwhile; retry"),
            });
        }
        transaction.commit().await?;
        Ok(convert::view(&next))
    }

    pub(super) async fn delete_ticket_view(
        &self,
        principal: &Principal,
        request: pb::DeleteTicketViewRequest,
    ) -> ApiResult<pb::DeleteTicketViewResponse> {
        authorize_views(principal)?;
        let mut transaction = self.db.begin().await?;
        let view =
            store::get(&mut transaction, &request.id).await?.ok_or_else(|| ApiError::not_found("view", &request.id))?;
        check_view_editable(principal, &view)?;
        store::delete(&mut transaction, &request.id).await?;
        transaction.commit().await?;
        Ok(pb::DeleteTicketViewResponse {})
    }
}
