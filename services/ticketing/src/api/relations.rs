//! Relations between tickets (links, merges), satisfaction ratings and the audit trail.
use frontline_proto::limits::ticketing as limits;
use frontline_proto::ticketing::v1 as pb;
use frontline_shared::{
    ApiError, ApiResult,
    auth::Principal,
    feed::{self, NewEvent},
    pagination::{self, Cursor},
};
use serde_json::json;

use super::{TicketingApi, convert, tickets::parse_ticket_id};
use crate::{
    domain::{
        Channel, TicketType,
        access::{Action, authorize},
        comment::{AuthorRole, Comment},
        escalation::Occurrence,
        ticket::{SatisfactionRating, TicketFields},
        ticket_facts::TicketEvent,
    },
    store::{comments, links, tickets},
};

const KIND_RELATED: i64 = 1;
const KIND_DUPLICATE_OF: i64 = 2;
const KIND_INCIDENT_OF: i64 = 3;
pub const MAX_MERGE_SOURCES: usize = limits::MERGE_TICKETS_REQUEST_SOURCE_IDS_MAX_ITEMS;

impl TicketingApi {
    pub(super) async fn link_tickets(
        &self,
        principal: &Principal,
        request: pb::LinkTicketsRequest,
    ) -> ApiResult<pb::TicketLink> {
        authorize(principal, Action::WriteTickets)?;
        let ticket_id = parse_ticket_id("ticket_id", &request.ticket_id)?;
        let linked_id = parse_ticket_id("linked_ticket_id", &request.linked_ticket_id)?;
        if ticket_id == linked_id {
            return Err(ApiError::invalid("linked_ticket_id", "a ticket cannot be linked to itself"));
        }
        let kind = i64::from(request.kind);
        if !matches!(kind, KIND_RELATED | KIND_DUPLICATE_OF | KIND_INCIDENT_OF) {
            return Err(ApiError::invalid("kind", "must be RELATED, DUPLICATE_OF or INCIDENT_OF"));
        }
        let mut transaction = self.db.begin().await?;
        let ticket = self.visible_ticket(&mut transaction, principal, ticket_id).await?;
        let linked = self.visible_ticket(&mut transaction, principal, linked_id).await?;
        if kind == KIND_INCIDENT_OF {
            // The problem link is the incident's problem_id: one mechanism, so solving works.
            if ticket.ticket_type != TicketType::Incident || linked.ticket_type != TicketType::Problem {
                return Err(ApiError::invalid("kind", "INCIDENT_OF links an incident ticket to a problem ticket"));
            }
            let fields = TicketFields { problem_id: Some(linked_id), ..Default::default() };
            let change = ticket.update(&fields, &["problem_id".to_string()], self.clock.now_micros())?;
            self.record_update(&mut transaction, principal, &ticket, change, "linked").await?;
        }
        let row = (ticket_id, linked_id, kind, self.clock.now_micros());
        if !links::insert(&mut transaction, row).await? {
            return Err(ApiError::AlreadyExists {
                reason: "ALREADY_LINKED",
                message: format!(
                    "ticket {ticket_id} is already linked to {linked_id}; unlink it first to change the kind"
                ),
            });
        }
        let audit = json!({ "link": [null, { "linked_ticket_id": linked_id, "kind": kind }] });
        tickets::insert_audit(&mut transaction, ticket_id, &principal.subject, "linked", &audit, row.3).await?;
        let link = convert::link(row);
        feed::append(
            &mut transaction,
            NewEvent {
                event_type: "ticket.linked",
                aggregate_type: "ticket",
                aggregate_id: &link.ticket_id,
                actor: &principal.subject,
                payload: &pb::TicketLinkChanged { link: Some(link.clone()) },
            },
        )
        .await?;
        transaction.commit().await?;
        self.committed();
        Ok(link)
    }

    pub(super) async fn unlink_tickets(
        &self,
        principal: &Principal,
        request: pb::UnlinkTicketsRequest,
    ) -> ApiResult<pb::TicketLink> {
        authorize(principal, Action::WriteTickets)?;
        let ticket_id = parse_ticket_id("ticket_id", &request.ticket_id)?;
        let linked_id = parse_ticket_id("linked_ticket_id", &request.linked_ticket_id)?;
        let mut transaction = self.db.begin().await?;
        let ticket = self.visible_ticket(&mut transaction, principal, ticket_id).await?;
        let row = links::delete(&mut transaction, ticket_id, linked_id)
            .await?
            .ok_or_else(|| ApiError::not_found("link", format!("{ticket_id}→{linked_id}")))?;
        if row.2 == KIND_INCIDENT_OF && ticket.problem_id == Some(linked_id) {
            let change =
                ticket.update(&TicketFields::default(), &["problem_id".to_string()], self.clock.now_micros())?;
            self.record_update(&mut transaction, principal, &ticket, change, "unlinked").await?;
        }
        let audit = json!({ "link": [{ "linked_ticket_id": linked_id, "kind": row.2 }, null] });
        tickets::insert_audit(
            &mut transaction,
            ticket_id,
            &principal.subject,
            "unlinked",
            &audit,
            self.clock.now_micros(),
        )
        .await?;
        let link = convert::link(row);
        feed::append(
            &mut transaction,
            NewEvent {
                event_type: "ticket.unlinked",
                aggregate_type: "ticket",
                aggregate_id: &link.ticket_id,
                actor: &principal.subject,
                payload: &pb::TicketLinkChanged { link: Some(link.clone()) },
            },
        )
        .await?;
        transaction.commit().await?;
        self.committed();
        Ok(link)
    }

    pub(super) async fn list_ticket_links(
        &self,
        principal: &Principal,
        request: pb::ListTicketLinksRequest,
    ) -> ApiResult<pb::ListTicketLinksResponse> {
        authorize(principal, Action::ReadStaffSide)?;
        let ticket_id = parse_ticket_id("ticket_id", &request.ticket_id)?;
        let mut connection = self.db.reader().acquire().await?;
        self.visible_ticket(&mut connection, principal, ticket_id).await?;
        let rows = links::of_ticket(&mut connection, ticket_id).await?;
        Ok(pb::ListTicketLinksResponse { links: rows.into_iter().map(convert::link).collect() })
    }

    /// Merges tickets into a target, all or nothing: each source closes with a note saying
    /// where it went, its conversation joins the target, and the target says what joined it.
    pub(super) async fn merge_tickets(
        &self,
        principal: &Principal,
        request: pb::MergeTicketsRequest,
    ) -> ApiResult<pb::MergeTicketsResponse> {
        authorize(principal, Action::WriteTickets)?;
        let target_id = parse_ticket_id("target_id", &request.target_id)?;
        if request.source_ids.is_empty() || request.source_ids.len() > MAX_MERGE_SOURCES {
            return Err(ApiError::invalid("source_ids", format!("name 1 to {MAX_MERGE_SOURCES} tickets to merge")));
        }
        let mut transaction = self.db.begin().await?;
        let mut target = self.visible_ticket(&mut transaction, principal, target_id).await?;
        if target.status == crate::domain::Status::Closed {
            return Err(ApiError::FailedPrecondition {
                reason: "TICKET_CLOSED",
                message: format!("ticket {target_id} is closed; merge into an open ticket"),
            });
        }
        let now = self.clock.now_micros();
        let mut sources = Vec::new();
        for source_id in &request.source_ids {
            let source_id = parse_ticket_id("source_ids", source_id)?;
            let source = self.visible_ticket(&mut transaction, principal, source_id).await?;
            let change = source.merge_into(target_id, now)?;
            let history = comments::all(&mut transaction, source_id).await?;
            let note = |ticket_id: i64, body: String| Comment {
                id: 0,
                ticket_id,
                author_id: principal.subject.clone(),
                author_role: AuthorRole::System,
                public: false,
                body,
                channel: Channel::Api,
                attachments: vec![],
                created_at: now,
            };
            comments::insert(&mut transaction, &note(source_id, format!("Merged into ticket #{target_id}."))).await?;
            let merged = self.record_update(&mut transaction, principal, &source, change, "merged").await?;
            // The source's conversation joins the target, its description first.
            let mut carried = note(
                target_id,
                format!(
                    "Ticket #{source_id} was merged into this ticket.\n\n{}\n\n{}",
                    source.subject, source.description
                ),
            );
            carried.public = false;
            comments::insert(&mut transaction, &carried).await?;
            for earlier in history {
                comments::insert(&mut transaction, &Comment { id: 0, ticket_id: target_id, ..earlier }).await?;
            }
            sources.push(merged);
        }
        // The target changed too (its conversation grew): bump it, refusing a lost race.
        let before = target.clone();
        target.updated_at = now;
        target.revision += 1;
        if !tickets::update(&mut transaction, &target, before.revision, false).await? {
            return Err(ApiError::Aborted {
                reason: "CONCURRENT_UPDATE",
                message: format!("ticket {target_id} was changed by another request during the merge; retry"),
            });
        }
        let merged_ids: Vec<i64> = sources.iter().map(|s| s.id).collect();
        tickets::insert_audit(
            &mut transaction,
            target_id,
            &principal.subject,
            "merged",
            &json!({ "merged_ticket_ids": [null, merged_ids] }),
            now,
        )
        .await?;
        let response = pb::MergeTicketsResponse {
            target: Some(convert::ticket(&target)),
            sources: sources.iter().map(convert::ticket).collect(),
        };
        feed::append(
            &mut transaction,
            NewEvent {
                event_type: "ticket.merged",
                aggregate_type: "ticket",
                aggregate_id: &target_id.to_string(),
                actor: &principal.subject,
                payload: &pb::TicketsMerged { target: response.target.clone(), sources: response.sources.clone() },
            },
        )
        .await?;
        transaction.commit().await?;
        self.committed();
        Ok(response)
    }

    pub(super) async fn rate_ticket(
        &self,
        principal: &Principal,
        request: pb::RateTicketRequest,
    ) -> ApiResult<pb::Ticket> {
        authorize(principal, Action::ActForRequester)?;
        let ticket_id = parse_ticket_id("ticket_id", &request.ticket_id)?;
        let rating = convert::rating(request.rating)
            .filter(|rating| *rating != SatisfactionRating::Offered)
            .ok_or_else(|| ApiError::invalid("rating", "must be GOOD or BAD"))?;
        let mut transaction = self.db.begin().await?;
        let current = self.visible_ticket(&mut transaction, principal, ticket_id).await?;
        crate::domain::access::check_rates(principal, &current)?;
        let (change, previous) = current.rate(rating, &request.comment, self.clock.now_micros())?;
        let ticket = self.record_update(&mut transaction, principal, &current, change, "rated").await?;
        let ticket = if rating == SatisfactionRating::Bad {
            self.apply_escalation_rules(&mut transaction, ticket, Occurrence::RatedBad).await?
        } else {
            ticket
        };
        let wire = convert::ticket(&ticket);
        feed::append(
            &mut transaction,
            NewEvent {
                event_type: "ticket.rated",
                aggregate_type: "ticket",
                aggregate_id: &wire.id,
                actor: &principal.subject,
                payload: &pb::TicketRated {
                    ticket: Some(wire.clone()),
                    rating: rating.number() as i32,
                    comment: ticket.satisfaction.comment.clone(),
                    previous_rating: previous.number() as i32,
                },
            },
        )
        .await?;
        let ticket = self.run_triggers(&mut transaction, Some(&current), ticket, TicketEvent::Rated).await?;
        let wire = convert::ticket(&ticket);
        transaction.commit().await?;
        self.committed();
        Ok(wire)
    }

    pub(super) async fn list_ticket_audits(
        &self,
        principal: &Principal,
        request: pb::ListTicketAuditsRequest,
    ) -> ApiResult<pb::ListTicketAuditsResponse> {
        authorize(principal, Action::ReadStaffSide)?;
        let ticket_id = parse_ticket_id("ticket_id", &request.ticket_id)?;
        let page_size = pagination::page_size(request.page_size)?;
        let query = pagination::query_fingerprint(principal, &["audits", &request.ticket_id]);
        let after =
            pagination::decode_token(&request.page_token, &query)?.map_or(0, |cursor| cursor.id.parse().unwrap_or(0));
        let mut connection = self.db.reader().acquire().await?;
        self.visible_ticket(&mut connection, principal, ticket_id).await?;
        let mut rows = tickets::list_audits(&mut connection, ticket_id, after, page_size + 1).await?;
        let next_page_token = pagination::finish_page(&mut rows, page_size, &query, |last| Cursor {
            sort_key: String::new(),
            id: last.0.to_string(),
        });
        let audits = rows
            .into_iter()
            .map(|(id, actor, action, changes, created_at)| {
                let changes: serde_json::Map<String, serde_json::Value> =
                    serde_json::from_str(&changes).unwrap_or_default();
                pb::TicketAudit {
                    id: id.to_string(),
                    ticket_id: ticket_id.to_string(),
                    actor,
                    action,
                    changes: changes
                        .into_iter()
                        .map(|(field, values)| pb::FieldChange {
                            field,
                            old_value: values.get(0).map(|v| v.to_string()).unwrap_or_default(),
                            new_value: values.get(1).map(|v| v.to_string()).unwrap_or_default(),
                        })
                        .collect(),
                    created_at: Some(frontline_shared::database::time::to_timestamp(created_at)),
                }
            })
            .collect();
        Ok(pb::ListTicketAuditsResponse { audits, next_page_token })
    }
}
