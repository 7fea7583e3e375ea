//! Ticket handlers: create (idempotent by request id), get, list with filter / order / page
//! token, update by mask and etag. Every write leaves an audit row and a feed event in the
//! transaction that makes it.
use frontline_proto::ticketing::v1 as pb;
use frontline_shared::{
    ApiError, ApiResult,
    auth::Principal,
    database::time,
    feed::{self, NewEvent},
    filter::{self, FieldKind, FilterField},
    pagination::{self, Cursor},
};
use serde_json::json;
use sqlx::AnyConnection;

use super::{TicketingApi, check_request_id, concurrent_write, convert, fingerprint};
use crate::{
    domain::{
        Ticket,
        access::{Action, authorize},
        listing::TicketOrder,
        ticket::TicketChange,
    },
    store::{customers, idempotency, tickets},
};

const FILTER_FIELDS: &[FilterField] = &[
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
    FilterField {
        name: "tags",
        column: "",
        kind: FieldKind::Contains("id IN (SELECT ticket_id FROM ticket_tags WHERE tag = {})"),
    },
];

fn parse_ticket_id(field: &str, id: &str) -> ApiResult<i64> {
    if id.is_empty() {
        return Err(ApiError::invalid(field, "is required"));
    }
    id.parse::<i64>()
        .ok()
        .filter(|number| *number > 0)
        .ok_or_else(|| ApiError::invalid(field, format!("`{id}` is not a ticket number")))
}

impl TicketingApi {
    pub(super) async fn create_ticket(
        &self,
        principal: &Principal,
        request: pb::CreateTicketRequest,
    ) -> ApiResult<pb::Ticket> {
        authorize(principal, Action::WriteTickets)?;
        check_request_id(&request.request_id)?;
        let given = request.ticket.ok_or_else(|| ApiError::invalid("ticket", "is required"))?;
        let request_hash = fingerprint(&given);
        let mut ticket = Ticket::create(convert::ticket_fields(given)?, time::now_micros())?;

        let mut transaction = self.db.begin().await?;
        let scope = format!("create_ticket/{}", principal.subject);
        if !request.request_id.is_empty()
            && let idempotency::Claim::Existing { resource_id, same_request } =
                idempotency::claim(&mut transaction, &scope, &request.request_id, &request_hash).await?
        {
            if !same_request {
                return Err(ApiError::invalid("request_id", "was already used for a different request"));
            }
            let id = parse_ticket_id("request_id", &resource_id)?;
            let original =
                tickets::get(&mut transaction, id).await?.ok_or_else(|| ApiError::not_found("ticket", &resource_id))?;
            return Ok(convert::ticket(&original));
        }
        let requester = customers::get(&mut transaction, &ticket.requester_id).await?.ok_or_else(|| {
            ApiError::invalid("ticket.requester_id", format!("no customer has id {}", ticket.requester_id))
        })?;
        // A ticket belongs to its requester's organisation unless the caller says otherwise.
        if ticket.organization_id.is_empty() {
            ticket.organization_id = requester.organization_id;
        }
        check_external_id(&mut transaction, &ticket).await?;
        ticket.id = tickets::insert(&mut transaction, &ticket).await.map_err(concurrent_write)?;
        let created = json!({
            "subject": [null, ticket.subject],
            "status": [null, ticket.status.name()],
            "priority": [null, ticket.priority.number()],
            "requester_id": [null, ticket.requester_id],
            "assignee_id": [null, ticket.assignee_id],
            "team_id": [null, ticket.team_id],
            "tags": [null, ticket.tags],
        });
        tickets::insert_audit(&mut transaction, ticket.id, &principal.subject, "created", &created, ticket.created_at)
            .await?;
        if !request.request_id.is_empty() {
            idempotency::complete(&mut transaction, &scope, &request.request_id, &ticket.id.to_string()).await?;
        }
        let wire = convert::ticket(&ticket);
        feed::append(
            &mut transaction,
            NewEvent {
                event_type: "ticket.created",
                aggregate_type: "ticket",
                aggregate_id: &wire.id,
                actor: &principal.subject,
                payload: &pb::TicketCreated { ticket: Some(wire.clone()) },
            },
        )
        .await?;
        transaction.commit().await?;
        self.feed.committed();
        Ok(wire)
    }

    pub(super) async fn get_ticket(
        &self,
        principal: &Principal,
        request: pb::GetTicketRequest,
    ) -> ApiResult<pb::Ticket> {
        authorize(principal, Action::ReadTickets)?;
        let id = parse_ticket_id("id", &request.id)?;
        let mut connection = self.db.reader().acquire().await?;
        let ticket =
            tickets::get(&mut connection, id).await?.ok_or_else(|| ApiError::not_found("ticket", &request.id))?;
        Ok(convert::ticket(&ticket))
    }

    pub(super) async fn list_tickets(
        &self,
        principal: &Principal,
        request: pb::ListTicketsRequest,
    ) -> ApiResult<pb::ListTicketsResponse> {
        authorize(principal, Action::ReadTickets)?;
        let page_size = pagination::page_size(request.page_size)?;
        let order = TicketOrder::parse(&request.order_by)?;
        let sql_filter = filter::to_sql(&filter::parse(&request.filter)?, FILTER_FIELDS, 1)?;
        let query = pagination::query_fingerprint(&["tickets", &request.filter, &request.order_by]);
        let after = pagination::decode_token(&request.page_token, &query)?;
        let mut connection = self.db.reader().acquire().await?;
        let mut page = tickets::list(&mut connection, &sql_filter, order, after.as_ref(), page_size + 1).await?;
        let more = page.len() > page_size;
        page.truncate(page_size);
        let next_page_token = match page.last() {
            Some(last) if more => pagination::encode_token(
                &query,
                &Cursor { sort_key: tickets::sort_value(last, order.key).to_string(), id: last.id.to_string() },
            ),
            _ => String::new(),
        };
        Ok(pb::ListTicketsResponse { tickets: page.iter().map(convert::ticket).collect(), next_page_token })
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
        let current =
            tickets::get(&mut transaction, id).await?.ok_or_else(|| ApiError::not_found("ticket", id.to_string()))?;
        if !etag.is_empty() && etag != current.etag() {
            return Err(ApiError::stale_etag("ticket", &id.to_string()));
        }
        let change = current.update(&fields, &paths, time::now_micros())?;
        if change.changed_fields.is_empty() {
            return Ok(convert::ticket(&change.ticket));
        }
        let ticket = self.record_update(&mut transaction, principal, &current, change).await?;
        transaction.commit().await?;
        self.feed.committed();
        Ok(ticket)
    }

    async fn record_update(
        &self,
        connection: &mut AnyConnection,
        principal: &Principal,
        current: &Ticket,
        change: TicketChange,
    ) -> ApiResult<pb::Ticket> {
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
        let before = serde_json::to_value(audit_view(current)).unwrap_or_default();
        let after = serde_json::to_value(audit_view(&ticket)).unwrap_or_default();
        let changes: serde_json::Map<String, serde_json::Value> = changed_fields
            .iter()
            .map(|field| (field.to_string(), json!([before.get(*field), after.get(*field)])))
            .collect();
        tickets::insert_audit(connection, ticket.id, &principal.subject, "updated", &changes.into(), ticket.updated_at)
            .await?;
        let wire = convert::ticket(&ticket);
        feed::append(
            connection,
            NewEvent {
                event_type: "ticket.updated",
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
        Ok(wire)
    }
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
    })
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
