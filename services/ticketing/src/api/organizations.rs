//! Organisations: create (idempotent), get, list, update by mask and etag, upsert by external id.
use frontline_proto::ticketing::v1 as pb;
use frontline_shared::{
    ApiError, ApiResult,
    auth::Principal,
    feed::{self, NewEvent},
    filter::{self, FieldKind, FilterField},
    pagination::{self, Cursor},
};
use sqlx::AnyConnection;

use super::{RequestId, TicketingApi, check_request_id, concurrent_write, convert, fingerprint};
use crate::{
    domain::{
        access::{Action, authorize},
        organization::Organization,
    },
    store::organizations as store,
};

const FILTER_FIELDS: &[FilterField] = &[
    FilterField { name: "name", column: "name", kind: FieldKind::Text },
    FilterField { name: "external_id", column: "external_id", kind: FieldKind::Text },
    FilterField {
        name: "domain",
        column: "",
        kind: FieldKind::Contains("id IN (SELECT organization_id FROM organization_domains WHERE domain = {})"),
    },
    FilterField { name: "created_at", column: "created_at", kind: FieldKind::Timestamp },
];

impl TicketingApi {
    pub(super) async fn create_organization(
        &self,
        principal: &Principal,
        request: pb::CreateOrganizationRequest,
    ) -> ApiResult<pb::Organization> {
        authorize(principal, Action::WriteCustomers)?;
        check_request_id(&request.request_id)?;
        let given = request.organization.ok_or_else(|| ApiError::invalid("organization", "is required"))?;
        let request_hash = fingerprint(&given);
        let organization = Organization::create(
            uuid::Uuid::now_v7().to_string(),
            convert::organization_fields(given),
            self.clock.now_micros(),
        )?;
        let mut transaction = self.db.begin().await?;
        let request_id = RequestId::new("create_organization", principal, &request.request_id);
        if let Some(original) = request_id.claim(&mut transaction, &request_hash).await? {
            let organization = store::get(&mut transaction, &original)
                .await?
                .ok_or_else(|| ApiError::not_found("organization", &original))?;
            return Ok(convert::organization(&organization));
        }
        self.record_organization(&mut transaction, principal, None, &organization, &[]).await?;
        request_id.complete(&mut transaction, &organization.id).await?;
        transaction.commit().await?;
        self.committed();
        Ok(convert::organization(&organization))
    }

    pub(super) async fn get_organization(
        &self,
        principal: &Principal,
        request: pb::GetOrganizationRequest,
    ) -> ApiResult<pb::Organization> {
        authorize(principal, Action::ReadCustomers)?;
        if request.id.is_empty() {
            return Err(ApiError::invalid("id", "is required"));
        }
        let mut connection = self.db.reader().acquire().await?;
        let organization = store::get(&mut connection, &request.id)
            .await?
            .ok_or_else(|| ApiError::not_found("organization", &request.id))?;
        Ok(convert::organization(&organization))
    }

    pub(super) async fn list_organizations(
        &self,
        principal: &Principal,
        request: pb::ListOrganizationsRequest,
    ) -> ApiResult<pb::ListOrganizationsResponse> {
        authorize(principal, Action::ReadCustomers)?;
        let page_size = pagination::page_size(request.page_size)?;
        let sql_filter = filter::to_sql(&filter::parse(&request.filter)?, FILTER_FIELDS, 1)?;
        let query = pagination::query_fingerprint(principal, &["organizations", &request.filter]);
        let after = pagination::decode_token(&request.page_token, &query)?;
        let mut connection = self.db.reader().acquire().await?;
        let mut page = store::list(&mut connection, &sql_filter, after.as_ref(), page_size + 1).await?;
        let next_page_token = pagination::finish_page(&mut page, page_size, &query, |last| Cursor {
            sort_key: last.created_at.to_string(),
            id: last.id.clone(),
        });
        Ok(pb::ListOrganizationsResponse {
            organizations: page.iter().map(convert::organization).collect(),
            next_page_token,
        })
    }

    pub(super) async fn update_organization(
        &self,
        principal: &Principal,
        request: pb::UpdateOrganizationRequest,
    ) -> ApiResult<pb::Organization> {
        authorize(principal, Action::WriteCustomers)?;
        let given = request.organization.ok_or_else(|| ApiError::invalid("organization", "is required"))?;
        if given.id.is_empty() {
            return Err(ApiError::invalid("organization.id", "is required"));
        }
        let (id, etag) = (given.id.clone(), given.etag.clone());
        let paths = request.update_mask.map(|mask| mask.paths).unwrap_or_default();
        let mut transaction = self.db.begin().await?;
        let current =
            store::get(&mut transaction, &id).await?.ok_or_else(|| ApiError::not_found("organization", &id))?;
        if !etag.is_empty() && etag != current.etag() {
            return Err(ApiError::stale_etag("organization", &id));
        }
        let (next, changed) =
            current.update(&convert::organization_fields(given), Some(&paths), self.clock.now_micros())?;
        self.record_organization(&mut transaction, principal, Some(&current), &next, &changed).await?;
        transaction.commit().await?;
        self.committed();
        Ok(convert::organization(&next))
    }

    pub(super) async fn upsert_organization(
        &self,
        principal: &Principal,
        request: pb::UpsertOrganizationRequest,
    ) -> ApiResult<pb::UpsertOrganizationResponse> {
        authorize(principal, Action::WriteCustomers)?;
        let given = request.organization.ok_or_else(|| ApiError::invalid("organization", "is required"))?;
        let external_id = given.external_id.trim().to_string();
        if external_id.is_empty() {
            return Err(ApiError::invalid("organization.external_id", "is required: it is the key of an upsert"));
        }
        let fields = convert::organization_fields(given);
        for attempt in 1..=2 {
            let mut transaction = self.db.begin().await?;
            let now = self.clock.now_micros();
            let outcome = match store::find_by_external_id(&mut transaction, &external_id).await? {
                Some(current) => {
                    let (next, changed) = current.update(&fields, None, now)?;
                    self.record_organization(&mut transaction, principal, Some(&current), &next, &changed)
                        .await
                        .map(|()| (next, false))
                }
                None => {
                    let created = Organization::create(uuid::Uuid::now_v7().to_string(), fields.clone(), now)?;
                    self.record_organization(&mut transaction, principal, None, &created, &[])
                        .await
                        .map(|()| (created, true))
                }
            };
            match outcome {
                Ok((organization, created)) => {
                    transaction.commit().await?;
                    self.committed();
                    return Ok(pb::UpsertOrganizationResponse {
                        organization: Some(convert::organization(&organization)),
                        created,
                    });
                }
                Err(ApiError::Aborted { reason: "CONCURRENT_WRITE", .. }) if attempt == 1 => continue,
                Err(error) => return Err(error),
            }
        }
        unreachable!("the second attempt returns")
    }

    /// Stores a new (`current` None) or changed organisation with its feed event.
    async fn record_organization(
        &self,
        connection: &mut AnyConnection,
        principal: &Principal,
        current: Option<&Organization>,
        next: &Organization,
        changed: &[&'static str],
    ) -> ApiResult<()> {
        if current.is_some() && changed.is_empty() {
            return Ok(());
        }
        if let Some(other) = store::find_by_name(connection, &next.name).await?
            && other.id != next.id
        {
            return Err(ApiError::AlreadyExists {
                reason: "NAME_TAKEN",
                message: format!("organisation {} is already called {}", other.id, other.name),
            });
        }
        if !next.external_id.is_empty()
            && let Some(other) = store::find_by_external_id(connection, &next.external_id).await?
            && other.id != next.id
        {
            return Err(ApiError::AlreadyExists {
                reason: "EXTERNAL_ID_TAKEN",
                message: format!(
                    "organisation {} already has external_id {}; use UpsertOrganization",
                    other.id, next.external_id
                ),
            });
        }
        if let Some((domain, owner)) = store::domain_taken(connection, &next.domains, &next.id).await? {
            return Err(ApiError::AlreadyExists {
                reason: "DOMAIN_TAKEN",
                message: format!("{domain} already belongs to organisation {owner}"),
            });
        }
        let wire = convert::organization(next);
        match current {
            None => {
                store::insert(connection, next).await.map_err(concurrent_write)?;
                feed::append(
                    connection,
                    NewEvent {
                        event_type: "organization.created",
                        aggregate_type: "organization",
                        aggregate_id: &next.id,
                        actor: &principal.subject,
                        payload: &pb::OrganizationCreated { organization: Some(wire) },
                    },
                )
                .await?;
            }
            Some(current) => {
                if !store::update(connection, next, current.revision).await.map_err(concurrent_write)? {
                    return Err(ApiError::Aborted {
                        reason: "CONCURRENT_UPDATE",
                        message: format!("organisation {} changed meanwhile; retry", next.id),
                    });
                }
                feed::append(
                    connection,
                    NewEvent {
                        event_type: "organization.updated",
                        aggregate_type: "organization",
                        aggregate_id: &next.id,
                        actor: &principal.subject,
                        payload: &pb::OrganizationUpdated {
                            organization: Some(wire),
                            changed_fields: changed.iter().map(|f| f.to_string()).collect(),
                        },
                    },
                )
                .await?;
            }
        }
        Ok(())
    }
}
