//! Administering outbound webhooks — create, read, update, delete, rotate the secret — and
//! reading and redelivering their deliveries. Every change reaches the feed with the secret
//! masked and the URL redacted: feed readers must never be able to sign, nor post as the
//! webhook. Only those who may change webhooks (administrators, services) read whole URLs.
use frontline_proto::ticketing::v1 as pb;
use frontline_shared::{
    ApiError, ApiResult,
    auth::{Principal, Role},
    feed::{self, NewEvent},
    field_mask, pagination,
};
use sqlx::AnyConnection;

use super::{
    RequestId, TicketingApi, check_request_id, fingerprint,
    webhook_convert::{self as convert, Secret, Url},
};
use crate::{
    domain::{
        access::{Action, authorize},
        webhook::{
            DeliveryStatus, Webhook, new_secret,
            subscription::{MAX_WEBHOOKS, redacted_url},
        },
    },
    store::{webhook_deliveries as deliveries, webhooks as store},
};

const WEBHOOK_FIELDS: &[&str] = &["name", "url", "event_types", "allow_private_targets", "active"];

impl TicketingApi {
    /// Run at start, before serving: seals the signing secrets stored in plain text (before
    /// secrets were sealed) and reseals those sealed with a previous key. A secret that none of
    /// this process's keys opens stops the start with an error naming the key it needs: a
    /// process that cannot sign must not run beside those that can.
    pub async fn seal_webhook_secrets(&self) -> anyhow::Result<()> {
        let mut transaction = self.db.begin().await?;
        let rewritten = store::seal_stored_secrets(&mut transaction, &self.sealing).await?;
        transaction.commit().await?;
        if rewritten > 0 {
            tracing::info!(
                webhooks = rewritten,
                key = self.sealing.current_id(),
                "webhook signing secrets sealed with the current key"
            );
        }
        Ok(())
    }

    pub(super) async fn create_webhook(
        &self,
        principal: &Principal,
        request: pb::CreateWebhookRequest,
    ) -> ApiResult<pb::Webhook> {
        authorize(principal, Action::ConfigureRules)?;
        check_request_id(&request.request_id)?;
        let given = request.webhook.ok_or_else(|| ApiError::invalid("webhook", "is required"))?;
        let request_hash = fingerprint(&given);
        let mut webhook = convert::webhook_fields(given);
        may_open_private_targets(principal, false, &webhook)?;
        webhook.check()?;
        let now = self.clock.now_micros();
        webhook.id = uuid::Uuid::now_v7().to_string();
        webhook.secret = signing_secret()?;
        (webhook.revision, webhook.created_at, webhook.updated_at) = (1, now, now);

        let mut transaction = self.db.begin().await?;
        let request_id = RequestId::new("create_webhook", principal, &request.request_id);
        if let Some(original) = request_id.claim(&mut transaction, &request_hash).await? {
            // The caller never saw the first response, so this is its only chance at the secret.
            let webhook = self.webhook(&mut transaction, &original).await?;
            return Ok(convert::webhook(&webhook, Secret::Shown, Url::Shown));
        }
        if store::count(&mut transaction).await? >= MAX_WEBHOOKS {
            return Err(ApiError::FailedPrecondition {
                reason: "TOO_MANY_WEBHOOKS",
                message: format!("at most {MAX_WEBHOOKS} webhooks; delete one or subscribe an existing one"),
            });
        }
        store::insert(&mut transaction, &self.sealing, &webhook).await?;
        request_id.complete(&mut transaction, &webhook.id).await?;
        webhook_changed(&mut transaction, principal, "webhook.created", &webhook).await?;
        transaction.commit().await?;
        self.committed();
        tracing::info!(webhook = %webhook.id, url = %redacted_url(&webhook.url), "webhook created");
        Ok(convert::webhook(&webhook, Secret::Shown, Url::Shown))
    }

    async fn webhook(&self, connection: &mut AnyConnection, id: &str) -> ApiResult<Webhook> {
        if id.is_empty() {
            return Err(ApiError::invalid("id", "is required"));
        }
        store::get(connection, &self.sealing, id).await?.ok_or_else(|| ApiError::not_found("webhook", id))
    }

    pub(super) async fn get_webhook(
        &self,
        principal: &Principal,
        request: pb::GetWebhookRequest,
    ) -> ApiResult<pb::Webhook> {
        authorize(principal, Action::ReadRules)?;
        let mut connection = self.db.reader().acquire().await?;
        Ok(convert::webhook(&self.webhook(&mut connection, &request.id).await?, Secret::Masked, url_for(principal)))
    }

    pub(super) async fn list_webhooks(
        &self,
        principal: &Principal,
        _request: pb::ListWebhooksRequest,
    ) -> ApiResult<pb::ListWebhooksResponse> {
        authorize(principal, Action::ReadRules)?;
        let mut connection = self.db.reader().acquire().await?;
        let webhooks = store::all(&mut connection, &self.sealing).await?;
        let url = url_for(principal);
        Ok(pb::ListWebhooksResponse {
            webhooks: webhooks.iter().map(|webhook| convert::webhook(webhook, Secret::Masked, url)).collect(),
        })
    }

    pub(super) async fn update_webhook(
        &self,
        principal: &Principal,
        request: pb::UpdateWebhookRequest,
    ) -> ApiResult<pb::Webhook> {
        authorize(principal, Action::ConfigureRules)?;
        let given = request.webhook.ok_or_else(|| ApiError::invalid("webhook", "is required"))?;
        let (id, etag) = (given.id.clone(), given.etag.clone());
        if id.is_empty() {
            return Err(ApiError::invalid("webhook.id", "is required"));
        }
        let populated = |path: &str| match path {
            "name" => !given.name.is_empty(),
            "url" => !given.url.is_empty(),
            "event_types" => !given.event_types.is_empty(),
            "allow_private_targets" => given.allow_private_targets,
            "active" => given.active.is_some(),
            _ => false,
        };
        let paths = request.update_mask.map(|mask| mask.paths).unwrap_or_default();
        let paths = field_mask::resolve(&paths, WEBHOOK_FIELDS, populated)?;
        let fields = convert::webhook_fields(given);

        let mut transaction = self.db.begin().await?;
        let current = self.webhook(&mut transaction, &id).await?;
        check_etag(&etag, &current)?;
        let mut next = current.clone();
        for path in paths {
            match path {
                "name" => next.name = fields.name.clone(),
                "url" => next.url = fields.url.clone(),
                "event_types" => next.event_types = fields.event_types.clone(),
                "allow_private_targets" => next.allow_private_targets = fields.allow_private_targets,
                "active" => next.active = fields.active,
                _ => {}
            }
        }
        may_open_private_targets(principal, current.allow_private_targets, &next)?;
        next.check()?;
        let webhook = self.save_webhook(&mut transaction, principal, &current, next, "webhook.updated").await?;
        transaction.commit().await?;
        self.committed();
        Ok(convert::webhook(&webhook, Secret::Masked, Url::Shown))
    }

    async fn save_webhook(
        &self,
        connection: &mut AnyConnection,
        principal: &Principal,
        current: &Webhook,
        mut next: Webhook,
        event_type: &str,
    ) -> ApiResult<Webhook> {
        next.revision = current.revision + 1;
        next.updated_at = self.clock.now_micros();
        if !store::update(connection, &self.sealing, &next, current.revision).await? {
            return Err(lost_race("webhook", &next.id));
        }
        webhook_changed(connection, principal, event_type, &next).await?;
        Ok(next)
    }

    pub(super) async fn delete_webhook(
        &self,
        principal: &Principal,
        request: pb::DeleteWebhookRequest,
    ) -> ApiResult<pb::DeleteWebhookResponse> {
        authorize(principal, Action::ConfigureRules)?;
        let mut transaction = self.db.begin().await?;
        let webhook = self.webhook(&mut transaction, &request.id).await?;
        check_etag(&request.etag, &webhook)?;
        if !store::delete(&mut transaction, &webhook.id, webhook.revision).await? {
            return Err(lost_race("webhook", &webhook.id));
        }
        webhook_changed(&mut transaction, principal, "webhook.deleted", &webhook).await?;
        transaction.commit().await?;
        self.committed();
        Ok(pb::DeleteWebhookResponse {})
    }

    pub(super) async fn rotate_webhook_secret(
        &self,
        principal: &Principal,
        request: pb::RotateWebhookSecretRequest,
    ) -> ApiResult<pb::Webhook> {
        authorize(principal, Action::ConfigureRules)?;
        let secret = signing_secret()?;
        let mut transaction = self.db.begin().await?;
        let current = self.webhook(&mut transaction, &request.id).await?;
        check_etag(&request.etag, &current)?;
        let mut next = current.clone();
        next.rotate_secret(secret, request.revoke_previous, self.clock.now_micros());
        let webhook = self.save_webhook(&mut transaction, principal, &current, next, "webhook.secret_rotated").await?;
        transaction.commit().await?;
        self.committed();
        tracing::info!(webhook = %webhook.id, revoke_previous = request.revoke_previous, "webhook secret rotated");
        Ok(convert::webhook(&webhook, Secret::Shown, Url::Shown))
    }

    pub(super) async fn list_webhook_deliveries(
        &self,
        principal: &Principal,
        request: pb::ListWebhookDeliveriesRequest,
    ) -> ApiResult<pb::ListWebhookDeliveriesResponse> {
        authorize(principal, Action::ReadRules)?;
        if request.webhook_id.is_empty() {
            return Err(ApiError::invalid("webhook_id", "is required"));
        }
        let status = convert::status_filter(request.status)?;
        let page_size = pagination::page_size(request.page_size)?;
        let query = pagination::query_fingerprint(
            principal,
            &["webhook_deliveries", &request.webhook_id, &request.status.to_string()],
        );
        let after = pagination::decode_token(&request.page_token, &query)?;
        let after = match &after {
            Some(cursor) => Some((
                cursor
                    .sort_key
                    .parse::<i64>()
                    .map_err(|_| ApiError::invalid("page_token", "is not a token this server issued"))?,
                cursor.id.as_str(),
            )),
            None => None,
        };
        let mut connection = self.db.reader().acquire().await?;
        if !store::exists(&mut connection, &request.webhook_id).await? {
            return Err(ApiError::not_found("webhook", &request.webhook_id));
        }
        let mut page =
            deliveries::page(&mut connection, &request.webhook_id, status, after, page_size as i64 + 1).await?;
        let next_page_token = pagination::finish_page(&mut page, page_size, &query, |delivery| pagination::Cursor {
            sort_key: delivery.created_at.to_string(),
            id: delivery.id.clone(),
        });
        Ok(pb::ListWebhookDeliveriesResponse {
            deliveries: page.iter().map(convert::delivery).collect(),
            next_page_token,
        })
    }

    pub(super) async fn redeliver_webhook_delivery(
        &self,
        principal: &Principal,
        request: pb::RedeliverWebhookDeliveryRequest,
    ) -> ApiResult<pb::WebhookDelivery> {
        authorize(principal, Action::ConfigureRules)?;
        if request.id.is_empty() {
            return Err(ApiError::invalid("id", "is required"));
        }
        let mut transaction = self.db.begin().await?;
        let current = deliveries::get(&mut transaction, &request.id)
            .await?
            .ok_or_else(|| ApiError::not_found("webhook delivery", &request.id))?;
        if current.status != DeliveryStatus::Dead {
            return Err(ApiError::FailedPrecondition {
                reason: "DELIVERY_NOT_DEAD",
                message: format!(
                    "delivery {} is {}; only dead deliveries are redelivered",
                    current.id,
                    if current.status == DeliveryStatus::Pending { "still pending" } else { "delivered" }
                ),
            });
        }
        if !deliveries::redeliver(&mut transaction, &current.id, self.clock.now_micros()).await? {
            return Err(lost_race("webhook delivery", &current.id));
        }
        let delivery = deliveries::get(&mut transaction, &current.id)
            .await?
            .ok_or_else(|| ApiError::not_found("webhook delivery", &current.id))?;
        let wire = convert::delivery(&delivery);
        feed::append(
            &mut transaction,
            NewEvent {
                event_type: "webhook.delivery_redelivered",
                aggregate_type: "webhook",
                aggregate_id: &delivery.webhook_id,
                actor: &principal.subject,
                payload: &wire,
            },
        )
        .await?;
        transaction.commit().await?;
        self.committed();
        Ok(wire)
    }
}

/// Appends a webhook's change to the feed, secret masked.
pub(super) async fn webhook_changed(
    connection: &mut AnyConnection,
    principal: &Principal,
    event_type: &str,
    webhook: &Webhook,
) -> ApiResult<()> {
    feed::append(
        connection,
        NewEvent {
            event_type,
            aggregate_type: "webhook",
            aggregate_id: &webhook.id,
            actor: &principal.subject,
            payload: &convert::webhook(webhook, Secret::Masked, Url::Redacted),
        },
    )
    .await?;
    Ok(())
}

/// Whole URLs for those who may change webhooks (administrators, services); scheme and host
/// for every other reader.
fn url_for(principal: &Principal) -> Url {
    if authorize(principal, Action::ConfigureRules).is_ok() { Url::Shown } else { Url::Redacted }
}

/// Opening a webhook to the internal network is a person's decision: only an administrator
/// may turn it on (services configuring webhooks may keep what an administrator set).
fn may_open_private_targets(principal: &Principal, was_allowed: bool, next: &Webhook) -> ApiResult<()> {
    if next.allow_private_targets && !was_allowed && principal.role != Role::Administrator {
        return Err(ApiError::permission_denied(format!(
            "the {} role may not allow private targets; only an administrator may",
            principal.role
        )));
    }
    Ok(())
}

fn signing_secret() -> ApiResult<String> {
    let mut random = [0u8; 32];
    getrandom::fill(&mut random)
        .map_err(|error| ApiError::Internal(anyhow::anyhow!("no randomness for a webhook secret: {error}")))?;
    Ok(new_secret(random))
}

fn check_etag(given: &str, current: &Webhook) -> ApiResult<()> {
    if !given.is_empty() && given != current.revision.to_string() {
        return Err(ApiError::stale_etag("webhook", &current.id));
    }
    Ok(())
}

fn lost_race(resource: &str, id: &str) -> ApiError {
    ApiError::Aborted {
        reason: "CONCURRENT_UPDATE",
        message: format!("{resource} {id} was changed by another request at the same moment; re-read it and retry"),
    }
}
