//! Time-based work: solved tickets close once their time has come.
use std::time::Duration;

use frontline_shared::{
    ApiResult,
    auth::{Principal, Role},
};
use tokio_util::sync::CancellationToken;

use super::TicketingApi;
use crate::store::tickets;

impl TicketingApi {
    /// Closes every ticket solved longer than `close_after` ago; returns how many it closed.
    /// Replicas may run this at once: a ticket another replica closed first fails the revision
    /// check and is skipped.
    pub async fn close_solved_tickets(&self, close_after: Duration) -> ApiResult<usize> {
        let system = Principal::new("system", Role::Service, None);
        let after = i64::try_from(close_after.as_micros()).unwrap_or(i64::MAX);
        let now = self.clock.now_micros();
        let mut closed = 0;
        loop {
            let due = {
                let mut connection = self.db.reader().acquire().await?;
                tickets::solved_before(&mut connection, now.saturating_sub(after), 200).await?
            };
            if due.is_empty() {
                break;
            }
            let batch = due.len();
            for id in due {
                let mut transaction = self.db.begin().await?;
                let Some(ticket) = tickets::get(&mut transaction, id).await? else { continue };
                let Some(change) = ticket.close_if_due(self.clock.now_micros(), after) else { continue };
                match self.record_update(&mut transaction, &system, &ticket, change, "closed_automatically").await {
                    Ok(_) => {
                        transaction.commit().await?;
                        closed += 1;
                    }
                    Err(frontline_shared::ApiError::Aborted { .. }) => continue,
                    Err(error) => return Err(error),
                }
            }
            if batch < 200 {
                break;
            }
        }
        if closed > 0 {
            self.committed();
            tracing::info!(closed, "closed solved tickets whose time had come");
        }
        Ok(closed)
    }

    /// Runs [`TicketingApi::close_solved_tickets`] every `interval` until `shutdown`.
    pub async fn run_auto_close(self, close_after: Duration, interval: Duration, shutdown: CancellationToken) {
        loop {
            if let Err(error) = self.close_solved_tickets(close_after).await {
                tracing::warn!(%error, "closing solved tickets failed; retrying at the next interval");
            }
            tokio::select! {
                _ = tokio::time::sleep(interval) => {}
                _ = shutdown.cancelled() => break,
            }
        }
    }
}
