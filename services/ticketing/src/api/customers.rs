//! Customer handlers: create (idempotent), get, list, update by mask and etag, upsert by the
//! CRM's external id.
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
        Customer,
        access::{Action, authorize},
        customer::CustomerChange,
    },
    store::customers,
};

const FILTER_FIELDS: &[FilterField] = &[
    FilterField { name: "tier", column: "tier", kind: FieldKind::Enum(convert::tier_filter) },
    FilterField { name: "organization_id", column: "organization_id", kind: FieldKind::Text },
    FilterField { name: "external_id", column: "external_id", kind: FieldKind::Text },
    FilterField { name: "locale", column: "locale", kind: FieldKind::Text },
    FilterField { name: "name", column: "name", kind: FieldKind::Text },
    FilterField {
        name: "email",
        column: "",
        kind: FieldKind::Contains("id IN (SELECT customer_id FROM customer_emails WHERE email = {})"),
    },
    FilterField { name: "created_at", column: "created_at", kind: FieldKind::Timestamp },
];

impl TicketingApi {
    pub(super) async fn create_customer(
        &self,
        principal: &Principal,
        request: pb::CreateCustomerRequest,
    ) -> ApiResult<pb::Customer> {
        authorize(principal, Action::WriteCustomers)?;
        check_request_id(&request.request_id)?;
        let given = request.customer.ok_or_else(|| ApiError::invalid("customer", "is required"))?;
        let request_hash = fingerprint(&given);
        let fields = convert::customer_fields(given)?;
        let customer = Customer::create(uuid::Uuid::now_v7().to_string(), fields, self.clock.now_micros())?;

        let mut transaction = self.db.begin().await?;
        let request_id = RequestId::new("create_customer", principal, &request.request_id);
        if let Some(original) = request_id.claim(&mut transaction, &request_hash).await? {
            let customer = customers::get(&mut transaction, &original)
                .await?
                .ok_or_else(|| ApiError::not_found("customer", &original))?;
            return Ok(convert::customer(&customer));
        }
        self.record_creation(&mut transaction, principal, &customer).await?;
        request_id.complete(&mut transaction, &customer.id).await?;
        transaction.commit().await?;
        self.committed();
        Ok(convert::customer(&customer))
    }

    pub(super) async fn get_customer(
        &self,
        principal: &Principal,
        request: pb::GetCustomerRequest,
    ) -> ApiResult<pb::Customer> {
        authorize(principal, Action::ReadCustomers)?;
        if request.id.is_empty() {
            return Err(ApiError::invalid("id", "is required"));
        }
        let mut connection = self.db.reader().acquire().await?;
        let customer = customers::get(&mut connection, &request.id)
            .await?
            .ok_or_else(|| ApiError::not_found("customer", &request.id))?;
        Ok(convert::customer(&customer))
    }

    pub(super) async fn list_customers(
        &self,
        principal: &Principal,
        request: pb::ListCustomersRequest,
    ) -> ApiResult<pb::ListCustomersResponse> {
        authorize(principal, Action::ReadCustomers)?;
        let page_size = pagination::page_size(request.page_size)?;
        let sql_filter = filter::to_sql(&filter::parse(&request.filter)?, FILTER_FIELDS, 1)?;
        let query = pagination::query_fingerprint(principal, &["customers", &request.filter]);
        let after = pagination::decode_token(&request.page_token, &query)?;
        let mut connection = self.db.reader().acquire().await?;
        let mut page = customers::list(&mut connection, &sql_filter, after.as_ref(), page_size + 1).await?;
        let next_page_token = pagination::finish_page(&mut page, page_size, &query, |last| Cursor {
            sort_key: last.created_at.to_string(),
            id: last.id.clone(),
        });
        Ok(pb::ListCustomersResponse { customers: page.iter().map(convert::customer).collect(), next_page_token })
    }

    pub(super) async fn update_customer(
        &self,
        principal: &Principal,
        request: pb::UpdateCustomerRequest,
    ) -> ApiResult<pb::Customer> {
        authorize(principal, Action::WriteCustomers)?;
        let given = request.customer.ok_or_else(|| ApiError::invalid("customer", "is required"))?;
        if given.id.is_empty() {
            return Err(ApiError::invalid("customer.id", "is required"));
        }
        let (id, etag) = (given.id.clone(), given.etag.clone());
        let fields = convert::customer_fields(given)?;
        let paths = request.update_mask.map(|mask| mask.paths).unwrap_or_default();

        let mut transaction = self.db.begin().await?;
        let current =
            customers::get(&mut transaction, &id).await?.ok_or_else(|| ApiError::not_found("customer", &id))?;
        if !etag.is_empty() && etag != current.etag() {
            return Err(ApiError::stale_etag("customer", &id));
        }
        let change = current.update(&fields, &paths, self.clock.now_micros())?;
        let customer = self.record_change(&mut transaction, principal, &current, change).await?;
        transaction.commit().await?;
        self.committed();
        Ok(convert::customer(&customer))
    }

    pub(super) async fn upsert_customer(
        &self,
        principal: &Principal,
        request: pb::UpsertCustomerRequest,
    ) -> ApiResult<pb::UpsertCustomerResponse> {
        authorize(principal, Action::WriteCustomers)?;
        let given = request.customer.ok_or_else(|| ApiError::invalid("customer", "is required"))?;
        if given.external_id.trim().is_empty() {
            return Err(ApiError::invalid("customer.external_id", "is required: it is the key of an upsert"));
        }
        let fields = convert::customer_fields(given)?;
        // Two upserts of a new external id can race to insert it; the loser finds the winner's
        // row on its second attempt and updates it instead.
        for attempt in 1..=2 {
            let mut transaction = self.db.begin().await?;
            let now = self.clock.now_micros();
            let outcome = match customers::find_by_external_id(&mut transaction, fields.external_id.trim()).await? {
                Some(current) => {
                    let change = current.replace(&fields, now)?;
                    self.record_change(&mut transaction, principal, &current, change).await.map(|c| (c, false))
                }
                None => {
                    let customer = Customer::create(uuid::Uuid::now_v7().to_string(), fields.clone(), now)?;
                    self.record_creation(&mut transaction, principal, &customer).await.map(|()| (customer, true))
                }
            };
            match outcome {
                Ok((customer, created)) => {
                    transaction.commit().await?;
                    self.committed();
                    return Ok(pb::UpsertCustomerResponse { customer: Some(convert::customer(&customer)), created });
                }
                Err(ApiError::Aborted { reason: "CONCURRENT_WRITE", .. }) if attempt == 1 => continue,
                Err(error) => return Err(error),
            }
        }
        unreachable!("the second attempt returns")
    }

    async fn record_creation(
        &self,
        connection: &mut AnyConnection,
        principal: &Principal,
        customer: &Customer,
    ) -> ApiResult<()> {
        check_unique_fields(connection, customer).await?;
        customers::insert(connection, customer).await.map_err(concurrent_write)?;
        feed::append(
            connection,
            NewEvent {
                event_type: "customer.created",
                aggregate_type: "customer",
                aggregate_id: &customer.id,
                actor: &principal.subject,
                payload: &pb::CustomerCreated { customer: Some(convert::customer(customer)) },
            },
        )
        .await?;
        Ok(())
    }

    /// Stores a change and its feed event; an empty change writes nothing.
    async fn record_change(
        &self,
        connection: &mut AnyConnection,
        principal: &Principal,
        current: &Customer,
        change: CustomerChange,
    ) -> ApiResult<Customer> {
        let CustomerChange { customer, changed_fields } = change;
        if changed_fields.is_empty() {
            return Ok(customer);
        }
        check_unique_fields(connection, &customer).await?;
        let written = customers::update(connection, &customer, current.revision).await.map_err(concurrent_write)?;
        if !written {
            return Err(ApiError::Aborted {
                reason: "CONCURRENT_UPDATE",
                message: format!(
                    "customer {} was changed by another request at the same moment; re-read it and retry",
                    customer.id
                ),
            });
        }
        feed::append(
            connection,
            NewEvent {
                event_type: "customer.updated",
                aggregate_type: "customer",
                aggregate_id: &customer.id,
                actor: &principal.subject,
                payload: &pb::CustomerUpdated {
                    customer: Some(convert::customer(&customer)),
                    changed_fields: changed_fields.iter().map(|field| field.to_string()).collect(),
                },
            },
        )
        .await?;
        Ok(customer)
    }
}

impl TicketingApi {
    /// Merges a duplicate into a customer: tickets and addresses move, the duplicate remembers where it went.
    pub(super) async fn merge_customers(
        &self,
        principal: &Principal,
        request: pb::MergeCustomersRequest,
    ) -> ApiResult<pb::MergeCustomersResponse> {
        authorize(principal, Action::WriteCustomers)?;
        for (field, value) in [("source_id", &request.source_id), ("target_id", &request.target_id)] {
            if value.is_empty() {
                return Err(ApiError::invalid(field, "is required"));
            }
        }
        let mut transaction = self.db.begin().await?;
        let source = customers::get(&mut transaction, &request.source_id)
            .await?
            .ok_or_else(|| ApiError::not_found("customer", &request.source_id))?;
        let target = customers::get(&mut transaction, &request.target_id)
            .await?
            .ok_or_else(|| ApiError::not_found("customer", &request.target_id))?;
        let now = self.clock.now_micros();
        let (merged, absorbed) = source.merge_into(&target, now)?;
        // The source gives up its addresses first, so the target can take them.
        if !customers::update(&mut transaction, &merged, source.revision).await?
            || !customers::update(&mut transaction, &absorbed, target.revision).await?
        {
            return Err(ApiError::Aborted {
                reason: "CONCURRENT_UPDATE",
                message: "a customer changed meanwhile; retry the merge".into(),
            });
        }
        let moved = customers::move_tickets(&mut transaction, &source.id, &target.id).await?;
        for ticket_id in &moved {
            let change = serde_json::json!({ "requester_id": [source.id, target.id] });
            crate::store::tickets::insert_audit(
                &mut transaction,
                *ticket_id,
                &principal.subject,
                "requester_merged",
                &change,
                now,
            )
            .await?;
        }
        let response = pb::MergeCustomersResponse {
            target: Some(convert::customer(&absorbed)),
            source: Some(convert::customer(&merged)),
            moved_ticket_ids: moved.iter().map(|id| id.to_string()).collect(),
        };
        feed::append(
            &mut transaction,
            NewEvent {
                event_type: "customer.merged",
                aggregate_type: "customer",
                aggregate_id: &source.id,
                actor: &principal.subject,
                payload: &pb::CustomerMerged {
                    source: response.source.clone(),
                    target: response.target.clone(),
                    moved_ticket_ids: response.moved_ticket_ids.clone(),
                },
            },
        )
        .await?;
        transaction.commit().await?;
        self.committed();
        Ok(response)
    }
}

/// External ids and email addresses each identify one customer, and an organisation must exist.
async fn check_unique_fields(connection: &mut AnyConnection, customer: &Customer) -> ApiResult<()> {
    if !customer.organization_id.is_empty()
        && crate::store::organizations::get(connection, &customer.organization_id).await?.is_none()
    {
        return Err(ApiError::invalid(
            "customer.organization_id",
            format!("no organisation has id {}", customer.organization_id),
        ));
    }
    if !customer.external_id.is_empty()
        && let Some(other) = customers::find_by_external_id(connection, &customer.external_id).await?
        && other.id != customer.id
    {
        return Err(ApiError::AlreadyExists {
            reason: "EXTERNAL_ID_TAKEN",
            message: format!(
                "customer {} already has external_id {}; use UpsertCustomer to update it",
                other.id, customer.external_id
            ),
        });
    }
    if let Some((email, owner)) = customers::email_taken(connection, &customer.emails, &customer.id).await? {
        return Err(ApiError::AlreadyExists {
            reason: "EMAIL_TAKEN",
            message: format!("{email} already belongs to customer {owner}; merge the two customers instead"),
        });
    }
    Ok(())
}
