//! Ticket handlers: create (idempotent by request id), get, list with filter / view / order /
//! page token, update by mask and etag, upsert by external id, bulk update, search and import.
//! Every write leaves an audit row and a feed event in the transaction that makes it; the
//! search index follows the feed.
use chrono::DateTime;
use frontline_proto::limits::ticketing as limits;
use frontline_proto::ticketing::v1 as pb;
use frontline_shared::{
    ApiError, ApiResult,
    auth::{Principal, Role},
    feed::{self, NewEvent},
    filter::{self, FieldKind, FilterField, SqlFilter, SqlValue},
    pagination::{self, Cursor},
};
use serde_json::json;
use sqlx::AnyConnection;

use super::{RequestId, TicketingApi, check_request_id, concurrent_write, convert, fingerprint};
use crate::{
    domain::{
        Customer, Status, Ticket, TicketType,
        access::{self, Action, TicketScope, authorize},
        custom_fields,
        escalation::Occurrence,
        listing::{TicketOrder, TicketSortKey},
        sla,
        ticket::{TicketChange, TicketFields},
        ticket_facts::TicketEvent,
    },
    search::{Count, IndexScope, Notes},
    store::{custom_fields as field_store, customers, organizations, sla as sla_store, tickets, views},
};

/// How deep a search pages: the best this many matches (AIP-158 lets a search stop there).
const MAX_SEARCH_DEPTH: usize = 1000;
/// How long a search waits for the index to show changes acknowledged before it.
const SEARCH_CATCH_UP: std::time::Duration = std::time::Duration::from_secs(2);

pub(super) const FILTER_FIELDS: &[FilterField] = &[
    FilterField { name: "status", column: "status", kind: FieldKind::Enum(convert::status_filter) },
    FilterField { name: "priority", column: "priority", kind: FieldKind::Enum(convert::priority_filter) },
    FilterField { name: "channel", column: "channel", kind: FieldKind::Enum(convert::channel_filter) },
    FilterField { name: "type", column: "type", kind: FieldKind::Enum(convert::type_filter) },
    FilterField { name: "requester_id", column: "requester_id", kind: FieldKind::Text },
    FilterField { name: "organization_id", column: "organization_id", kind: FieldKind::Text },
    FilterField { name: "assignee_id", column: "assignee_id", kind: FieldKind::Text },
    FilterField { name: "team_id", column: "team_id", kind: FieldKind::Text },
    FilterField { name: "team", column: "team_id", kind: FieldKind::Text },
    FilterField { name: "external_id", column: "external_id", kind: FieldKind::Text },
    FilterField { name: "locale", column: "locale", kind: FieldKind::Text },
    FilterField { name: "created_at", column: "created_at", kind: FieldKind::Timestamp },
    FilterField { name: "updated_at", column: "updated_at", kind: FieldKind::Timestamp },
    FilterField { name: "due_at", column: "due_at", kind: FieldKind::Timestamp },
    FilterField { name: "solved_at", column: "solved_at", kind: FieldKind::Timestamp },
    FilterField { name: "sla_breach_at", column: "sla_breach_at", kind: FieldKind::Timestamp },
    FilterField { name: "sla_policy_id", column: "sla_policy_id", kind: FieldKind::Text },
    FilterField {
        name: "escalation_tier",
        column: "escalation_tier",
        kind: FieldKind::Enum(convert::escalation_tier_filter),
    },
    FilterField {
        name: "tags",
        column: "",
        kind: FieldKind::Contains("id IN (SELECT ticket_id FROM ticket_tags WHERE tag = {})"),
    },
];

pub(super) const MAX_BULK: usize = limits::BULK_UPDATE_TICKETS_REQUEST_IDS_MAX_ITEMS;

pub(super) fn parse_ticket_id(field: &str, id: &str) -> ApiResult<i64> {
    if id.is_empty() {
        return Err(ApiError::invalid(field, "is required"));
    }
    id.parse::<i64>()
        .ok()
        .filter(|number| *number > 0)
        .ok_or_else(|| ApiError::invalid(field, format!("`{id}` is not a ticket number")))
}

/// Joins WHERE fragments with AND, renumbering nothing: each part was built for its position.
fn and(parts: Vec<SqlFilter>) -> SqlFilter {
    let clause = parts.iter().map(|part| format!("({})", part.clause)).collect::<Vec<_>>().join(" AND ");
    SqlFilter { clause, values: parts.into_iter().flat_map(|part| part.values).collect() }
}

/// The filter of a list: the caller's filter text, a view's filter, and the caller's scope.
pub(super) fn visible_filter(principal: &Principal, filters: &[&str]) -> ApiResult<SqlFilter> {
    let mut parts = Vec::new();
    let mut next = 1;
    for text in filters.iter().filter(|text| !text.trim().is_empty()) {
        let part = filter::to_sql(&filter::parse(text)?, FILTER_FIELDS, next)?;
        next += part.values.len();
        parts.push(part);
    }
    parts.push(match access::ticket_scope(principal) {
        TicketScope::Requester { customer_id } => requester_scope(&customer_id, next),
        scope => scope.sql_clause(next),
    });
    Ok(and(parts))
}

/// An end user's tickets: the ones their customer requested, and their organisation's when
/// the organisation shares its tickets with its people.
fn requester_scope(customer_id: &str, next: usize) -> SqlFilter {
    SqlFilter {
        clause: format!(
            "requester_id = ${next} OR organization_id IN (SELECT o.id FROM organizations o \
             JOIN customers c ON c.organization_id = o.id WHERE c.id = ${} AND o.shared_tickets = 1)",
            next + 1
        ),
        values: vec![SqlValue::Text(customer_id.to_owned()), SqlValue::Text(customer_id.to_owned())],
    }
}

impl TicketingApi {
    /// Loads a ticket the caller may see (others' tickets are NOT_FOUND, as if absent).
    pub(super) async fn visible_ticket(
        &self,
        connection: &mut AnyConnection,
        principal: &Principal,
        id: i64,
    ) -> ApiResult<Ticket> {
        let ticket =
            tickets::get(connection, id).await?.ok_or_else(|| ApiError::not_found("ticket", id.to_string()))?;
        if let Err(hidden) = access::check_visible(principal, &ticket) {
            let shared = match principal.end_user_customer() {
                Some(customer_id) if !ticket.organization_id.is_empty() => {
                    organizations::shares_tickets_with(connection, &ticket.organization_id, customer_id).await?
                }
                _ => false,
            };
            if !shared {
                return Err(hidden);
            }
        }
        Ok(ticket)
    }

    pub(super) async fn create_ticket(
        &self,
        principal: &Principal,
        request: pb::CreateTicketRequest,
    ) -> ApiResult<pb::Ticket> {
        let requester_side = principal.role.reads_as_customer();
        authorize(principal, if requester_side { Action::RaiseTicket } else { Action::WriteTickets })?;
        check_request_id(&request.request_id)?;
        let given = request.ticket.ok_or_else(|| ApiError::invalid("ticket", "is required"))?;
        let request_hash = fingerprint(&given);
        let mut fields = convert::ticket_fields(given)?;
        if requester_side {
            access::check_raised_ticket(principal, &mut fields)?;
        }
        // Routing asks workforce before anything is written, so no transaction waits on it.
        let route = self.plan_route(&fields).await?;
        if let Some(assignee) = route.as_ref().and_then(|plan| plan.assignee()) {
            fields.assignee_id = assignee.to_string();
        }

        let mut transaction = self.db.begin().await?;
        let request_id = RequestId::new("create_ticket", principal, &request.request_id);
        if let Some(original) = request_id.claim(&mut transaction, &request_hash).await? {
            let id = parse_ticket_id("request_id", &original)?;
            let ticket =
                tickets::get(&mut transaction, id).await?.ok_or_else(|| ApiError::not_found("ticket", &original))?;
            return Ok(convert::ticket(&ticket));
        }
        let ticket =
            self.insert_ticket(&mut transaction, principal, fields, self.clock.now_micros(), "created").await?;
        if let Some(plan) = &route {
            self.record_route(&mut transaction, principal, &ticket, plan).await?;
        }
        request_id.complete(&mut transaction, &ticket.id.to_string()).await?;
        transaction.commit().await?;
        self.committed();
        self.suggest_for(&ticket);
        Ok(convert::ticket(&ticket))
    }

    /// Validates and stores a new ticket with its audit row, index and feed event.
    async fn insert_ticket(
        &self,
        connection: &mut AnyConnection,
        principal: &Principal,
        fields: TicketFields,
        now: i64,
        action: &str,
    ) -> ApiResult<Ticket> {
        let incoming_custom = fields.custom_fields.clone();
        let mut ticket = Ticket::create(fields, now)?;
        let requester = customers::get(connection, &ticket.requester_id).await?;
        attach_requester(&mut ticket, requester.as_ref())?;
        self.check_custom_fields(connection, &incoming_custom, &ticket, None).await?;
        self.check_problem(connection, &ticket).await?;
        check_external_id(connection, &ticket).await?;
        check_may_create(principal, &ticket)?;
        ticket.id = tickets::insert(connection, &ticket).await.map_err(concurrent_write)?;
        tickets::insert_audit(connection, ticket.id, &principal.subject, action, &created_audit(&ticket), now).await?;
        let history = creation_history(principal, &ticket, now);
        let (ticket, occurrence) = self.after_ticket_change(connection, ticket, &history).await?;
        let ticket = if action == "imported" {
            ticket
        } else {
            self.apply_escalation_rules(connection, ticket, occurrence).await?
        };
        let wire = convert::ticket(&ticket);
        feed::append(
            connection,
            NewEvent {
                event_type: "ticket.created",
                aggregate_type: "ticket",
                aggregate_id: &wire.id,
                actor: &principal.subject,
                payload: &pb::TicketCreated { ticket: Some(wire.clone()), by_agent: principal.role.is_staff() },
            },
        )
        .await?;
        // Imported history happened elsewhere; rules act on what happens here.
        if action == "imported" {
            return Ok(ticket);
        }
        self.run_triggers(connection, None, ticket, TicketEvent::Created).await
    }

    /// Custom-field values must match their definitions; a solve needs the required ones.
    async fn check_custom_fields(
        &self,
        connection: &mut AnyConnection,
        incoming: &[custom_fields::CustomValue],
        next: &Ticket,
        previous_status: Option<Status>,
    ) -> ApiResult<()> {
        if !needs_field_definitions(incoming, next, previous_status) {
            return Ok(());
        }
        check_field_values(&field_store::all(connection).await?, incoming, next, previous_status)
    }

    /// An incident's problem must exist and be a problem.
    pub(super) async fn check_problem(&self, connection: &mut AnyConnection, ticket: &Ticket) -> ApiResult<()> {
        let Some(problem_id) = ticket.problem_id else { return Ok(()) };
        if ticket.ticket_type != TicketType::Incident {
            return Err(ApiError::invalid("ticket.problem_id", "only an incident can be an instance of a problem"));
        }
        match tickets::get(connection, problem_id).await? {
            Some(problem) if problem.ticket_type == TicketType::Problem => Ok(()),
            Some(_) => Err(ApiError::invalid("ticket.problem_id", format!("ticket {problem_id} is not a problem"))),
            None => Err(ApiError::invalid("ticket.problem_id", format!("no ticket has number {problem_id}"))),
        }
    }

    pub(super) async fn get_ticket(
        &self,
        principal: &Principal,
        request: pb::GetTicketRequest,
    ) -> ApiResult<pb::Ticket> {
        authorize(principal, Action::ReadTickets)?;
        let id = parse_ticket_id("id", &request.id)?;
        let mut connection = self.db.reader().acquire().await?;
        let stored = self.visible_ticket(&mut connection, principal, id).await?;
        let mut ticket = convert::ticket(&stored);
        let suggested = crate::store::suggestions::for_ticket(&mut connection, id).await?;
        ticket.sla_clocks = self.live_clocks(&mut connection, &stored).await?;
        drop(connection);
        ticket.suggested_articles = self.readable_suggestions(principal, suggested).await;
        Ok(ticket)
    }

    pub(super) async fn list_tickets(
        &self,
        principal: &Principal,
        request: pb::ListTicketsRequest,
    ) -> ApiResult<pb::ListTicketsResponse> {
        authorize(principal, Action::BrowseTickets)?;
        let page_size = pagination::page_size(request.page_size)?;
        let mut connection = self.db.reader().acquire().await?;
        let (view_filter, view_order) = match request.view_id.as_str() {
            "" => (String::new(), String::new()),
            id => {
                let view = views::get(&mut connection, id).await?.ok_or_else(|| ApiError::not_found("view", id))?;
                super::views::check_view_visible(principal, &view)?;
                (view.filter, view.order_by)
            }
        };
        let order_by = if request.order_by.is_empty() { view_order } else { request.order_by.clone() };
        let order = TicketOrder::parse(&order_by)?;
        let sql_filter = visible_filter(principal, &[&request.filter, &view_filter])?;
        let query =
            pagination::query_fingerprint(principal, &["tickets", &request.filter, &order_by, &request.view_id]);
        let after = pagination::decode_token(&request.page_token, &query)?;
        let mut page = tickets::list(&mut connection, &sql_filter, order, after.as_ref(), page_size + 1).await?;
        let next_page_token = next_token(&mut page, page_size, &query, order.key);
        Ok(pb::ListTicketsResponse { tickets: page.iter().map(convert::ticket).collect(), next_page_token })
    }

    pub(super) async fn search_tickets(
        &self,
        principal: &Principal,
        request: pb::SearchTicketsRequest,
    ) -> ApiResult<pb::SearchTicketsResponse> {
        authorize(principal, Action::BrowseTickets)?;
        if principal.role == Role::Portal {
            // A gateway acts for one requester at a time and names the ticket it writes to;
            // a search through every customer's tickets is not for it.
            return Err(ApiError::permission_denied(
                "ticket search is for staff and signed-in customers; a gateway reads tickets by id",
            ));
        }
        let Some(index) = &self.search else {
            return Err(ApiError::Unavailable { message: "ticket search is not served here".into() });
        };
        let page_size = pagination::page_size(request.page_size)?;
        let parsed = frontline_shared::text::query::parse_search_box(&request.query)?;
        // Checked before the search, so a bad filter costs nothing.
        let filter = visible_filter(principal, &[&request.filter])?;
        let fingerprint = pagination::query_fingerprint(principal, &["search", &request.query, &request.filter]);
        let offset = pagination::decode_offset_token(&request.page_token, &fingerprint, MAX_SEARCH_DEPTH)?;
        // A search shows every change this replica acknowledged before it began.
        if !index.caught_up(&self.feed, SEARCH_CATCH_UP).await {
            return Err(ApiError::Unavailable {
                message: "the ticket search index is catching up with recent changes; retry shortly".into(),
            });
        }
        let scope = self.index_scope(principal).await?;
        let notes = if access::sees_internal_notes(principal) { Notes::Searched } else { Notes::Hidden };
        // With a filter, the filter is applied to the best MAX_SEARCH_DEPTH matches in the
        // database; without one, the index alone decides the page.
        let filtered = !request.filter.trim().is_empty();
        let depth = if filtered { MAX_SEARCH_DEPTH } else { (offset + page_size + 1).min(MAX_SEARCH_DEPTH) };
        let found = index.search(parsed, scope, notes, depth).await?;
        let mut connection = self.db.reader().acquire().await?;
        let (ranked, total) = if filtered {
            let passing = tickets::passing(&mut connection, &found.ticket_ids, &filter).await?;
            let ranked: Vec<i64> = found.ticket_ids.into_iter().filter(|id| passing.contains(id)).collect();
            let total = Count::exact(ranked.len() as u64);
            (ranked, total)
        } else {
            (found.ticket_ids, found.total)
        };
        let page_ids: Vec<i64> = ranked.iter().skip(offset).take(page_size).copied().collect();
        // The index decided visibility; the database, which holds the truth, decides it again.
        let mut page = tickets::among(&mut connection, &page_ids, &filter).await?;
        page.sort_by_key(|ticket| page_ids.iter().position(|id| *id == ticket.id));
        let next = offset + page_ids.len();
        let next_page_token = if next < ranked.len() && next < MAX_SEARCH_DEPTH {
            pagination::encode_offset_token(&fingerprint, next)
        } else {
            String::new()
        };
        Ok(pb::SearchTicketsResponse {
            tickets: page.iter().map(convert::ticket).collect(),
            next_page_token,
            total_size: i32::try_from(total.value).unwrap_or(i32::MAX),
            total_size_estimated: total.estimated,
        })
    }

    /// The caller's scope in the index's terms.
    async fn index_scope(&self, principal: &Principal) -> ApiResult<IndexScope> {
        Ok(match access::ticket_scope(principal) {
            TicketScope::All => IndexScope::All,
            TicketScope::Team { team_id, person_id } => IndexScope::Team { team_id, person_id },
            TicketScope::Requester { customer_id } => {
                let mut connection = self.db.reader().acquire().await?;
                let shared_organizations = organizations::shared_with(&mut connection, &customer_id).await?;
                IndexScope::Requester { customer_id, shared_organizations }
            }
            TicketScope::Nothing => IndexScope::Nothing,
        })
    }

    pub(super) async fn update_ticket(
        &self,
        principal: &Principal,
        request: pb::UpdateTicketRequest,
    ) -> ApiResult<pb::Ticket> {
        authorize(principal, Action::WriteTickets)?;
        let given = request.ticket.ok_or_else(|| ApiError::invalid("ticket", "is required"))?;
        let id = parse_ticket_id("ticket.id", &given.id)?;
        let etag = given.etag.clone();
        let fields = convert::ticket_fields(given)?;
        let paths = request.update_mask.map(|mask| mask.paths).unwrap_or_default();
        let mut transaction = self.db.begin().await?;
        let ticket = self.update_one(&mut transaction, principal, id, &etag, &fields, &paths).await?;
        transaction.commit().await?;
        self.committed();
        Ok(ticket)
    }

    /// One ticket's update inside the caller's transaction (shared by update and bulk update).
    async fn update_one(
        &self,
        connection: &mut AnyConnection,
        principal: &Principal,
        id: i64,
        etag: &str,
        fields: &TicketFields,
        paths: &[String],
    ) -> ApiResult<pb::Ticket> {
        let current = self.visible_ticket(connection, principal, id).await?;
        if !etag.is_empty() && etag != current.etag() {
            return Err(ApiError::stale_etag("ticket", &id.to_string()));
        }
        let change = current.update(fields, paths, self.clock.now_micros())?;
        if change.changed_fields.is_empty() {
            return Ok(convert::ticket(&change.ticket));
        }
        let incoming =
            if change.changed_fields.contains(&"custom_fields") { fields.custom_fields.as_slice() } else { &[] };
        self.check_custom_fields(connection, incoming, &change.ticket, Some(current.status)).await?;
        if change.changed_fields.contains(&"problem_id") {
            self.check_problem(connection, &change.ticket).await?;
        }
        let ticket = self.record_update(connection, principal, &current, change, "updated").await?;
        self.solve_incidents_of(connection, principal, &current, &ticket).await?;
        Ok(convert::ticket(&ticket))
    }

    /// Solving a problem solves its open incidents, as Zendesk does.
    async fn solve_incidents_of(
        &self,
        connection: &mut AnyConnection,
        principal: &Principal,
        before: &Ticket,
        problem: &Ticket,
    ) -> ApiResult<()> {
        if problem.ticket_type != TicketType::Problem
            || problem.status != Status::Solved
            || before.status == Status::Solved
        {
            return Ok(());
        }
        let solved = TicketFields { status: Some(Status::Solved), ..Default::default() };
        for incident_id in tickets::open_incidents_of(connection, problem.id).await? {
            let Some(incident) = tickets::get(connection, incident_id).await? else { continue };
            let change = incident.update(&solved, &["status".to_string()], self.clock.now_micros())?;
            self.record_update(connection, principal, &incident, change, "solved_with_problem").await?;
        }
        Ok(())
    }

    /// Stores a change with its audit row, search index, SLA clocks and feed event, then lets
    /// escalation rules react to the ticket as it now stands.
    pub(super) async fn record_update(
        &self,
        connection: &mut AnyConnection,
        principal: &Principal,
        current: &Ticket,
        change: TicketChange,
        action: &str,
    ) -> ApiResult<Ticket> {
        let (ticket, occurrence) = self.store_update(connection, principal, current, change, action).await?;
        let ticket = self.apply_escalation_rules(connection, ticket, occurrence).await?;
        // Comments and ratings run triggers after their own feed event; a trigger's change none.
        if action.starts_with("commented") || action == "rated" || action.starts_with("trigger:") {
            return Ok(ticket);
        }
        self.run_triggers(connection, Some(current), ticket, TicketEvent::Updated).await
    }

    /// [`TicketingApi::record_update`] without the escalation rules (which escalation itself uses).
    pub(super) async fn store_update(
        &self,
        connection: &mut AnyConnection,
        principal: &Principal,
        current: &Ticket,
        change: TicketChange,
        action: &str,
    ) -> ApiResult<(Ticket, Occurrence)> {
        let TicketChange { ticket, changed_fields, previous_status } = change;
        if changed_fields.contains(&"requester_id") && !customers::exists(connection, &ticket.requester_id).await? {
            return Err(ApiError::invalid(
                "ticket.requester_id",
                format!("no customer has id {}", ticket.requester_id),
            ));
        }
        if changed_fields.contains(&"external_id") {
            check_external_id(connection, &ticket).await?;
        }
        let written = tickets::update(connection, &ticket, current.revision, changed_fields.contains(&"tags"))
            .await
            .map_err(concurrent_write)?;
        if !written {
            return Err(ApiError::Aborted {
                reason: "CONCURRENT_UPDATE",
                message: format!(
                    "ticket {} was changed by another request at the same moment; re-read it and retry",
                    ticket.id
                ),
            });
        }
        let before = audit_view(current);
        let after = audit_view(&ticket);
        let changes: serde_json::Map<String, serde_json::Value> = changed_fields
            .iter()
            .map(|field| (field.to_string(), json!([before.get(*field), after.get(*field)])))
            .collect();
        tickets::insert_audit(connection, ticket.id, &principal.subject, action, &changes.into(), ticket.updated_at)
            .await?;
        let status_change = previous_status.map(|_| sla::Event::StatusChanged {
            at: DateTime::from_timestamp_micros(ticket.updated_at).unwrap_or_default(),
            to: sla_store::sla_status(ticket.status),
        });
        let (ticket, occurrence) = self.after_ticket_change(connection, ticket, status_change.as_slice()).await?;
        if action.starts_with("commented") || action == "rated" || action.ends_with("escalated") {
            return Ok((ticket, occurrence)); // the call's own event carries the ticket
        }
        let wire = convert::ticket(&ticket);
        feed::append(
            connection,
            NewEvent {
                event_type: if action == "closed_automatically" {
                    "ticket.closed_automatically"
                } else {
                    "ticket.updated"
                },
                aggregate_type: "ticket",
                aggregate_id: &wire.id,
                actor: &principal.subject,
                payload: &pb::TicketUpdated {
                    ticket: Some(wire.clone()),
                    changed_fields: changed_fields.iter().map(|field| field.to_string()).collect(),
                    previous_status: previous_status.map_or(0, |status| status.number() as i32),
                },
            },
        )
        .await?;
        Ok((ticket, occurrence))
    }

    pub(super) async fn upsert_ticket(
        &self,
        principal: &Principal,
        request: pb::UpsertTicketRequest,
    ) -> ApiResult<pb::UpsertTicketResponse> {
        authorize(principal, Action::WriteTickets)?;
        let given = request.ticket.ok_or_else(|| ApiError::invalid("ticket", "is required"))?;
        let external_id = given.external_id.trim().to_string();
        if external_id.is_empty() {
            return Err(ApiError::invalid("ticket.external_id", "is required: it is the key of an upsert"));
        }
        let fields = convert::ticket_fields(given)?;
        for attempt in 1..=2 {
            let mut transaction = self.db.begin().await?;
            let outcome = match tickets::find_by_external_id(&mut transaction, &external_id).await? {
                Some(current) => {
                    let paths: Vec<String> = crate::domain::ticket::UPDATABLE_FIELDS
                        .iter()
                        .filter(|path| {
                            !matches!(
                                **path,
                                "status" | "type" | "priority" | "custom_fields" | "problem_id" | "due_at"
                            )
                        })
                        .map(|path| path.to_string())
                        .chain(fields.status.map(|_| "status".to_string()))
                        .chain(fields.ticket_type.map(|_| "type".to_string()))
                        .chain(fields.priority.map(|_| "priority".to_string()))
                        .chain(fields.due_at.map(|_| "due_at".to_string()))
                        .chain((!fields.custom_fields.is_empty()).then(|| "custom_fields".to_string()))
                        .collect();
                    self.update_one(&mut transaction, principal, current.id, "", &fields, &paths)
                        .await
                        .map(|ticket| (ticket, false))
                }
                None => self
                    .insert_ticket(&mut transaction, principal, fields.clone(), self.clock.now_micros(), "created")
                    .await
                    .map(|ticket| (convert::ticket(&ticket), true)),
            };
            match outcome {
                Ok((ticket, created)) => {
                    transaction.commit().await?;
                    self.committed();
                    return Ok(pb::UpsertTicketResponse { ticket: Some(ticket), created });
                }
                Err(ApiError::Aborted { reason: "CONCURRENT_WRITE", .. }) if attempt == 1 => continue,
                Err(error) => return Err(error),
            }
        }
        unreachable!("the second attempt returns")
    }

    pub(super) async fn bulk_update_tickets(
        &self,
        principal: &Principal,
        request: pb::BulkUpdateTicketsRequest,
    ) -> ApiResult<pb::BulkUpdateTicketsResponse> {
        authorize(principal, Action::WriteTickets)?;
        if request.ids.is_empty() {
            return Err(ApiError::invalid("ids", "name at least one ticket"));
        }
        if request.ids.len() > MAX_BULK {
            return Err(ApiError::invalid("ids", format!("at most {MAX_BULK} tickets per call")));
        }
        let given = request.ticket.ok_or_else(|| ApiError::invalid("ticket", "is required"))?;
        let fields = convert::ticket_fields(pb::Ticket { id: String::new(), etag: String::new(), ..given })?;
        let paths = request.update_mask.map(|mask| mask.paths).unwrap_or_default();
        let mut results = Vec::with_capacity(request.ids.len());
        // Each ticket in its own transaction: one failure leaves the others done.
        for id in request.ids {
            let outcome = async {
                let number = parse_ticket_id("ids", &id)?;
                let mut transaction = self.db.begin().await?;
                let ticket = self.update_one(&mut transaction, principal, number, "", &fields, &paths).await?;
                transaction.commit().await?;
                Ok::<_, ApiError>(ticket)
            }
            .await;
            results.push(match outcome {
                Ok(ticket) => {
                    pb::BulkUpdateResult { id, ticket: Some(ticket), error_code: 0, error_message: String::new() }
                }
                Err(error) => {
                    let status = tonic::Status::from(error);
                    pb::BulkUpdateResult {
                        id,
                        ticket: None,
                        error_code: status.code() as i32,
                        error_message: status.message().to_string(),
                    }
                }
            });
        }
        self.committed();
        Ok(pb::BulkUpdateTicketsResponse { results })
    }
}

/// Trims a page fetched with one extra row and returns the token for the next page.
fn next_token(page: &mut Vec<Ticket>, page_size: usize, query: &str, key: TicketSortKey) -> String {
    pagination::finish_page(page, page_size, query, |last| Cursor {
        sort_key: tickets::sort_value(last, key).to_string(),
        id: last.id.to_string(),
    })
}

/// The fields an audit row shows, by their update-mask names.
fn audit_view(ticket: &Ticket) -> serde_json::Value {
    json!({
        "subject": ticket.subject,
        "description": ticket.description,
        "requester_id": ticket.requester_id,
        "organization_id": ticket.organization_id,
        "type": ticket.ticket_type.number(),
        "order_reference": ticket.order_reference,
        "priority": ticket.priority.number(),
        "status": ticket.status.name(),
        "assignee_id": ticket.assignee_id,
        "team_id": ticket.team_id,
        "tags": ticket.tags,
        "due_at": ticket.due_at,
        "external_id": ticket.external_id,
        "locale": ticket.locale,
        "custom_fields": ticket.custom_fields,
        "problem_id": ticket.problem_id,
        "merged_into_id": ticket.merged_into_id,
        "satisfaction": ticket.satisfaction.rating.map(|r| r.number()),
        "first_reply_at": ticket.first_reply_at,
        "last_requester_reply_at": ticket.last_requester_reply_at,
        "last_agent_reply_at": ticket.last_agent_reply_at,
        "escalation_tier": ticket.escalation_tier.name(),
    })
}

/// Whether a write must consult the custom-field definitions: it sets values, or it solves.
pub(super) fn needs_field_definitions(
    incoming: &[custom_fields::CustomValue],
    next: &Ticket,
    previous_status: Option<Status>,
) -> bool {
    !incoming.is_empty() || becomes_solved(next, previous_status)
}

fn becomes_solved(next: &Ticket, previous_status: Option<Status>) -> bool {
    next.status == Status::Solved && previous_status != Some(Status::Solved)
}

/// Custom-field values must match their definitions; a solve needs the required ones.
pub(super) fn check_field_values(
    definitions: &[custom_fields::FieldDefinition],
    incoming: &[custom_fields::CustomValue],
    next: &Ticket,
    previous_status: Option<Status>,
) -> ApiResult<()> {
    let violations = custom_fields::validate_values(definitions, incoming);
    if !violations.is_empty() {
        return Err(ApiError::InvalidArgument(violations));
    }
    if becomes_solved(next, previous_status) {
        let missing = custom_fields::missing_on_solve(definitions, &next.custom_fields);
        if !missing.is_empty() {
            return Err(custom_fields::required_on_solve_error(&missing));
        }
    }
    Ok(())
}

/// A new ticket's requester must exist and not have been merged away. The ticket belongs to
/// the requester's organisation unless the caller says otherwise.
pub(super) fn attach_requester(ticket: &mut Ticket, requester: Option<&Customer>) -> ApiResult<()> {
    let requester = requester.ok_or_else(|| {
        ApiError::invalid("ticket.requester_id", format!("no customer has id {}", ticket.requester_id))
    })?;
    if !requester.merged_into_id.is_empty() {
        return Err(ApiError::invalid(
            "ticket.requester_id",
            format!("customer {} was merged into {}; use that id", requester.id, requester.merged_into_id),
        ));
    }
    if ticket.organization_id.is_empty() {
        ticket.organization_id.clone_from(&requester.organization_id);
    }
    Ok(())
}

/// A caller may create only tickets they could then see.
pub(super) fn check_may_create(principal: &Principal, ticket: &Ticket) -> ApiResult<()> {
    access::check_visible(principal, ticket).map_err(|_| {
        ApiError::permission_denied("you may only create tickets for your own team, the shared inbox or yourself")
    })
}

/// The audit row of a new ticket: the fields it was created with.
pub(super) fn created_audit(ticket: &Ticket) -> serde_json::Value {
    json!({
        "subject": [null, ticket.subject],
        "status": [null, ticket.status.name()],
        "priority": [null, ticket.priority.number()],
        "requester_id": [null, ticket.requester_id],
        "assignee_id": [null, ticket.assignee_id],
        "team_id": [null, ticket.team_id],
        "tags": [null, ticket.tags],
    })
}

/// A new ticket's first SLA history: created, and its status when it did not start as new.
pub(super) fn creation_history(principal: &Principal, ticket: &Ticket, now: i64) -> Vec<sla::Event> {
    let at = DateTime::from_timestamp_micros(now).unwrap_or_default();
    let mut history = vec![sla::Event::Created { at, by_agent: principal.role.is_staff() }];
    if ticket.status != Status::New {
        history.push(sla::Event::StatusChanged { at, to: sla_store::sla_status(ticket.status) });
    }
    history
}

async fn check_external_id(connection: &mut AnyConnection, ticket: &Ticket) -> ApiResult<()> {
    if ticket.external_id.is_empty() {
        return Ok(());
    }
    match tickets::find_by_external_id(connection, &ticket.external_id).await? {
        Some(other) if other.id != ticket.id => Err(ApiError::AlreadyExists {
            reason: "EXTERNAL_ID_TAKEN",
            message: format!("ticket {} already has external_id {}", other.id, ticket.external_id),
        }),
        _ => Ok(()),
    }
}
