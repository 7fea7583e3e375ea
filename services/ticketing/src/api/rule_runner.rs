//! Running business rules against real tickets: triggers after every change, automations on
//! the clock, and carrying out what either decided — a validated ticket change, escalations,
//! internal notes and webhook notifications — in the transaction of the change that caused it.
use std::time::Duration;

use frontline_shared::{
    ApiError, ApiResult,
    auth::{Principal, Role},
};
use sqlx::AnyConnection;
use tokio_util::sync::CancellationToken;

use super::{TicketingApi, conversation::NewComment};
use crate::{
    domain::{
        Channel, Ticket,
        business_rule::RuleKind,
        comment::AuthorRole,
        escalation::{Direction, Step, Tier},
        rules::{Effect, Facts, facts::ESCALATION_TIERS, run_automation, run_triggers},
        ticket_facts::{self, TicketEvent},
    },
    store::{business_rules, customers, sla as sla_store, tickets},
};

/// Tickets looked at per page of an automation pass.
const PAGE: i64 = 200;

pub(super) fn system() -> Principal {
    Principal::new("system", Role::Service, None)
}

fn tier_named(name: &str) -> Option<Tier> {
    ESCALATION_TIERS.iter().position(|tier| *tier == name).and_then(|index| Tier::from_number(index as i64 + 1))
}

impl TicketingApi {
    /// The ticket with its requester as rules read it.
    pub(super) async fn facts_of(&self, connection: &mut AnyConnection, ticket: &Ticket) -> ApiResult<Facts> {
        let requester = customers::get(connection, &ticket.requester_id).await?;
        Ok(ticket_facts::facts(ticket, requester.as_ref()))
    }

    /// Runs the active triggers on the change from `before` (None when `ticket` was just created)
    /// and carries out what fired. A trigger's own change runs no triggers: within one run each
    /// trigger fires at most once, which is what makes triggers loop-safe.
    pub(super) async fn run_triggers(
        &self,
        connection: &mut AnyConnection,
        before: Option<&Ticket>,
        ticket: Ticket,
        event: TicketEvent,
    ) -> ApiResult<Ticket> {
        let rules = self.rules.get(connection).await?;
        let triggers = &rules.triggers;
        if triggers.is_empty() {
            return Ok(ticket);
        }
        let requester = customers::get(connection, &ticket.requester_id).await?;
        let before_facts = before.map(|before| ticket_facts::facts(before, requester.as_ref()));
        let after = ticket_facts::with_event(ticket_facts::facts(&ticket, requester.as_ref()), &event);
        let run = run_triggers(triggers, before_facts.as_ref(), after);
        if run.fired.is_empty() {
            return Ok(ticket);
        }
        let names: Vec<&str> = run.fired.iter().map(|fired| fired.name.as_str()).collect();
        tracing::info!(ticket = ticket.id, triggers = ?names, "triggers fired");
        let action = format!("trigger:{}", names.join(", "));
        self.carry_out(connection, &system(), ticket, &run.facts, &run.effects, &action, false).await
    }

    /// Applies what a rule decided: the field changes as one ordinary update (recorded as
    /// `action`), then each effect. `with_triggers` lets triggers react to the change (macros,
    /// automations); a trigger's own change does not. A change the ticket's rules refuse (say,
    /// reopening a closed ticket) is logged and skipped: a stale rule never breaks the write
    /// that set it off.
    #[allow(clippy::too_many_arguments)]
    pub(super) async fn carry_out(
        &self,
        connection: &mut AnyConnection,
        actor: &Principal,
        ticket: Ticket,
        after: &Facts,
        effects: &[Effect],
        action: &str,
        with_triggers: bool,
    ) -> ApiResult<Ticket> {
        let mut ticket = ticket;
        match ticket_facts::change(&ticket, after, self.clock.now_micros()) {
            Ok(Some(change)) => {
                // Boxed: record_update runs triggers, which come back here (one level deep, as
                // a trigger's own change runs no triggers).
                ticket = if with_triggers {
                    Box::pin(self.record_update(connection, actor, &ticket, change, action)).await?
                } else {
                    self.store_update(connection, actor, &ticket, change, action).await?.0
                };
            }
            // Nothing changed in the end (say, two triggers undid each other): the audit trail
            // still says the rule ran.
            Ok(None) => {
                let now = self.clock.now_micros();
                tickets::insert_audit(connection, ticket.id, &actor.subject, action, &serde_json::json!({}), now)
                    .await?;
            }
            Err(error @ ApiError::Internal(_)) => return Err(error),
            Err(error) => tracing::warn!(ticket = ticket.id, action, %error, "a rule's change was refused; skipped"),
        }
        for effect in effects {
            ticket = Box::pin(self.carry_out_effect(connection, actor, ticket, effect, action)).await?;
        }
        Ok(ticket)
    }

    async fn carry_out_effect(
        &self,
        connection: &mut AnyConnection,
        actor: &Principal,
        ticket: Ticket,
        effect: &Effect,
        action: &str,
    ) -> ApiResult<Ticket> {
        match effect {
            Effect::Escalated { tier, reason } => {
                let Some(tier) = tier_named(tier).filter(|tier| *tier > ticket.escalation_tier) else {
                    return Ok(ticket);
                };
                let reason = if reason.trim().is_empty() { format!("escalated by {action}") } else { reason.clone() };
                let step = Step {
                    direction: Direction::Up,
                    tier: Some(tier),
                    team_id: String::new(),
                    assignee_id: String::new(),
                    reason,
                };
                Ok(self.escalate_within(connection, actor, ticket, &step, "").await?.0)
            }
            Effect::InternalNote { body } => {
                let note = NewComment {
                    author_id: actor.subject.clone(),
                    author_role: AuthorRole::System,
                    public: false,
                    body: body.clone(),
                    channel: Channel::Api,
                    attachments: Vec::new(),
                    requested_status: None,
                };
                // A note from a rule is recorded like any comment, but sets off no triggers.
                Ok(Box::pin(self.note_within(connection, actor, ticket, note)).await?)
            }
            Effect::Webhook { webhook_id, body } => {
                self.notify_webhook(connection, &ticket, webhook_id, body).await?;
                Ok(ticket)
            }
        }
    }

    /// Runs every active automation over the tickets not yet closed; returns how many acted.
    /// Each acts on a ticket at most once per revision of it (claimed in the database), so
    /// replicas running at once never act twice, and an automation whose action does not
    /// change the ticket does not repeat.
    pub async fn run_automations_once(&self) -> ApiResult<usize> {
        let automations: Vec<_> = {
            let mut connection = self.db.reader().acquire().await?;
            business_rules::list(&mut connection, Some(RuleKind::Automation)).await?
        };
        let automations: Vec<_> = automations
            .into_iter()
            .filter(|rule| rule.active)
            .map(|rule| (rule.name.clone(), rule.as_automation()))
            .collect();
        if automations.is_empty() {
            return Ok(0);
        }
        let mut acted = 0;
        let mut after_id = 0;
        loop {
            let page = {
                let mut connection = self.db.reader().acquire().await?;
                tickets::unclosed_after(&mut connection, after_id, PAGE).await?
            };
            let Some(last) = page.last() else { break };
            after_id = last.id;
            for seen in &page {
                for (name, automation) in &automations {
                    if self.run_automation_on(seen, name, automation).await? {
                        acted += 1;
                        break; // the ticket changed; the others look at it on the next pass
                    }
                }
            }
            if (page.len() as i64) < PAGE {
                break;
            }
        }
        if acted > 0 {
            self.committed();
            tracing::info!(acted, "automations acted on tickets");
        }
        Ok(acted)
    }

    async fn run_automation_on(
        &self,
        seen: &Ticket,
        name: &str,
        automation: &crate::domain::rules::Automation,
    ) -> ApiResult<bool> {
        let now = self.clock.now_micros();
        let mut transaction = self.db.begin().await?;
        let status_changed_at =
            sla_store::last_status_change(&mut transaction, seen.id).await?.unwrap_or(seen.created_at);
        let facts =
            ticket_facts::with_hours(self.facts_of(&mut transaction, seen).await?, seen, status_changed_at, now);
        let Some(run) = run_automation(automation, facts) else { return Ok(false) };
        let Some(ticket) = tickets::get(&mut transaction, seen.id).await? else { return Ok(false) };
        if ticket.revision != seen.revision
            || !business_rules::claim_automation_run(&mut transaction, &automation.id, ticket.id, ticket.revision, now)
                .await?
        {
            return Ok(false); // changed meanwhile, or another replica acted on this revision
        }
        let action = format!("automation:{name}");
        self.carry_out(&mut transaction, &system(), ticket, &run.facts, &run.effects, &action, true).await?;
        transaction.commit().await?;
        Ok(true)
    }

    /// Runs automations every `interval` (and whenever a manual clock is moved) until `shutdown`.
    pub async fn run_automations(self, interval: Duration, shutdown: CancellationToken) {
        loop {
            if let Err(error) = self.run_automations_once().await {
                tracing::warn!(%error, "running automations failed; retrying at the next interval");
            }
            tokio::select! {
                _ = tokio::time::sleep(interval) => {}
                _ = self.clock.moved() => {}
                _ = shutdown.cancelled() => break,
            }
        }
    }
}
