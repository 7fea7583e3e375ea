//! Custom ticket fields, configured by administrators.
use frontline_proto::ticketing::v1 as pb;
use frontline_shared::{
    ApiError, ApiResult,
    auth::Principal,
    database::is_unique_violation,
    feed::{self, NewEvent},
};

use super::{TicketingApi, convert};
use crate::{
    domain::{
        access::{Action, authorize},
        custom_fields::FieldDefinition,
    },
    store::custom_fields as store,
};

impl TicketingApi {
    pub(super) async fn create_custom_field(
        &self,
        principal: &Principal,
        request: pb::CreateCustomFieldRequest,
    ) -> ApiResult<pb::CustomFieldDefinition> {
        authorize(principal, Action::ConfigureFields)?;
        let given = request.field.ok_or_else(|| ApiError::invalid("field", "is required"))?;
        let field = FieldDefinition::create(convert::definition_fields(given)?, self.clock.now_micros())?;
        let mut transaction = self.db.begin().await?;
        store::insert(&mut transaction, &field).await.map_err(|error| {
            if is_unique_violation(&error) {
                ApiError::AlreadyExists {
                    reason: "FIELD_EXISTS",
                    message: format!("a custom field with key {} exists", field.key),
                }
            } else {
                error.into()
            }
        })?;
        let wire = convert::definition(&field);
        self.field_event(&mut transaction, principal, "custom_field.created", &wire).await?;
        transaction.commit().await?;
        self.committed();
        Ok(wire)
    }

    pub(super) async fn list_custom_fields(
        &self,
        principal: &Principal,
        request: pb::ListCustomFieldsRequest,
    ) -> ApiResult<pb::ListCustomFieldsResponse> {
        authorize(principal, Action::ReadTickets)?;
        let mut connection = self.db.reader().acquire().await?;
        let fields = store::all(&mut connection).await?;
        Ok(pb::ListCustomFieldsResponse {
            fields: fields
                .iter()
                .filter(|field| field.active || request.include_inactive)
                .map(convert::definition)
                .collect(),
        })
    }

    pub(super) async fn update_custom_field(
        &self,
        principal: &Principal,
        request: pb::UpdateCustomFieldRequest,
    ) -> ApiResult<pb::CustomFieldDefinition> {
        authorize(principal, Action::ConfigureFields)?;
        let given = request.field.ok_or_else(|| ApiError::invalid("field", "is required"))?;
        let etag = given.etag.clone();
        let key = given.key.clone();
        let fields = convert::definition_fields(pb::CustomFieldDefinition { r#type: 0, ..given })?;
        let paths = request.update_mask.map(|mask| mask.paths).unwrap_or_default();
        let mut transaction = self.db.begin().await?;
        let current =
            store::get(&mut transaction, &key).await?.ok_or_else(|| ApiError::not_found("custom field", &key))?;
        if !etag.is_empty() && etag != current.etag() {
            return Err(ApiError::stale_etag("custom field", &key));
        }
        let next = current.update(&fields, &paths, self.clock.now_micros())?;
        if next == current {
            return Ok(convert::definition(&current));
        }
        if !store::update(&mut transaction, &next, current.revision).await? {
            return Err(ApiError::Aborted {
                reason: "CONCURRENT_UPDATE",
                message: format!("custom field {key} changed meanwhile; retry"),
            });
        }
        let wire = convert::definition(&next);
        self.field_event(&mut transaction, principal, "custom_field.updated", &wire).await?;
        transaction.commit().await?;
        self.committed();
        Ok(wire)
    }

    async fn field_event(
        &self,
        connection: &mut sqlx::AnyConnection,
        principal: &Principal,
        event_type: &str,
        field: &pb::CustomFieldDefinition,
    ) -> ApiResult<()> {
        feed::append(
            connection,
            NewEvent {
                event_type,
                aggregate_type: "custom_field",
                aggregate_id: &field.key,
                actor: &principal.subject,
                payload: &pb::CustomFieldChanged { field: Some(field.clone()) },
            },
        )
        .await?;
        Ok(())
    }
}
