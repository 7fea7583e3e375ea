//! The "notify a webhook" action of triggers and automations, and its check at save time.
use frontline_shared::{ApiError, ApiResult};
use sqlx::AnyConnection;

use super::TicketingApi;
use crate::{
    domain::{Ticket, business_rule::BusinessRule, rules::Action},
    store::webhooks,
};

/// The event type a rule's notification is delivered as.
const RULE_NOTIFICATION: &str = "ticket.rule_notification";

impl TicketingApi {
    /// Queues the rule's rendered body for the webhook, in the transaction of the change. A
    /// webhook deleted since the rule was saved is logged and skipped: a stale rule never
    /// breaks the write that set it off.
    pub(super) async fn notify_webhook(
        &self,
        connection: &mut AnyConnection,
        ticket: &Ticket,
        webhook_id: &str,
        body: &str,
    ) -> ApiResult<()> {
        match self.enqueue_webhook(connection, webhook_id, RULE_NOTIFICATION, body).await {
            Err(ApiError::NotFound { .. }) => {
                tracing::warn!(
                    ticket = ticket.id,
                    webhook = webhook_id,
                    "a rule notifies a webhook that is gone; skipped"
                );
                Ok(())
            }
            outcome => outcome,
        }
    }
}

/// Every webhook a rule notifies must exist when the rule is saved.
pub(super) async fn check_webhooks(connection: &mut AnyConnection, rule: &BusinessRule) -> ApiResult<()> {
    for (index, action) in rule.actions.iter().enumerate() {
        if let Action::NotifyWebhook { webhook_id, .. } = action
            && !webhooks::exists(connection, webhook_id).await?
        {
            return Err(ApiError::invalid(
                format!("rule.actions[{index}].webhook_id"),
                format!("no webhook has id {webhook_id}"),
            ));
        }
    }
    Ok(())
}
