//! Administering triggers, automations and macros; the trigger dry run; macro preview and apply.
use frontline_proto::ticketing::v1 as pb;
use frontline_shared::{
    ApiError, ApiResult,
    auth::Principal,
    feed::{self, NewEvent},
};
use sqlx::AnyConnection;

use super::rule_webhooks::check_webhooks;
use super::{
    TicketingApi,
    conversation::NewComment,
    convert, rule_convert,
    tickets::{MAX_BULK, parse_ticket_id},
};
use crate::{
    domain::{
        Channel, Ticket,
        access::{Action, authorize},
        business_rule::{BusinessRule, RuleKind},
        comment::AuthorRole,
        rules::{Facts, dry_run, preview},
        ticket_facts::{self, TicketEvent},
    },
    store::business_rules as store,
};

impl TicketingApi {
    pub(super) async fn create_business_rule(
        &self,
        principal: &Principal,
        request: pb::CreateBusinessRuleRequest,
    ) -> ApiResult<pb::BusinessRule> {
        authorize(principal, Action::ConfigureRules)?;
        let given = request.rule.ok_or_else(|| ApiError::invalid("rule", "is required"))?;
        if given.kind == 0 {
            return Err(ApiError::invalid("rule.kind", "is required: TRIGGER, AUTOMATION or MACRO"));
        }
        let mut rule = rule_convert::rule_fields(given)?;
        rule.check()?;
        let mut transaction = self.db.begin().await?;
        check_webhooks(&mut transaction, &rule).await?;
        if rule.position <= 0 {
            rule.position = store::next_position(&mut transaction, rule.kind).await?;
        }
        let now = self.clock.now_micros();
        rule.id = uuid::Uuid::now_v7().to_string();
        (rule.revision, rule.created_at, rule.updated_at) = (1, now, now);
        store::insert(&mut transaction, &rule).await?;
        let wire = self.rule_event(&mut transaction, principal, "business_rule.created", &rule).await?;
        transaction.commit().await?;
        self.rules_changed();
        Ok(wire)
    }

    async fn business_rule(&self, connection: &mut AnyConnection, field: &str, id: &str) -> ApiResult<BusinessRule> {
        if id.is_empty() {
            return Err(ApiError::invalid(field, "is required"));
        }
        store::get(connection, id).await?.ok_or_else(|| ApiError::not_found("business rule", id))
    }

    pub(super) async fn get_business_rule(
        &self,
        principal: &Principal,
        request: pb::GetBusinessRuleRequest,
    ) -> ApiResult<pb::BusinessRule> {
        authorize(principal, Action::ReadRules)?;
        let mut connection = self.db.reader().acquire().await?;
        Ok(rule_convert::rule(&self.business_rule(&mut connection, "id", &request.id).await?))
    }

    pub(super) async fn list_business_rules(
        &self,
        principal: &Principal,
        request: pb::ListBusinessRulesRequest,
    ) -> ApiResult<pb::ListBusinessRulesResponse> {
        authorize(principal, Action::ReadRules)?;
        let kind = match request.kind {
            0 => None,
            number => Some(
                RuleKind::from_number(i64::from(number))
                    .ok_or_else(|| ApiError::invalid("kind", format!("{number} is not a known value")))?,
            ),
        };
        let mut connection = self.db.reader().acquire().await?;
        let rules = store::list(&mut connection, kind).await?;
        Ok(pb::ListBusinessRulesResponse { rules: rules.iter().map(rule_convert::rule).collect() })
    }

    pub(super) async fn update_business_rule(
        &self,
        principal: &Principal,
        request: pb::UpdateBusinessRuleRequest,
    ) -> ApiResult<pb::BusinessRule> {
        authorize(principal, Action::ConfigureRules)?;
        let given = request.rule.ok_or_else(|| ApiError::invalid("rule", "is required"))?;
        let etag = given.etag.clone();
        let given_kind = given.kind;
        let mut rule = rule_convert::rule_fields(given)?;
        let mut transaction = self.db.begin().await?;
        let current = self.business_rule(&mut transaction, "rule.id", &rule.id).await?;
        if !etag.is_empty() && etag != current.etag() {
            return Err(ApiError::stale_etag("business rule", &rule.id));
        }
        if given_kind != 0 && rule.kind != current.kind {
            return Err(ApiError::invalid("rule.kind", "cannot change; create a new rule of the other kind"));
        }
        rule.kind = current.kind;
        if rule.position <= 0 {
            rule.position = current.position;
        }
        rule.check()?;
        check_webhooks(&mut transaction, &rule).await?;
        rule.revision = current.revision + 1;
        rule.created_at = current.created_at;
        rule.updated_at = self.clock.now_micros();
        if !store::update(&mut transaction, &rule, current.revision).await? {
            return Err(ApiError::stale_etag("business rule", &rule.id));
        }
        let wire = self.rule_event(&mut transaction, principal, "business_rule.updated", &rule).await?;
        transaction.commit().await?;
        self.rules_changed();
        Ok(wire)
    }

    pub(super) async fn delete_business_rule(
        &self,
        principal: &Principal,
        request: pb::DeleteBusinessRuleRequest,
    ) -> ApiResult<pb::DeleteBusinessRuleResponse> {
        authorize(principal, Action::ConfigureRules)?;
        let mut transaction = self.db.begin().await?;
        let rule = self.business_rule(&mut transaction, "id", &request.id).await?;
        store::delete(&mut transaction, &rule.id).await?;
        self.rule_event(&mut transaction, principal, "business_rule.deleted", &rule).await?;
        transaction.commit().await?;
        self.rules_changed();
        Ok(pb::DeleteBusinessRuleResponse {})
    }

    async fn rule_event(
        &self,
        connection: &mut AnyConnection,
        principal: &Principal,
        event_type: &str,
        rule: &BusinessRule,
    ) -> ApiResult<pb::BusinessRule> {
        self.rules.invalidate();
        let wire = rule_convert::rule(rule);
        feed::append(
            connection,
            NewEvent {
                event_type,
                aggregate_type: "business_rule",
                aggregate_id: &rule.id,
                actor: &principal.subject,
                payload: &pb::BusinessRuleChanged { rule: Some(wire.clone()) },
            },
        )
        .await?;
        Ok(wire)
    }

    /// The ticket as `after` would leave it, without storing anything.
    fn ticket_after(&self, ticket: &Ticket, after: &Facts) -> ApiResult<(pb::Ticket, Vec<String>)> {
        match ticket_facts::change(ticket, after, self.clock.now_micros())? {
            Some(change) => Ok((
                convert::ticket(&change.ticket),
                change.changed_fields.iter().map(|field| field.to_string()).collect(),
            )),
            None => Ok((convert::ticket(ticket), Vec::new())),
        }
    }

    pub(super) async fn dry_run_trigger(
        &self,
        principal: &Principal,
        request: pb::DryRunTriggerRequest,
    ) -> ApiResult<pb::DryRunTriggerResponse> {
        authorize(principal, Action::ReadRules)?;
        let ticket_id = parse_ticket_id("ticket_id", &request.ticket_id)?;
        let mut connection = self.db.reader().acquire().await?;
        let rule = match (request.trigger_id.as_str(), request.trigger) {
            ("", Some(draft)) => {
                let mut rule = rule_convert::rule_fields(draft)?;
                rule.kind = RuleKind::Trigger;
                rule.check()?;
                rule
            }
            ("", None) => return Err(ApiError::invalid("trigger_id", "name a stored trigger or give one inline")),
            (id, _) => self.business_rule(&mut connection, "trigger_id", id).await?,
        };
        if rule.kind != RuleKind::Trigger {
            return Err(ApiError::invalid("trigger_id", format!("names a {}, not a trigger", rule.kind.name())));
        }
        let ticket = self.visible_ticket(&mut connection, principal, ticket_id).await?;
        let facts = self.facts_of(&mut connection, &ticket).await?;
        let event = if request.as_created { TicketEvent::Created } else { TicketEvent::Updated };
        let before = (!request.as_created).then(|| facts.clone());
        let result = dry_run(&rule.as_trigger(), before.as_ref(), &ticket_facts::with_event(facts, &event));
        let (after, changed_fields) = self.ticket_after(&ticket, &result.facts_after)?;
        Ok(pb::DryRunTriggerResponse {
            matched: result.matched,
            condition_results: result.condition_results.iter().map(rule_convert::condition_result).collect(),
            ticket: Some(after),
            changed_fields,
            effects: result.effects.iter().map(rule_convert::effect).collect(),
        })
    }

    async fn macro_rule(&self, connection: &mut AnyConnection, id: &str) -> ApiResult<BusinessRule> {
        let rule = self.business_rule(connection, "macro_id", id).await?;
        if rule.kind != RuleKind::Macro {
            return Err(ApiError::invalid("macro_id", format!("names a {}, not a macro", rule.kind.name())));
        }
        Ok(rule)
    }

    pub(super) async fn preview_macro(
        &self,
        principal: &Principal,
        request: pb::PreviewMacroRequest,
    ) -> ApiResult<pb::PreviewMacroResponse> {
        authorize(principal, Action::WriteTickets)?;
        let ticket_id = parse_ticket_id("ticket_id", &request.ticket_id)?;
        let mut connection = self.db.reader().acquire().await?;
        let rule = self.macro_rule(&mut connection, &request.macro_id).await?;
        let ticket = self.visible_ticket(&mut connection, principal, ticket_id).await?;
        let result = preview(&rule.as_macro(), &self.facts_of(&mut connection, &ticket).await?);
        let (after, changed_fields) = self.ticket_after(&ticket, &result.facts_after)?;
        Ok(pb::PreviewMacroResponse {
            ticket: Some(after),
            changed_fields,
            reply: result.reply,
            reply_public: result.reply_public,
            effects: result.effects.iter().map(rule_convert::effect).collect(),
        })
    }

    pub(super) async fn apply_macro(
        &self,
        principal: &Principal,
        request: pb::ApplyMacroRequest,
    ) -> ApiResult<pb::ApplyMacroResponse> {
        authorize(principal, Action::WriteTickets)?;
        if request.ticket_ids.is_empty() {
            return Err(ApiError::invalid("ticket_ids", "name at least one ticket"));
        }
        if request.ticket_ids.len() > MAX_BULK {
            return Err(ApiError::invalid("ticket_ids", format!("at most {MAX_BULK} tickets at once")));
        }
        let rule = {
            let mut connection = self.db.reader().acquire().await?;
            self.macro_rule(&mut connection, &request.macro_id).await?
        };
        let mut results = Vec::new();
        for id in &request.ticket_ids {
            let result = match self.apply_macro_to(principal, &rule, id).await {
                Ok((ticket, reply)) => pb::ApplyMacroResult {
                    ticket_id: id.clone(),
                    ticket: Some(ticket),
                    reply,
                    error_code: 0,
                    error_message: String::new(),
                },
                Err(error) => {
                    let status = tonic::Status::from(error);
                    pb::ApplyMacroResult {
                        ticket_id: id.clone(),
                        ticket: None,
                        reply: None,
                        error_code: status.code() as i32,
                        error_message: status.message().to_string(),
                    }
                }
            };
            results.push(result);
        }
        Ok(pb::ApplyMacroResponse { results })
    }

    /// One ticket in its own transaction: the macro's changes (triggers run on them), its
    /// effects, then its reply as a comment by the caller.
    async fn apply_macro_to(
        &self,
        principal: &Principal,
        rule: &BusinessRule,
        id: &str,
    ) -> ApiResult<(pb::Ticket, Option<pb::Comment>)> {
        let ticket_id = parse_ticket_id("ticket_ids", id)?;
        let mut transaction = self.db.begin().await?;
        let ticket = self.visible_ticket(&mut transaction, principal, ticket_id).await?;
        let result = preview(&rule.as_macro(), &self.facts_of(&mut transaction, &ticket).await?);
        let action = format!("macro:{}", rule.name);
        // Unlike a rule running by itself, a person applying a macro must hear why it failed.
        ticket_facts::change(&ticket, &result.facts_after, self.clock.now_micros())?;
        let mut ticket = self
            .carry_out(&mut transaction, principal, ticket, &result.facts_after, &result.effects, &action, true)
            .await?;
        let mut reply = None;
        if !result.reply.trim().is_empty() {
            let comment = NewComment {
                author_id: principal.subject.clone(),
                author_role: AuthorRole::Agent,
                public: result.reply_public,
                body: result.reply,
                channel: Channel::Api,
                attachments: Vec::new(),
                requested_status: None,
            };
            let (comment, after) = self.comment_within(&mut transaction, principal, ticket, comment).await?;
            ticket = after;
            reply = Some(convert::comment(&comment));
        }
        transaction.commit().await?;
        self.committed();
        Ok((convert::ticket(&ticket), reply))
    }
}
