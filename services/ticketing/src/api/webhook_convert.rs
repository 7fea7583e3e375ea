//! Webhooks and their deliveries between the wire and the domain.
use frontline_proto::ticketing::v1 as pb;
use frontline_shared::{
    ApiError, ApiResult,
    database::time::{optional_timestamp, to_timestamp},
};

use crate::domain::webhook::{
    Delivery, DeliveryStatus, Webhook,
    subscription::{masked_secret, redacted_url},
};

/// Whether a response may carry the signing secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Secret {
    /// Only to the administrator who just created or rotated it.
    Shown,
    Masked,
}

/// Whether a response may carry the whole URL: a Slack-style URL is itself a secret (its path
/// lets anyone post), so only those who may change webhooks see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Url {
    Shown,
    /// Scheme, host and port only: `https://hooks.slack.com/…`.
    Redacted,
}

/// The fields a caller sets; the rest are the server's.
pub(super) fn webhook_fields(given: pb::Webhook) -> Webhook {
    Webhook {
        id: given.id,
        name: given.name.trim().to_string(),
        url: given.url.trim().to_string(),
        event_types: given.event_types.into_iter().map(|pattern| pattern.trim().to_string()).collect(),
        secret: String::new(),
        previous_secret: None,
        allow_private_targets: given.allow_private_targets,
        active: given.active.unwrap_or(true),
        revision: 0,
        created_at: 0,
        updated_at: 0,
    }
}

pub(super) fn webhook(webhook: &Webhook, secret: Secret, url: Url) -> pb::Webhook {
    pb::Webhook {
        id: webhook.id.clone(),
        name: webhook.name.clone(),
        url: match url {
            Url::Shown => webhook.url.clone(),
            Url::Redacted => redacted_url(&webhook.url),
        },
        event_types: webhook.event_types.clone(),
        secret: match secret {
            Secret::Shown => webhook.secret.clone(),
            Secret::Masked => masked_secret(&webhook.secret),
        },
        allow_private_targets: webhook.allow_private_targets,
        active: Some(webhook.active),
        etag: webhook.revision.to_string(),
        created_at: Some(to_timestamp(webhook.created_at)),
        updated_at: Some(to_timestamp(webhook.updated_at)),
        previous_secret_expires_at: webhook.previous_secret.as_ref().map(|previous| to_timestamp(previous.expires_at)),
    }
}

pub(super) fn delivery(delivery: &Delivery) -> pb::WebhookDelivery {
    pb::WebhookDelivery {
        id: delivery.id.clone(),
        webhook_id: delivery.webhook_id.clone(),
        event_type: delivery.event_type.clone(),
        event_id: delivery.event_id.clone(),
        status: delivery_status(delivery.status) as i32,
        attempts: i32::try_from(delivery.attempts).unwrap_or(i32::MAX),
        next_attempt_at: optional_timestamp(delivery.next_attempt_at),
        last_status_code: delivery.last_status_code.map_or(0, i32::from),
        last_error: delivery.last_error.clone(),
        created_at: Some(to_timestamp(delivery.created_at)),
        delivered_at: optional_timestamp(delivery.delivered_at),
    }
}

fn delivery_status(status: DeliveryStatus) -> pb::WebhookDeliveryStatus {
    match status {
        DeliveryStatus::Pending => pb::WebhookDeliveryStatus::Pending,
        DeliveryStatus::Delivered => pb::WebhookDeliveryStatus::Delivered,
        DeliveryStatus::Dead => pb::WebhookDeliveryStatus::Dead,
    }
}

/// A status filter: UNSPECIFIED means every status.
pub(super) fn status_filter(number: i32) -> ApiResult<Option<DeliveryStatus>> {
    if number == 0 {
        return Ok(None);
    }
    DeliveryStatus::from_number(i64::from(number))
        .map(Some)
        .ok_or_else(|| ApiError::invalid("status", format!("{number} is not a delivery status")))
}
