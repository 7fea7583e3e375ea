//! The "notify a webhook" action of triggers and automations.
use frontline_shared::ApiResult;
use sqlx::AnyConnection;

use super::TicketingApi;
use crate::domain::Ticket;

impl TicketingApi {
    /// Queues the rule's rendered body for the webhook, in the transaction of the change.
    pub(super) async fn notify_webhook(
        &self,
        _connection: &mut AnyConnection,
        ticket: &Ticket,
        webhook_id: &str,
        _body: &str,
    ) -> ApiResult<()> {
        // Outbound webhooks land with their delivery worker; until then the action is recorded
        // in the log only. (Replaced when the webhook outbox is merged.)
        tracing::warn!(ticket = ticket.id, webhook = webhook_id, "webhook delivery is not available yet");
        Ok(())
    }
}
