//! The gRPC face of ticketing: decode the request, authorise the caller, let the domain decide,
//! record the outcome and its feed event in one transaction, encode the answer.
mod automation;
mod business_rules;
mod conversation;
mod convert;
mod customers;
mod escalation;
mod fields;
mod import;
mod organizations;
mod relations;
mod routing;
mod rule_convert;
mod rule_runner;
mod rule_webhooks;
mod rules_cache;
mod service_level_convert;
mod service_levels;
mod sla;
mod suggestions;
mod tickets;
mod views;
mod webhook_convert;
mod webhook_enqueue;
mod webhook_payload;
mod webhook_worker;
mod webhooks;

use frontline_proto::{
    common::v1::{ListEventsRequest, ListEventsResponse, WatchEventsRequest},
    ticketing::v1::{self as pb, ticketing_service_server::TicketingService},
};
use frontline_shared::{
    ApiError, auth,
    clock::Clock,
    database::{Database, is_unique_violation},
    feed::{Feed, FeedEndpoint, WatchEventsStream},
    sealing::SealingKeys,
};
use sha2::{Digest, Sha256};
use std::sync::Arc;
use tokio::sync::Notify;
use tonic::{Request, Response, Status};

use crate::{
    domain::access::{Action, authorize},
    store::idempotency,
};

pub use webhook_worker::WebhookWorkerSettings;

/// Ticketing's gRPC service. Cheap to clone.
#[derive(Clone)]
pub struct TicketingApi {
    db: Database,
    feed: Feed,
    events: FeedEndpoint,
    /// Where article suggestions for new tickets come from, and where they go to be recorded;
    /// None when knowledge is neither here nor configured.
    knowledge: Option<suggestions::Suggester>,
    /// Who is on shift, for routing; None when workforce is neither here nor configured.
    workforce: Option<routing::WorkforceClient>,
    /// The deadline of the routing call.
    routing_timeout: std::time::Duration,
    /// The time rules run on; a manual clock in tests.
    clock: Clock,
    /// Woken after a commit that may have moved an SLA deadline.
    sla_changed: Arc<Notify>,
    /// SLA policies, calendars, escalation rules and triggers, read once a second at most.
    rules: rules_cache::RulesCache,
    /// Woken after a commit that may have made a webhook delivery due.
    webhooks_due: Arc<Notify>,
    /// Seals webhook signing secrets for the database and opens them to sign.
    sealing: Arc<SealingKeys>,
    /// This replica's ticket search index; None only where search is not served (unit tests).
    search: Option<crate::search::TicketIndex>,
}

impl TicketingApi {
    /// Ticketing on `events`' database; webhook secrets are sealed with `sealing`.
    pub fn new(events: FeedEndpoint, sealing: Arc<SealingKeys>) -> Self {
        let feed = events.feed().clone();
        Self {
            db: feed.database().clone(),
            feed,
            events,
            knowledge: None,
            workforce: None,
            routing_timeout: routing::DEFAULT_ROUTING_TIMEOUT,
            clock: Clock::system(),
            sla_changed: Arc::default(),
            rules: rules_cache::RulesCache::default(),
            webhooks_due: Arc::default(),
            sealing,
            search: None,
        }
    }

    /// Search tickets with `index` (kept current by [`crate::search::TicketIndex::run`]).
    pub fn with_search(mut self, index: crate::search::TicketIndex) -> Self {
        self.search = Some(index);
        self
    }

    /// Route new tickets with workforce's rosters, through `channel`, waiting at most `timeout`.
    pub fn with_workforce(
        mut self,
        channel: Option<frontline_shared::peers::PeerChannel>,
        timeout: std::time::Duration,
    ) -> Self {
        self.workforce = channel.map(routing::WorkforceClient::new);
        self.routing_timeout = timeout;
        self
    }

    /// Run on `clock` instead of the system clock (tests move it by hand).
    pub fn with_clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    /// After a commit that changed a rule: the next write reads the rules afresh.
    fn rules_changed(&self) {
        self.rules.invalidate();
        self.committed();
    }

    /// After every commit: followers, the SLA scheduler and the webhook worker may have
    /// something new.
    fn committed(&self) {
        self.feed.committed();
        self.sla_changed.notify_one();
        self.webhooks_due.notify_one();
    }

    /// Suggest knowledge articles for every new ticket, through `channel`. Starts the task that
    /// records them (so it must be called within the runtime).
    pub fn with_knowledge(mut self, channel: Option<frontline_shared::peers::PeerChannel>) -> Self {
        self.knowledge = channel.map(|channel| suggestions::Suggester::start(self.clone(), channel));
        self
    }
}

type ApiResponse<T> = Result<Response<T>, Status>;

fn ok<T>(value: T) -> ApiResponse<T> {
    Ok(Response::new(value))
}

/// Request ids are opaque to us but bounded, so a key table cannot be stuffed.
fn check_request_id(request_id: &str) -> Result<(), ApiError> {
    if request_id.len() > 128 {
        return Err(ApiError::invalid("request_id", "must be at most 128 characters"));
    }
    Ok(())
}

/// An AIP-155 request id, scoped to its caller and method.
pub(super) struct RequestId<'a> {
    scope: String,
    id: &'a str,
}

impl<'a> RequestId<'a> {
    pub(super) fn new(method: &str, principal: &frontline_shared::auth::Principal, id: &'a str) -> Self {
        Self { scope: format!("{method}/{}", principal.subject), id }
    }

    /// Claims the id inside the caller's transaction. None: go ahead and create. Some(id): a
    /// retry of the same request, answered with the original. The same id with another body is
    /// the caller's mistake.
    pub(super) async fn claim(
        &self,
        connection: &mut sqlx::AnyConnection,
        request_hash: &str,
    ) -> Result<Option<String>, ApiError> {
        if self.id.is_empty() {
            return Ok(None);
        }
        match idempotency::claim(connection, &self.scope, self.id, request_hash).await? {
            idempotency::Claim::New => Ok(None),
            idempotency::Claim::Existing { resource_id, same_request: true } => Ok(Some(resource_id)),
            idempotency::Claim::Existing { .. } => {
                Err(ApiError::invalid("request_id", "was already used for a different request"))
            }
        }
    }

    /// Records which resource the request created, in the same transaction.
    pub(super) async fn complete(
        &self,
        connection: &mut sqlx::AnyConnection,
        resource_id: &str,
    ) -> Result<(), ApiError> {
        if !self.id.is_empty() {
            idempotency::complete(connection, &self.scope, self.id, resource_id).await?;
        }
        Ok(())
    }
}

fn fingerprint(message: &impl prost::Message) -> String {
    let digest = Sha256::digest(message.encode_to_vec());
    digest.iter().take(16).map(|byte| format!("{byte:02x}")).collect()
}

/// A unique index caught a concurrent writer between our check and our insert.
fn concurrent_write(error: sqlx::Error) -> ApiError {
    if is_unique_violation(&error) {
        ApiError::Aborted {
            reason: "CONCURRENT_WRITE",
            message: "another request wrote a conflicting record at the same moment; retry".into(),
        }
    } else {
        error.into()
    }
}

/// The service impl: each plain RPC takes the principal, hands the message to its handler and
/// maps the outcome. Generated as one block so `async_trait` sees every method.
macro_rules! ticketing_service {
    ($($name:ident($request:ty) -> $response:ty;)*) => {
        #[tonic::async_trait]
        impl TicketingService for TicketingApi {
            $(
                async fn $name(&self, request: Request<$request>) -> ApiResponse<$response> {
                    let principal = auth::principal(&request)?;
                    ok(TicketingApi::$name(self, &principal, request.into_inner()).await?)
                }
            )*

            async fn list_ticket_views(&self, request: Request<pb::ListTicketViewsRequest>) -> ApiResponse<pb::ListTicketViewsResponse> {
                let principal = auth::principal(&request)?;
                ok(TicketingApi::list_ticket_views(self, &principal).await?)
            }

            /// A refused record stores nothing and is reported with its index; the stream goes on.
            async fn import_tickets(&self, request: Request<tonic::Streaming<pb::ImportTicketRecord>>) -> ApiResponse<pb::ImportTicketsResponse> {
                let principal = auth::principal(&request)?;
                authorize(&principal, Action::ImportTickets)?;
                ok(self.import_ticket_stream(&principal, request.into_inner()).await?)
            }

            async fn list_events(&self, request: Request<ListEventsRequest>) -> ApiResponse<ListEventsResponse> {
                self.events.list(request).await
            }

            type WatchEventsStream = WatchEventsStream;

            async fn watch_events(&self, request: Request<WatchEventsRequest>) -> ApiResponse<Self::WatchEventsStream> {
                self.events.watch(request)
            }
        }
    };
}

ticketing_service! {
    create_customer(pb::CreateCustomerRequest) -> pb::Customer;
    get_customer(pb::GetCustomerRequest) -> pb::Customer;
    list_customers(pb::ListCustomersRequest) -> pb::ListCustomersResponse;
    update_customer(pb::UpdateCustomerRequest) -> pb::Customer;
    upsert_customer(pb::UpsertCustomerRequest) -> pb::UpsertCustomerResponse;
    merge_customers(pb::MergeCustomersRequest) -> pb::MergeCustomersResponse;
    create_organization(pb::CreateOrganizationRequest) -> pb::Organization;
    get_organization(pb::GetOrganizationRequest) -> pb::Organization;
    list_organizations(pb::ListOrganizationsRequest) -> pb::ListOrganizationsResponse;
    update_organization(pb::UpdateOrganizationRequest) -> pb::Organization;
    upsert_organization(pb::UpsertOrganizationRequest) -> pb::UpsertOrganizationResponse;
    create_custom_field(pb::CreateCustomFieldRequest) -> pb::CustomFieldDefinition;
    list_custom_fields(pb::ListCustomFieldsRequest) -> pb::ListCustomFieldsResponse;
    update_custom_field(pb::UpdateCustomFieldRequest) -> pb::CustomFieldDefinition;
    create_ticket(pb::CreateTicketRequest) -> pb::Ticket;
    get_ticket(pb::GetTicketRequest) -> pb::Ticket;
    list_tickets(pb::ListTicketsRequest) -> pb::ListTicketsResponse;
    update_ticket(pb::UpdateTicketRequest) -> pb::Ticket;
    upsert_ticket(pb::UpsertTicketRequest) -> pb::UpsertTicketResponse;
    bulk_update_tickets(pb::BulkUpdateTicketsRequest) -> pb::BulkUpdateTicketsResponse;
    search_tickets(pb::SearchTicketsRequest) -> pb::SearchTicketsResponse;
    add_comment(pb::AddCommentRequest) -> pb::AddCommentResponse;
    list_comments(pb::ListCommentsRequest) -> pb::ListCommentsResponse;
    link_tickets(pb::LinkTicketsRequest) -> pb::TicketLink;
    unlink_tickets(pb::UnlinkTicketsRequest) -> pb::TicketLink;
    list_ticket_links(pb::ListTicketLinksRequest) -> pb::ListTicketLinksResponse;
    merge_tickets(pb::MergeTicketsRequest) -> pb::MergeTicketsResponse;
    rate_ticket(pb::RateTicketRequest) -> pb::Ticket;
    list_ticket_audits(pb::ListTicketAuditsRequest) -> pb::ListTicketAuditsResponse;
    create_ticket_view(pb::CreateTicketViewRequest) -> pb::TicketView;
    update_ticket_view(pb::UpdateTicketViewRequest) -> pb::TicketView;
    delete_ticket_view(pb::DeleteTicketViewRequest) -> pb::DeleteTicketViewResponse;
    create_business_calendar(pb::CreateBusinessCalendarRequest) -> pb::BusinessCalendar;
    get_business_calendar(pb::GetBusinessCalendarRequest) -> pb::BusinessCalendar;
    list_business_calendars(pb::ListBusinessCalendarsRequest) -> pb::ListBusinessCalendarsResponse;
    update_business_calendar(pb::UpdateBusinessCalendarRequest) -> pb::BusinessCalendar;
    delete_business_calendar(pb::DeleteBusinessCalendarRequest) -> pb::DeleteBusinessCalendarResponse;
    import_holidays(pb::ImportHolidaysRequest) -> pb::ImportHolidaysResponse;
    create_sla_policy(pb::CreateSlaPolicyRequest) -> pb::SlaPolicy;
    get_sla_policy(pb::GetSlaPolicyRequest) -> pb::SlaPolicy;
    list_sla_policies(pb::ListSlaPoliciesRequest) -> pb::ListSlaPoliciesResponse;
    update_sla_policy(pb::UpdateSlaPolicyRequest) -> pb::SlaPolicy;
    delete_sla_policy(pb::DeleteSlaPolicyRequest) -> pb::DeleteSlaPolicyResponse;
    reorder_sla_policies(pb::ReorderSlaPoliciesRequest) -> pb::ReorderSlaPoliciesResponse;
    escalate_ticket(pb::EscalateTicketRequest) -> pb::EscalateTicketResponse;
    deescalate_ticket(pb::EscalateTicketRequest) -> pb::EscalateTicketResponse;
    list_escalations(pb::ListEscalationsRequest) -> pb::ListEscalationsResponse;
    create_escalation_rule(pb::CreateEscalationRuleRequest) -> pb::EscalationRule;
    list_escalation_rules(pb::ListEscalationRulesRequest) -> pb::ListEscalationRulesResponse;
    update_escalation_rule(pb::UpdateEscalationRuleRequest) -> pb::EscalationRule;
    delete_escalation_rule(pb::DeleteEscalationRuleRequest) -> pb::DeleteEscalationRuleResponse;
    create_business_rule(pb::CreateBusinessRuleRequest) -> pb::BusinessRule;
    get_business_rule(pb::GetBusinessRuleRequest) -> pb::BusinessRule;
    list_business_rules(pb::ListBusinessRulesRequest) -> pb::ListBusinessRulesResponse;
    update_business_rule(pb::UpdateBusinessRuleRequest) -> pb::BusinessRule;
    delete_business_rule(pb::DeleteBusinessRuleRequest) -> pb::DeleteBusinessRuleResponse;
    dry_run_trigger(pb::DryRunTriggerRequest) -> pb::DryRunTriggerResponse;
    preview_macro(pb::PreviewMacroRequest) -> pb::PreviewMacroResponse;
    apply_macro(pb::ApplyMacroRequest) -> pb::ApplyMacroResponse;
    set_team_routing(pb::SetTeamRoutingRequest) -> pb::TeamRouting;
    get_team_routing(pb::GetTeamRoutingRequest) -> pb::TeamRouting;
    list_team_routings(pb::ListTeamRoutingsRequest) -> pb::ListTeamRoutingsResponse;
    delete_team_routing(pb::DeleteTeamRoutingRequest) -> pb::DeleteTeamRoutingResponse;
    // Outbound webhooks.
    create_webhook(pb::CreateWebhookRequest) -> pb::Webhook;
    get_webhook(pb::GetWebhookRequest) -> pb::Webhook;
    list_webhooks(pb::ListWebhooksRequest) -> pb::ListWebhooksResponse;
    update_webhook(pb::UpdateWebhookRequest) -> pb::Webhook;
    delete_webhook(pb::DeleteWebhookRequest) -> pb::DeleteWebhookResponse;
    list_webhook_deliveries(pb::ListWebhookDeliveriesRequest) -> pb::ListWebhookDeliveriesResponse;
    redeliver_webhook_delivery(pb::RedeliverWebhookDeliveryRequest) -> pb::WebhookDelivery;
    rotate_webhook_secret(pb::RotateWebhookSecretRequest) -> pb::Webhook;
}
