//! Live SLA clocks: after every change to a ticket its clocks are recomputed from its SLA
//! history under the first matching policy, its next breach is stored for listing, and its
//! warning and breach instants are (re)scheduled. A scheduler fires each one when its time
//! comes — not at the ticket's next update, as Zendesk does — and exactly once across replicas.
use std::time::Duration;

use chrono::DateTime;
use frontline_proto::ticketing::v1 as pb;
use frontline_shared::{
    ApiResult,
    auth::{Principal, Role},
    database::time::to_timestamp,
    feed::{self, NewEvent},
};
use serde_json::json;
use sqlx::AnyConnection;
use tokio_util::sync::CancellationToken;

use super::{TicketingApi, convert, rules_cache::Rules, service_level_convert};
use crate::{
    domain::{
        CustomerTier, Priority, Ticket,
        calendar::Calendar,
        escalation::Occurrence,
        service_level::{self, AlertKind, SlaPolicy},
        sla::{self, Clock, Event, Metric, Target},
    },
    store::{customers, sla as store, tickets},
};

/// How many due deadlines one pass fires before looking again.
const BATCH: i64 = 100;

/// A ticket's service level as computed at one instant.
pub(super) struct Evaluation {
    pub policy: Option<SlaPolicy>,
    pub targets: Vec<Target>,
    pub clocks: Vec<Clock>,
    pub requester_tier: CustomerTier,
}

impl Evaluation {
    /// The ticket's clocks as of `now` (µs), computed from its SLA history under the first
    /// policy that covers it.
    pub fn of(rules: &Rules, ticket: &Ticket, requester_tier: CustomerTier, history: &[Event], now: i64) -> Self {
        let Some(policy) = service_level::policy_for(&rules.policies, ticket, requester_tier).cloned() else {
            return Evaluation { policy: None, targets: Vec::new(), clocks: Vec::new(), requester_tier };
        };
        let targets = policy.targets_for(ticket.priority);
        let calendar = rules.calendars.get(&policy.calendar_id).cloned().unwrap_or_else(Calendar::always);
        let now = DateTime::from_timestamp_micros(now).unwrap_or_default();
        let clocks = sla::clocks(&targets, history, &calendar, now, policy.warning_lead_minutes);
        Evaluation { policy: Some(policy), targets, clocks, requester_tier }
    }

    pub fn next_breach_at(&self) -> Option<i64> {
        self.clocks.iter().filter_map(|c| c.target_at).min().map(|at| at.timestamp_micros())
    }

    pub fn deadlines(&self) -> Vec<(Metric, AlertKind, i64)> {
        match &self.policy {
            Some(policy) => service_level::deadlines(&self.clocks, policy, &self.targets),
            None => Vec::new(),
        }
    }

    pub fn wire_clocks(&self) -> Vec<pb::SlaClock> {
        self.clocks.iter().zip(&self.targets).map(|(c, t)| service_level_convert::clock(c, t)).collect()
    }

    /// What escalation rules see in the ticket as it now stands.
    pub fn occurrence(&self, ticket: &Ticket) -> Occurrence {
        let solved_now = i64::from(ticket.status.is_solved());
        Occurrence::Changed {
            vip_urgent: ticket.priority == Priority::Urgent && self.requester_tier == CustomerTier::Vip,
            reopens: (ticket.solve_count - solved_now).max(0),
        }
    }
}

fn system() -> Principal {
    Principal::new("system", Role::Service, None)
}

impl TicketingApi {
    /// Computes the ticket's clocks as of `now` under the policy that matches it.
    pub(super) async fn evaluate_sla(
        &self,
        connection: &mut AnyConnection,
        ticket: &Ticket,
        now: i64,
    ) -> ApiResult<Evaluation> {
        let rules = self.rules.get(connection).await?;
        let requester_tier = if rules.is_empty() {
            CustomerTier::Standard // nothing reads it
        } else {
            customers::get(connection, &ticket.requester_id).await?.map_or(CustomerTier::Standard, |c| c.tier)
        };
        // The history is read only for a ticket some policy covers.
        let history = match service_level::policy_for(&rules.policies, ticket, requester_tier) {
            Some(_) => store::history(connection, ticket.id).await?,
            None => Vec::new(),
        };
        Ok(Evaluation::of(&rules, ticket, requester_tier, &history, now))
    }

    /// Records `events` in the ticket's SLA history, recomputes its clocks, stores its next
    /// breach and reschedules its deadlines. Returns the ticket as stored and what escalation
    /// rules should see in it.
    pub(super) async fn after_ticket_change(
        &self,
        connection: &mut AnyConnection,
        ticket: Ticket,
        events: &[Event],
    ) -> ApiResult<(Ticket, Occurrence)> {
        for event in events {
            store::record(connection, ticket.id, event).await?;
        }
        let evaluation = self.refresh_sla(connection, &ticket).await?;
        let mut ticket = ticket;
        ticket.sla_policy_id = evaluation.policy.as_ref().map(|p| p.id.clone()).unwrap_or_default();
        ticket.sla_breach_at = evaluation.next_breach_at();
        let occurrence = evaluation.occurrence(&ticket);
        Ok((ticket, occurrence))
    }

    /// Recomputes and stores the ticket's SLA state as of now.
    pub(super) async fn refresh_sla(&self, connection: &mut AnyConnection, ticket: &Ticket) -> ApiResult<Evaluation> {
        let ticket_id = ticket.id;
        let evaluation = self.evaluate_sla(connection, ticket, self.clock.now_micros()).await?;
        if evaluation.policy.is_none() && ticket.sla_policy_id.is_empty() && ticket.sla_breach_at.is_none() {
            return Ok(evaluation); // no policy before or now: nothing stored or scheduled to change
        }
        let policy_id = evaluation.policy.as_ref().map(|p| p.id.as_str()).unwrap_or_default();
        tickets::set_sla(connection, ticket_id, policy_id, evaluation.next_breach_at()).await?;
        store::replace_pending(connection, ticket_id, policy_id, &evaluation.deadlines()).await?;
        Ok(evaluation)
    }

    /// The ticket's clocks as of this moment, for GetTicket.
    pub(super) async fn live_clocks(
        &self,
        connection: &mut AnyConnection,
        ticket: &Ticket,
    ) -> ApiResult<Vec<pb::SlaClock>> {
        Ok(self.evaluate_sla(connection, ticket, self.clock.now_micros()).await?.wire_clocks())
    }

    /// Fires every warning and breach whose time has come; returns how many fired.
    pub async fn fire_due_sla_alerts(&self) -> ApiResult<usize> {
        let mut fired = 0;
        loop {
            let now = self.clock.now_micros();
            let due = {
                let mut connection = self.db.reader().acquire().await?;
                store::due(&mut connection, now, BATCH).await?
            };
            for deadline in &due {
                if self.fire(deadline, now).await? {
                    fired += 1;
                }
            }
            if (due.len() as i64) < BATCH {
                break;
            }
        }
        if fired > 0 {
            self.committed();
        }
        Ok(fired)
    }

    /// Fires one deadline if it is still what the ticket's clocks say (a policy or calendar may
    /// have changed since it was scheduled) and no other replica fired it first.
    async fn fire(&self, deadline: &store::Deadline, now: i64) -> ApiResult<bool> {
        let mut transaction = self.db.begin().await?;
        let Some(ticket) = tickets::get(&mut transaction, deadline.ticket_id).await? else {
            store::claim(&mut transaction, deadline.id, now).await?;
            transaction.commit().await?;
            return Ok(false);
        };
        let evaluation = self.evaluate_sla(&mut transaction, &ticket, now).await?;
        let wanted = evaluation.deadlines();
        if !wanted.contains(&(deadline.metric, deadline.kind, deadline.due_at)) {
            let policy_id = evaluation.policy.as_ref().map(|p| p.id.as_str()).unwrap_or_default();
            tickets::set_sla(&mut transaction, ticket.id, policy_id, evaluation.next_breach_at()).await?;
            store::replace_pending(&mut transaction, ticket.id, policy_id, &wanted).await?;
            transaction.commit().await?;
            return Ok(false);
        }
        if !store::claim(&mut transaction, deadline.id, now).await? {
            return Ok(false); // another replica fired it
        }
        let (event_type, action) = match deadline.kind {
            AlertKind::Warning => ("ticket.sla_warning", "sla_warning"),
            AlertKind::Breach => ("ticket.sla_breached", "sla_breached"),
        };
        let system = system();
        let changes = json!({ "sla": [null, { "metric": deadline.metric.name(), "due_at": deadline.due_at }] });
        tickets::insert_audit(&mut transaction, ticket.id, &system.subject, action, &changes, now).await?;
        let alert = pb::SlaAlert {
            ticket_id: ticket.id.to_string(),
            policy_id: deadline.policy_id.clone(),
            metric: deadline.metric.number() as i32,
            kind: match deadline.kind {
                AlertKind::Warning => pb::SlaAlertKind::Warning,
                AlertKind::Breach => pb::SlaAlertKind::Breach,
            } as i32,
            due_at: Some(to_timestamp(deadline.due_at)),
            fired_at: Some(to_timestamp(now)),
            ticket: Some(convert::ticket(&ticket)),
        };
        feed::append(
            &mut transaction,
            NewEvent {
                event_type,
                aggregate_type: "ticket",
                aggregate_id: &alert.ticket_id,
                actor: &system.subject,
                payload: &alert,
            },
        )
        .await?;
        if deadline.kind == AlertKind::Breach {
            self.apply_escalation_rules(&mut transaction, ticket, Occurrence::Breached(deadline.metric)).await?;
        }
        transaction.commit().await?;
        tracing::info!(ticket = deadline.ticket_id, metric = deadline.metric.name(), event_type, "SLA alert fired");
        Ok(true)
    }

    /// Fires SLA alerts as their time comes until `shutdown`. It sleeps until the earliest
    /// pending deadline, and wakes early when a change here moves one; `check_interval` bounds
    /// the sleep so that deadlines other replicas scheduled are noticed too.
    pub async fn run_sla_scheduler(self, check_interval: Duration, shutdown: CancellationToken) {
        loop {
            if let Err(error) = self.fire_due_sla_alerts().await {
                tracing::warn!(%error, "firing SLA alerts failed; retrying shortly");
            }
            let next = match self.db.reader().acquire().await {
                Ok(mut connection) => {
                    if let Ok(pending) = store::pending(&mut connection).await {
                        frontline_shared::metrics::record_sla_timers_pending(pending);
                    }
                    store::next_due(&mut connection).await.ok().flatten()
                }
                Err(_) => None,
            };
            let clock = self.clock.clone();
            let wake_at_deadline = async move {
                match next {
                    // A microsecond past it: a breach is due only once its instant has passed.
                    Some(at) => clock.sleep_until(at.saturating_add(1)).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                _ = wake_at_deadline => {}
                _ = self.clock.moved() => {}
                _ = self.sla_changed.notified() => {}
                _ = tokio::time::sleep(check_interval) => {}
                _ = shutdown.cancelled() => break,
            }
        }
    }
}
