//! ImportTickets: another help desk's history, written a batch at a time.
//!
//! A batch is checked in memory first, then everything its records refer to (requesters,
//! external ids already taken, field definitions, the SLA rules) is read in a few statements,
//! and the accepted records are written table by table, many rows to a statement. Each record
//! is still judged alone: a refused record is reported with its index and the rest land. Should
//! the database refuse a batch's writes (a conflict no check foresaw, such as another import
//! taking the same external id at the same moment), the batch is rolled back and written again
//! one record at a time, each in a savepoint, so only the record at fault is refused.
use std::{
    collections::{HashMap, HashSet},
    sync::Arc,
};

use frontline_proto::ticketing::v1 as pb;
use frontline_shared::{
    ApiError, ApiResult,
    auth::Principal,
    database::time,
    deadline,
    feed::{self, EncodedEvent, NewEvent},
};
use sqlx::AnyConnection;
use tonic::Status as RpcStatus;

use super::{
    TicketingApi, convert,
    rules_cache::Rules,
    sla::Evaluation,
    tickets::{
        attach_requester, check_field_values, check_may_create, created_audit, creation_history,
        needs_field_definitions,
    },
};
use crate::{
    domain::{
        Customer, CustomerTier, Status, Ticket,
        comment::{AuthorRole, Comment},
        custom_fields::{CustomValue, FieldDefinition},
        sla::Event,
    },
    store::{comments, custom_fields as field_store, customers, sla as sla_store, tickets},
};

/// Records written together in one transaction. Large enough that statements and commits stop
/// dominating (a batch is a handful of statements per table), small enough that the one SQLite
/// writer is not held for long. At the 3,000 records a second measured on SQLite (BENCHMARKS.md),
/// a batch is about a sixth of a second of the import's time, not all of it inside the writer.
const IMPORT_COMMIT_BATCH: usize = 500;

impl TicketingApi {
    /// Reads the stream a batch at a time and reports every record's fate, in stream order.
    pub(super) async fn import_ticket_stream(
        &self,
        principal: &Principal,
        mut records: tonic::Streaming<pb::ImportTicketRecord>,
    ) -> Result<pb::ImportTicketsResponse, RpcStatus> {
        let mut response = pb::ImportTicketsResponse::default();
        let mut batch = Vec::with_capacity(IMPORT_COMMIT_BATCH);
        let mut more = true;
        while more {
            match deadline::next_message(&mut records).await? {
                Some(record) => batch.push(record),
                None => more = false,
            }
            if batch.len() < IMPORT_COMMIT_BATCH && (more || batch.is_empty()) {
                continue;
            }
            let records = std::mem::take(&mut batch);
            let external_ids: Vec<String> =
                records.iter().map(|r| r.ticket.as_ref().map(|t| t.external_id.clone()).unwrap_or_default()).collect();
            let outcomes = self.import_batch(principal, records).await?;
            for (external_id, outcome) in external_ids.into_iter().zip(outcomes) {
                let index = response.results.len() as i32;
                response.results.push(match outcome {
                    Ok(ticket) => {
                        response.imported += 1;
                        pb::ImportResult { index, external_id, ticket_id: ticket.id.to_string(), error: String::new() }
                    }
                    Err(error) => {
                        response.failed += 1;
                        let error = RpcStatus::from(error).message().to_string();
                        pb::ImportResult { index, external_id, ticket_id: String::new(), error }
                    }
                });
            }
        }
        Ok(response)
    }

    /// Imports one batch in one transaction; the outcome of each record, in order.
    async fn import_batch(
        &self,
        principal: &Principal,
        records: Vec<pb::ImportTicketRecord>,
    ) -> ApiResult<Vec<ApiResult<Ticket>>> {
        let mut transaction = self.db.begin().await?;
        let mut together = sqlx::Connection::begin(&mut *transaction).await?;
        let outcomes = match self.import_together(&mut together, principal, &records).await {
            Ok(outcomes) => {
                together.commit().await?;
                outcomes
            }
            Err(error) => {
                together.rollback().await?;
                tracing::info!(%error, records = records.len(), "a batch import was refused; importing its records one at a time");
                let mut outcomes = Vec::with_capacity(records.len());
                for record in &records {
                    let mut alone = sqlx::Connection::begin(&mut *transaction).await?;
                    match self.import_together(&mut alone, principal, std::slice::from_ref(record)).await {
                        Ok(mut outcome) => {
                            alone.commit().await?;
                            outcomes.push(outcome.remove(0));
                        }
                        Err(error) => {
                            alone.rollback().await?;
                            outcomes.push(Err(error));
                        }
                    }
                }
                outcomes
            }
        };
        transaction.commit().await?;
        self.committed();
        Ok(outcomes)
    }

    /// Checks and writes `records` together. Err only when the database refused the writes;
    /// a record refused by a check is an Err in its place in the list.
    async fn import_together(
        &self,
        connection: &mut AnyConnection,
        principal: &Principal,
        records: &[pb::ImportTicketRecord],
    ) -> ApiResult<Vec<ApiResult<Ticket>>> {
        let now = self.clock.now_micros();
        let drafts: Vec<ApiResult<Draft>> = records.iter().map(|record| Draft::of(record.clone(), now)).collect();
        let known = self.read_what_drafts_refer_to(connection, &drafts).await?;
        let mut claimed = HashSet::new();
        let mut prepared = Vec::with_capacity(drafts.len());
        for draft in drafts {
            let settled = match draft {
                Ok(draft) => self.settle(connection, principal, draft, &known, &mut claimed).await,
                Err(error) => Err(error),
            };
            prepared.push(settled);
        }
        let accepted: Vec<&mut Prepared> = prepared.iter_mut().filter_map(|p| p.as_mut().ok()).collect();
        self.write(connection, principal, accepted).await?;
        Ok(prepared.into_iter().map(|p| p.map(|p| p.ticket)).collect())
    }

    /// Everything the batch's records refer to, in a few statements.
    async fn read_what_drafts_refer_to(
        &self,
        connection: &mut AnyConnection,
        drafts: &[ApiResult<Draft>],
    ) -> ApiResult<Known> {
        let drafts: Vec<&Draft> = drafts.iter().filter_map(|d| d.as_ref().ok()).collect();
        let requester_ids: Vec<&str> = drafts.iter().map(|d| d.ticket.requester_id.as_str()).collect();
        let external_ids: Vec<&str> = drafts.iter().map(|d| d.external_id()).filter(|id| !id.is_empty()).collect();
        let definitions = if drafts.iter().any(|d| needs_field_definitions(&d.custom, &d.ticket, None)) {
            field_store::all(connection).await?
        } else {
            Vec::new()
        };
        Ok(Known {
            requesters: customers::get_many(connection, &requester_ids).await?,
            taken: tickets::taken_external_ids(connection, &external_ids).await?,
            definitions,
            rules: self.rules.get(connection).await?,
        })
    }

    /// Judges one record against what the batch read (and against the records accepted before
    /// it in the batch), and works out what it becomes: its SLA state at creation, then the
    /// final state its history gives it.
    async fn settle(
        &self,
        connection: &mut AnyConnection,
        principal: &Principal,
        draft: Draft,
        known: &Known,
        claimed: &mut HashSet<String>,
    ) -> ApiResult<Prepared> {
        let external_id = draft.external_id().to_string();
        if !external_id.is_empty() && (known.taken.contains(&external_id) || claimed.contains(&external_id)) {
            return Err(ApiError::AlreadyExists {
                reason: "EXTERNAL_ID_TAKEN",
                message: format!("ticket {external_id} was already imported"),
            });
        }
        let mut ticket = draft.ticket;
        let requester = known.requesters.get(&ticket.requester_id);
        attach_requester(&mut ticket, requester)?;
        if needs_field_definitions(&draft.custom, &ticket, None) {
            check_field_values(&known.definitions, &draft.custom, &ticket, None)?;
        }
        self.check_problem(connection, &ticket).await?;
        check_may_create(principal, &ticket)?;
        claimed.insert(external_id);

        // The SLA state a ticket created now with this history has, as CreateTicket computes it.
        let requester_tier = if known.rules.is_empty() {
            CustomerTier::Standard
        } else {
            requester.map_or(CustomerTier::Standard, |c| c.tier)
        };
        let sla_events = creation_history(principal, &ticket, draft.created_at);
        let evaluation = Evaluation::of(&known.rules, &ticket, requester_tier, &sla_events, self.clock.now_micros());
        ticket.sla_policy_id = evaluation.policy.as_ref().map(|p| p.id.clone()).unwrap_or_default();
        ticket.sla_breach_at = evaluation.next_breach_at();
        let created = ticket.clone();
        let public_replies = follow_history(&mut ticket, &draft.comments, &draft.outcome);
        Ok(Prepared { created, ticket, comments: draft.comments, public_replies, sla_events, evaluation })
    }

    /// Numbers the accepted records and writes them, table by table.
    async fn write(
        &self,
        connection: &mut AnyConnection,
        principal: &Principal,
        mut accepted: Vec<&mut Prepared>,
    ) -> ApiResult<()> {
        if accepted.is_empty() {
            return Ok(());
        }
        let ids = tickets::reserve_ids(connection, self.db.backend(), accepted.len()).await?;
        for (prepared, id) in accepted.iter_mut().zip(ids) {
            prepared.number(id);
        }
        let stored: Vec<Ticket> = accepted.iter().map(|p| p.ticket.clone()).collect();
        tickets::insert_numbered(connection, &stored).await?;
        let audits: Vec<tickets::NewAudit> = accepted
            .iter()
            .map(|p| tickets::NewAudit {
                ticket_id: p.ticket.id,
                actor: &principal.subject,
                action: "imported",
                changes: created_audit(&p.created).to_string(),
                at: p.created.created_at,
            })
            .collect();
        tickets::insert_audits(connection, &audits).await?;
        let sla_events: Vec<(i64, Event)> =
            accepted.iter().flat_map(|p| p.sla_events.iter().map(|event| (p.ticket.id, *event))).collect();
        sla_store::record_all(connection, &sla_events).await?;
        let deadlines: Vec<sla_store::Scheduled> = accepted.iter().flat_map(|p| p.deadlines()).collect();
        sla_store::schedule(connection, &deadlines).await?;
        let comments: Vec<Comment> = accepted.iter().flat_map(|p| p.comments.iter().cloned()).collect();
        comments::insert_all(connection, &comments).await?;
        let events: Vec<EncodedEvent> = accepted.iter().flat_map(|p| p.events(principal)).collect();
        feed::append_all(connection, &events).await?;
        Ok(())
    }
}

/// What a batch's records refer to, read once for the batch.
struct Known {
    requesters: HashMap<String, Customer>,
    taken: HashSet<String>,
    definitions: Vec<FieldDefinition>,
    rules: Arc<Rules>,
}

/// The state the record says the ticket ended in.
struct Outcome {
    status: Option<Status>,
    updated_at: i64,
    solved_at: Option<i64>,
    closed_at: Option<i64>,
}

/// A record shaped and checked in memory: everything that can be known without reading.
struct Draft {
    /// As CreateTicket would create it; not yet numbered.
    ticket: Ticket,
    custom: Vec<CustomValue>,
    created_at: i64,
    comments: Vec<Comment>,
    outcome: Outcome,
}

impl Draft {
    fn of(record: pb::ImportTicketRecord, now: i64) -> ApiResult<Self> {
        let given = record.ticket.ok_or_else(|| ApiError::invalid("ticket", "is required"))?;
        let stamp = |t: &Option<prost_types::Timestamp>, field: &str| -> ApiResult<Option<i64>> {
            t.as_ref()
                .map(|t| time::from_timestamp(t).ok_or_else(|| ApiError::invalid(field, "is not a valid time")))
                .transpose()
        };
        let created_at = stamp(&given.created_at, "ticket.created_at")?.unwrap_or(now);
        let updated_at = stamp(&given.updated_at, "ticket.updated_at")?.unwrap_or(created_at);
        let solved_at = stamp(&given.solved_at, "ticket.solved_at")?;
        let closed_at = stamp(&given.closed_at, "ticket.closed_at")?;
        let status = convert::status(&mut Default::default(), "ticket.status", given.status);
        let fields = convert::ticket_fields(pb::Ticket { status: 0, ..given })?;
        let custom = fields.custom_fields.clone();
        let ticket = Ticket::create(fields, created_at)?;
        let comments = record
            .comments
            .into_iter()
            .enumerate()
            .map(|(index, imported)| {
                let comment = super::conversation::imported_comment(0, index, imported, created_at)?;
                comment.check()?;
                Ok(comment)
            })
            .collect::<ApiResult<Vec<_>>>()?;
        Ok(Self { ticket, custom, created_at, comments, outcome: Outcome { status, updated_at, solved_at, closed_at } })
    }

    fn external_id(&self) -> &str {
        self.ticket.external_id.trim()
    }
}

/// Brings a just-created ticket to the state its imported history ends in: replies from its
/// comments, and the status and times the record gives. Returns the public replies, which
/// analytics measures the history by.
fn follow_history(ticket: &mut Ticket, comments: &[Comment], outcome: &Outcome) -> Vec<pb::ImportedReply> {
    let mut public_replies = Vec::new();
    for comment in comments {
        if comment.public && comment.author_role == AuthorRole::Agent {
            ticket.first_reply_at.get_or_insert(comment.created_at);
            ticket.last_agent_reply_at = Some(comment.created_at);
        }
        if comment.author_role == AuthorRole::Requester {
            ticket.last_requester_reply_at = Some(comment.created_at);
        }
        if comment.public {
            public_replies.push(pb::ImportedReply {
                created_at: Some(time::to_timestamp(comment.created_at)),
                author_id: comment.author_id.clone(),
                by_agent: comment.author_role != AuthorRole::Requester,
            });
        }
    }
    // History keeps its own times and final state: the import is a record of the past.
    ticket.status = outcome.status.unwrap_or(ticket.status);
    ticket.updated_at = outcome.updated_at;
    let finished = matches!(ticket.status, Status::Solved | Status::Closed);
    ticket.solved_at = outcome.solved_at.or(finished.then_some(outcome.updated_at));
    ticket.closed_at = outcome.closed_at.or((ticket.status == Status::Closed).then_some(outcome.updated_at));
    ticket.solve_count = i64::from(ticket.solved_at.is_some());
    public_replies
}

/// A record accepted, ready to be written with its batch.
struct Prepared {
    /// As `ticket.created` reports it.
    created: Ticket,
    /// As stored, and as `ticket.imported` reports it.
    ticket: Ticket,
    comments: Vec<Comment>,
    public_replies: Vec<pb::ImportedReply>,
    sla_events: Vec<Event>,
    evaluation: Evaluation,
}

impl Prepared {
    fn number(&mut self, id: i64) {
        self.created.id = id;
        self.ticket.id = id;
        for comment in &mut self.comments {
            comment.ticket_id = id;
        }
    }

    fn deadlines(&self) -> Vec<sla_store::Scheduled<'_>> {
        self.evaluation
            .deadlines()
            .into_iter()
            .map(|(metric, kind, due_at)| sla_store::Scheduled {
                ticket_id: self.ticket.id,
                policy_id: &self.ticket.sla_policy_id,
                metric,
                kind,
                due_at,
            })
            .collect()
    }

    /// `ticket.created`, then `ticket.imported`: what a ticket imported alone appends.
    fn events(&self, principal: &Principal) -> [EncodedEvent; 2] {
        let created = convert::ticket(&self.created);
        let imported = convert::ticket(&self.ticket);
        [
            NewEvent {
                event_type: "ticket.created",
                aggregate_type: "ticket",
                aggregate_id: &created.id,
                actor: &principal.subject,
                payload: &pb::TicketCreated { ticket: Some(created.clone()), by_agent: principal.role.is_staff() },
            }
            .into(),
            NewEvent {
                event_type: "ticket.imported",
                aggregate_type: "ticket",
                aggregate_id: &imported.id,
                actor: &principal.subject,
                payload: &pb::TicketImported {
                    ticket: Some(imported.clone()),
                    comment_count: self.comments.len() as i32,
                    public_replies: self.public_replies.clone(),
                },
            }
            .into(),
        ]
    }
}
