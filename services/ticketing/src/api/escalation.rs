//! Escalation by hand (EscalateTicket, DeescalateTicket) and by rule, with the ticket's
//! escalation history. A rule escalates a ticket once; an escalation never triggers further
//! rules, so rules cannot chase each other.
use frontline_proto::ticketing::v1 as pb;
use frontline_shared::{
    ApiError, ApiResult,
    auth::{Principal, Role},
    database::is_unique_violation,
    error::Violations,
    feed::{self, NewEvent},
};
use sqlx::AnyConnection;

use super::{TicketingApi, convert, service_level_convert, tickets::parse_ticket_id};
use crate::{
    domain::{
        Ticket,
        access::{Action, authorize},
        escalation::{self, Direction, Escalation, EscalationRule, Occurrence, Step},
    },
    store::escalations as store,
};

impl TicketingApi {
    pub(super) async fn escalate_ticket(
        &self,
        principal: &Principal,
        request: pb::EscalateTicketRequest,
    ) -> ApiResult<pb::EscalateTicketResponse> {
        self.step(principal, request, Direction::Up).await
    }

    pub(super) async fn deescalate_ticket(
        &self,
        principal: &Principal,
        request: pb::EscalateTicketRequest,
    ) -> ApiResult<pb::EscalateTicketResponse> {
        if !escalation::may_deescalate(principal) {
            return Err(ApiError::permission_denied(format!(
                "the {} role may not de-escalate tickets; a team lead or above decides that",
                principal.role
            )));
        }
        self.step(principal, request, Direction::Down).await
    }

    async fn step(
        &self,
        principal: &Principal,
        request: pb::EscalateTicketRequest,
        direction: Direction,
    ) -> ApiResult<pb::EscalateTicketResponse> {
        authorize(principal, Action::WriteTickets)?;
        let ticket_id = parse_ticket_id("ticket_id", &request.ticket_id)?;
        let mut violations = Violations::new();
        let tier = service_level_convert::tier(&mut violations, "tier", request.tier);
        violations.into_result()?;
        let step = Step {
            direction,
            tier,
            team_id: request.team_id.trim().to_string(),
            assignee_id: request.assignee_id.trim().to_string(),
            reason: request.reason.trim().to_string(),
        };
        let mut transaction = self.db.begin().await?;
        let current = self.visible_ticket(&mut transaction, principal, ticket_id).await?;
        if !request.etag.is_empty() && request.etag != current.etag() {
            return Err(ApiError::stale_etag("ticket", &ticket_id.to_string()));
        }
        let (ticket, escalation) = self.escalate_within(&mut transaction, principal, current, &step, "").await?;
        transaction.commit().await?;
        self.committed();
        Ok(pb::EscalateTicketResponse {
            ticket: Some(convert::ticket(&ticket)),
            escalation: Some(service_level_convert::escalation(&escalation)),
        })
    }

    /// Moves the ticket one step inside the caller's transaction: the ticket, its audit row,
    /// its SLA clocks (a new team may mean a new policy), the history row and the feed event.
    pub(super) async fn escalate_within(
        &self,
        connection: &mut AnyConnection,
        actor: &Principal,
        current: Ticket,
        step: &Step,
        rule_id: &str,
    ) -> ApiResult<(Ticket, Escalation)> {
        let tier = step.check(current.escalation_tier)?;
        let now = self.clock.now_micros();
        let change = current.escalate(tier, &step.team_id, &step.assignee_id, now);
        let action = match step.direction {
            Direction::Up => "escalated",
            Direction::Down => "deescalated",
        };
        let (ticket, _) = self.store_update(connection, actor, &current, change, action).await?;
        let escalation = Escalation {
            id: uuid::Uuid::now_v7().to_string(),
            ticket_id: ticket.id,
            direction: step.direction,
            from_tier: current.escalation_tier,
            to_tier: tier,
            team_id: ticket.team_id.clone(),
            assignee_id: ticket.assignee_id.clone(),
            reason: step.reason.clone(),
            actor: actor.subject.clone(),
            rule_id: rule_id.to_string(),
            created_at: now,
        };
        store::insert(connection, &escalation).await.map_err(|error| {
            if is_unique_violation(&error) {
                ApiError::Aborted {
                    reason: "ALREADY_ESCALATED_BY_RULE",
                    message: format!("rule {rule_id} already escalated ticket {}", ticket.id),
                }
            } else {
                error.into()
            }
        })?;
        let wire_ticket = convert::ticket(&ticket);
        feed::append(
            connection,
            NewEvent {
                event_type: match step.direction {
                    Direction::Up => "ticket.escalated",
                    Direction::Down => "ticket.deescalated",
                },
                aggregate_type: "ticket",
                aggregate_id: &wire_ticket.id,
                actor: &actor.subject,
                payload: &pb::TicketEscalated {
                    escalation: Some(service_level_convert::escalation(&escalation)),
                    ticket: Some(wire_ticket.clone()),
                },
            },
        )
        .await?;
        Ok((ticket, escalation))
    }

    /// Escalates the ticket by every active rule that `occurrence` fires and that has not
    /// escalated it before, in rule order; returns the ticket as it ends up.
    pub(super) async fn apply_escalation_rules(
        &self,
        connection: &mut AnyConnection,
        mut ticket: Ticket,
        occurrence: Occurrence,
    ) -> ApiResult<Ticket> {
        let rules = self.rules.get(connection).await?;
        if rules.escalation_rules.is_empty() {
            return Ok(ticket);
        }
        let system = Principal::new("system", Role::Service, None);
        for rule in &rules.escalation_rules {
            if !rule.fires_on(occurrence, ticket.escalation_tier)
                || store::rule_applied(connection, ticket.id, &rule.id).await?
            {
                continue;
            }
            let step = Step {
                direction: Direction::Up,
                tier: rule.tier,
                team_id: rule.team_id.clone(),
                assignee_id: rule.assignee_id.clone(),
                reason: rule.reason(occurrence),
            };
            (ticket, _) = self.escalate_within(connection, &system, ticket, &step, &rule.id).await?;
            tracing::info!(ticket = ticket.id, rule = %rule.id, "escalation rule fired");
        }
        Ok(ticket)
    }

    pub(super) async fn list_escalations(
        &self,
        principal: &Principal,
        request: pb::ListEscalationsRequest,
    ) -> ApiResult<pb::ListEscalationsResponse> {
        authorize(principal, Action::ReadStaffSide)?;
        let ticket_id = parse_ticket_id("ticket_id", &request.ticket_id)?;
        let mut connection = self.db.reader().acquire().await?;
        self.visible_ticket(&mut connection, principal, ticket_id).await?;
        let history = store::for_ticket(&mut connection, ticket_id).await?;
        Ok(pb::ListEscalationsResponse { escalations: history.iter().map(service_level_convert::escalation).collect() })
    }

    pub(super) async fn create_escalation_rule(
        &self,
        principal: &Principal,
        request: pb::CreateEscalationRuleRequest,
    ) -> ApiResult<pb::EscalationRule> {
        authorize(principal, Action::ConfigureRules)?;
        let given = request.rule.ok_or_else(|| ApiError::invalid("rule", "is required"))?;
        let mut rule = service_level_convert::rule_fields(given)?;
        rule.check()?;
        rule.id = uuid::Uuid::now_v7().to_string();
        rule.revision = 1;
        rule.created_at = self.clock.now_micros();
        let mut transaction = self.db.begin().await?;
        store::insert_rule(&mut transaction, &rule).await?;
        let wire = self.rule_changed(&mut transaction, principal, "escalation_rule.created", &rule).await?;
        transaction.commit().await?;
        self.rules_changed();
        Ok(wire)
    }

    pub(super) async fn list_escalation_rules(
        &self,
        principal: &Principal,
        _request: pb::ListEscalationRulesRequest,
    ) -> ApiResult<pb::ListEscalationRulesResponse> {
        authorize(principal, Action::ReadRules)?;
        let mut connection = self.db.reader().acquire().await?;
        let rules = store::rules(&mut connection).await?;
        Ok(pb::ListEscalationRulesResponse { rules: rules.iter().map(service_level_convert::rule).collect() })
    }

    pub(super) async fn update_escalation_rule(
        &self,
        principal: &Principal,
        request: pb::UpdateEscalationRuleRequest,
    ) -> ApiResult<pb::EscalationRule> {
        authorize(principal, Action::ConfigureRules)?;
        let given = request.rule.ok_or_else(|| ApiError::invalid("rule", "is required"))?;
        let etag = given.etag.clone();
        let mut rule = service_level_convert::rule_fields(given)?;
        if rule.id.is_empty() {
            return Err(ApiError::invalid("rule.id", "is required"));
        }
        rule.check()?;
        let mut transaction = self.db.begin().await?;
        let current =
            store::get_rule(&mut transaction, &rule.id).await?.ok_or_else(|| ApiError::not_found("rule", &rule.id))?;
        if !etag.is_empty() && etag != current.revision.to_string() {
            return Err(ApiError::stale_etag("rule", &rule.id));
        }
        rule.revision = current.revision + 1;
        rule.created_at = current.created_at;
        if !store::update_rule(&mut transaction, &rule, current.revision).await? {
            return Err(ApiError::stale_etag("rule", &rule.id));
        }
        let wire = self.rule_changed(&mut transaction, principal, "escalation_rule.updated", &rule).await?;
        transaction.commit().await?;
        self.rules_changed();
        Ok(wire)
    }

    pub(super) async fn delete_escalation_rule(
        &self,
        principal: &Principal,
        request: pb::DeleteEscalationRuleRequest,
    ) -> ApiResult<pb::DeleteEscalationRuleResponse> {
        authorize(principal, Action::ConfigureRules)?;
        if request.id.is_empty() {
            return Err(ApiError::invalid("id", "is required"));
        }
        let mut transaction = self.db.begin().await?;
        let rule = store::get_rule(&mut transaction, &request.id)
            .await?
            .ok_or_else(|| ApiError::not_found("rule", &request.id))?;
        store::delete_rule(&mut transaction, &rule.id).await?;
        self.rule_changed(&mut transaction, principal, "escalation_rule.deleted", &rule).await?;
        transaction.commit().await?;
        self.rules_changed();
        Ok(pb::DeleteEscalationRuleResponse {})
    }

    async fn rule_changed(
        &self,
        connection: &mut AnyConnection,
        principal: &Principal,
        event_type: &str,
        rule: &EscalationRule,
    ) -> ApiResult<pb::EscalationRule> {
        self.rules.invalidate();
        let wire = service_level_convert::rule(rule);
        feed::append(
            connection,
            NewEvent {
                event_type,
                aggregate_type: "escalation_rule",
                aggregate_id: &rule.id,
                actor: &principal.subject,
                payload: &wire,
            },
        )
        .await?;
        Ok(wire)
    }
}
