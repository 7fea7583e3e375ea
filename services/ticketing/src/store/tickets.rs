//! Tickets, their tag index, their search index and their audit trail.
use std::collections::HashSet;

use frontline_shared::{
    database::{
        Backend,
        rows::{self, AnyQuery},
    },
    filter::SqlFilter,
    pagination::Cursor,
};
use sqlx::{AnyConnection, Row, any::AnyRow};

use super::{bind_all, decode_enum, json_list, optional_text, parse_json, parse_json_list};
use crate::domain::{
    Channel, Priority, Status, Ticket, TicketType,
    escalation::Tier,
    listing::{TicketOrder, TicketSortKey},
    ticket::{Satisfaction, SatisfactionRating},
};

const COLUMNS: &str = "id, subject, description, requester_id, organization_id, channel, type, order_reference, priority, status, \
    assignee_id, team_id, tags, due_at, external_id, locale, created_at, updated_at, first_reply_at, solved_at, closed_at, revision, \
    custom_fields, problem_id, merged_into_id, last_requester_reply_at, last_agent_reply_at, solve_count, satisfaction_rating, \
    satisfaction_comment, satisfaction_rated_at, escalation_tier, sla_policy_id, sla_breach_at";

/// The columns after `id`, in the order [`bind_ticket`] binds them.
const WRITTEN: &[&str] = &[
    "subject",
    "description",
    "requester_id",
    "organization_id",
    "channel",
    "type",
    "order_reference",
    "priority",
    "status",
    "assignee_id",
    "team_id",
    "tags",
    "due_at",
    "external_id",
    "locale",
    "created_at",
    "updated_at",
    "first_reply_at",
    "solved_at",
    "closed_at",
    "revision",
    "custom_fields",
    "problem_id",
    "merged_into_id",
    "last_requester_reply_at",
    "last_agent_reply_at",
    "solve_count",
    "satisfaction_rating",
    "satisfaction_comment",
    "satisfaction_rated_at",
    "escalation_tier",
];

fn bind_ticket<'q>(query: AnyQuery<'q>, ticket: &'q Ticket) -> AnyQuery<'q> {
    query
        .bind(&ticket.subject)
        .bind(&ticket.description)
        .bind(&ticket.requester_id)
        .bind(&ticket.organization_id)
        .bind(ticket.channel.number())
        .bind(ticket.ticket_type.number())
        .bind(&ticket.order_reference)
        .bind(ticket.priority.number())
        .bind(ticket.status.number())
        .bind(&ticket.assignee_id)
        .bind(&ticket.team_id)
        .bind(json_list(&ticket.tags))
        .bind(ticket.due_at)
        .bind(optional_text(&ticket.external_id))
        .bind(&ticket.locale)
        .bind(ticket.created_at)
        .bind(ticket.updated_at)
        .bind(ticket.first_reply_at)
        .bind(ticket.solved_at)
        .bind(ticket.closed_at)
        .bind(ticket.revision)
        .bind(serde_json::to_string(&ticket.custom_fields).expect("custom fields serialise"))
        .bind(ticket.problem_id)
        .bind(ticket.merged_into_id)
        .bind(ticket.last_requester_reply_at)
        .bind(ticket.last_agent_reply_at)
        .bind(ticket.solve_count)
        .bind(ticket.satisfaction.rating.map_or(0, |rating| rating.number()))
        .bind(&ticket.satisfaction.comment)
        .bind(ticket.satisfaction.rated_at)
        .bind(ticket.escalation_tier.number())
}

/// Stores a new ticket and returns its number.
pub async fn insert(connection: &mut AnyConnection, ticket: &Ticket) -> sqlx::Result<i64> {
    let placeholders: Vec<String> = (1..=WRITTEN.len()).map(|n| format!("${n}")).collect();
    let sql = format!("INSERT INTO tickets ({}) VALUES ({}) RETURNING id", WRITTEN.join(", "), placeholders.join(", "));
    let row = bind_ticket(sqlx::query(&sql), ticket).fetch_one(&mut *connection).await?;
    let id: i64 = row.try_get("id")?;
    insert_tags(connection, id, &ticket.tags).await?;
    Ok(id)
}

/// Writes `ticket` if it is still at `expected_revision`; false when someone else got there first.
pub async fn update(
    connection: &mut AnyConnection,
    ticket: &Ticket,
    expected_revision: i64,
    tags_changed: bool,
) -> sqlx::Result<bool> {
    let assignments: Vec<String> =
        WRITTEN.iter().enumerate().map(|(n, column)| format!("{column} = ${}", n + 1)).collect();
    let sql = format!(
        "UPDATE tickets SET {} WHERE id = ${} AND revision = ${}",
        assignments.join(", "),
        WRITTEN.len() + 1,
        WRITTEN.len() + 2
    );
    let updated = bind_ticket(sqlx::query(&sql), ticket)
        .bind(ticket.id)
        .bind(expected_revision)
        .execute(&mut *connection)
        .await?
        .rows_affected();
    if updated == 1 && tags_changed {
        sqlx::query("DELETE FROM ticket_tags WHERE ticket_id = $1").bind(ticket.id).execute(&mut *connection).await?;
        insert_tags(connection, ticket.id, &ticket.tags).await?;
    }
    Ok(updated == 1)
}

async fn insert_tags(connection: &mut AnyConnection, ticket_id: i64, tags: &[String]) -> sqlx::Result<()> {
    let tagged: Vec<(i64, &str)> = tags.iter().map(|tag| (ticket_id, tag.as_str())).collect();
    insert_tag_rows(connection, &tagged).await
}

async fn insert_tag_rows(connection: &mut AnyConnection, tagged: &[(i64, &str)]) -> sqlx::Result<()> {
    rows::insert(connection, "ticket_tags", &["tag", "ticket_id"], "", tagged, |query, (ticket_id, tag)| {
        query.bind(*tag).bind(*ticket_id)
    })
    .await
}

/// `n` ticket numbers no other ticket has or will be given, in rising order, for tickets
/// written together by [`insert_numbered`]. Numbers are taken up front rather than read back
/// from a many-row `RETURNING`, whose order neither backend promises. Call inside the write
/// transaction: on SQLite it holds the only writer, so nothing else numbers a ticket meanwhile.
pub async fn reserve_ids(connection: &mut AnyConnection, backend: Backend, n: usize) -> sqlx::Result<Vec<i64>> {
    if n == 0 {
        return Ok(Vec::new());
    }
    match backend {
        Backend::Postgres => {
            let mut ids: Vec<i64> = sqlx::query_scalar(
                "SELECT nextval(pg_get_serial_sequence('tickets', 'id')) FROM generate_series(1, $1)",
            )
            .bind(n as i64)
            .fetch_all(connection)
            .await?;
            ids.sort_unstable();
            Ok(ids)
        }
        Backend::Sqlite => {
            // AUTOINCREMENT never reuses a number, even a deleted ticket's: start above both.
            let last: i64 = sqlx::query_scalar(
                "SELECT MAX(COALESCE((SELECT MAX(id) FROM tickets), 0),
                            COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'tickets'), 0))",
            )
            .fetch_one(connection)
            .await?;
            Ok((last + 1..=last + n as i64).collect())
        }
    }
}

/// Stores tickets already numbered by [`reserve_ids`], with their SLA state and tags, in as few
/// statements as the backend allows: what an import writes.
pub async fn insert_numbered(connection: &mut AnyConnection, tickets: &[Ticket]) -> sqlx::Result<()> {
    let columns: Vec<&str> =
        ["id"].into_iter().chain(WRITTEN.iter().copied()).chain(["sla_policy_id", "sla_breach_at"]).collect();
    rows::insert(connection, "tickets", &columns, "", tickets, |query, ticket| {
        bind_ticket(query.bind(ticket.id), ticket).bind(ticket.sla_policy_id.as_str()).bind(ticket.sla_breach_at)
    })
    .await?;
    let tagged: Vec<(i64, &str)> =
        tickets.iter().flat_map(|ticket| ticket.tags.iter().map(|tag| (ticket.id, tag.as_str()))).collect();
    insert_tag_rows(connection, &tagged).await
}

/// Which of `external_ids` tickets already have.
pub async fn taken_external_ids(
    connection: &mut AnyConnection,
    external_ids: &[&str],
) -> sqlx::Result<HashSet<String>> {
    let mut taken = HashSet::new();
    // One statement per chunk, well inside both backends' parameter limits.
    for chunk in external_ids.chunks(1_000) {
        let sql = format!(
            "SELECT external_id FROM tickets WHERE external_id IN ({})",
            rows::Placeholders::of(connection).list(chunk.len())
        );
        let mut query = sqlx::query_scalar::<_, String>(&sql).persistent(false);
        for external_id in chunk {
            query = query.bind(*external_id);
        }
        taken.extend(query.fetch_all(&mut *connection).await?);
    }
    Ok(taken)
}

/// Records who did what to a ticket; `changes` is a JSON object of field → [before, after].
pub async fn insert_audit(
    connection: &mut AnyConnection,
    ticket_id: i64,
    actor: &str,
    action: &str,
    changes: &serde_json::Value,
    at: i64,
) -> sqlx::Result<()> {
    insert_audits(connection, &[NewAudit { ticket_id, actor, action, changes: changes.to_string(), at }]).await
}

/// An audit row to write: `changes` is a JSON object of field → [before, after].
pub struct NewAudit<'a> {
    pub ticket_id: i64,
    pub actor: &'a str,
    pub action: &'a str,
    pub changes: String,
    pub at: i64,
}

/// Records many audit rows at once.
pub async fn insert_audits(connection: &mut AnyConnection, audits: &[NewAudit<'_>]) -> sqlx::Result<()> {
    const COLUMNS: &[&str] = &["ticket_id", "actor", "action", "changes", "created_at"];
    rows::insert(connection, "ticket_audits", COLUMNS, "", audits, |query, audit| {
        query.bind(audit.ticket_id).bind(audit.actor).bind(audit.action).bind(audit.changes.as_str()).bind(audit.at)
    })
    .await
}

/// One audit row: (id, actor, action, changes as JSON, created_at).
pub type AuditRow = (i64, String, String, String, i64);

/// The ticket's audit rows after `after_id`, oldest first.
pub async fn list_audits(
    connection: &mut AnyConnection,
    ticket_id: i64,
    after_id: i64,
    limit: usize,
) -> sqlx::Result<Vec<AuditRow>> {
    let rows = sqlx::query(
        "SELECT id, actor, action, changes, created_at FROM ticket_audits WHERE ticket_id = $1 AND id > $2 ORDER BY id LIMIT $3",
    )
    .bind(ticket_id)
    .bind(after_id)
    .bind(limit as i64)
    .fetch_all(connection)
    .await?;
    rows.iter()
        .map(|row| {
            Ok((
                row.try_get("id")?,
                row.try_get("actor")?,
                row.try_get("action")?,
                row.try_get("changes")?,
                row.try_get("created_at")?,
            ))
        })
        .collect()
}

pub async fn get(connection: &mut AnyConnection, id: i64) -> sqlx::Result<Option<Ticket>> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM tickets WHERE id = $1"))
        .bind(id)
        .fetch_optional(connection)
        .await?;
    row.as_ref().map(decode).transpose()
}

pub async fn find_by_external_id(connection: &mut AnyConnection, external_id: &str) -> sqlx::Result<Option<Ticket>> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM tickets WHERE external_id = $1"))
        .bind(external_id)
        .fetch_optional(connection)
        .await?;
    row.as_ref().map(decode).transpose()
}

/// Ticket ids solved before `solved_before` and not yet closed, oldest first.
pub async fn solved_before(connection: &mut AnyConnection, solved_before: i64, limit: usize) -> sqlx::Result<Vec<i64>> {
    sqlx::query_scalar("SELECT id FROM tickets WHERE status = $1 AND solved_at < $2 ORDER BY solved_at LIMIT $3")
        .bind(Status::Solved.number())
        .bind(solved_before)
        .bind(limit as i64)
        .fetch_all(connection)
        .await
}

/// Unsolved incidents of a problem.
pub async fn open_incidents_of(connection: &mut AnyConnection, problem_id: i64) -> sqlx::Result<Vec<i64>> {
    sqlx::query_scalar("SELECT id FROM tickets WHERE problem_id = $1 AND status < $2 ORDER BY id")
        .bind(problem_id)
        .bind(Status::Solved.number())
        .fetch_all(connection)
        .await
}

/// Tickets whose requester is `customer_id`.
pub async fn ids_requested_by(connection: &mut AnyConnection, customer_id: &str) -> sqlx::Result<Vec<i64>> {
    sqlx::query_scalar("SELECT id FROM tickets WHERE requester_id = $1 ORDER BY id")
        .bind(customer_id)
        .fetch_all(connection)
        .await
}

/// Which of `ids` pass `filter` (a search's candidates, narrowed by the caller's filter).
pub async fn passing(connection: &mut AnyConnection, ids: &[i64], filter: &SqlFilter) -> sqlx::Result<HashSet<i64>> {
    if ids.is_empty() {
        return Ok(HashSet::new());
    }
    let sql = among_ids("id", ids, filter);
    let rows = bind_ids(bind_all(sqlx::query(&sql), &filter.values), ids).fetch_all(connection).await?;
    rows.iter().map(|row| row.try_get("id")).collect()
}

/// The tickets among `ids` that pass `filter`, in no particular order.
pub async fn among(connection: &mut AnyConnection, ids: &[i64], filter: &SqlFilter) -> sqlx::Result<Vec<Ticket>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = among_ids(COLUMNS, ids, filter);
    let rows = bind_ids(bind_all(sqlx::query(&sql), &filter.values), ids).fetch_all(connection).await?;
    rows.iter().map(decode).collect()
}

/// `columns` of the tickets among `ids` that pass `filter`. The ids are looked up by primary
/// key in a subquery the filter cannot reach into: given `id IN (…25 ids…) AND (team_id = ''
/// OR assignee_id = $1 OR team_id = $2)` in one WHERE, SQLite's planner prefers a multi-index
/// OR over the team and assignee indexes, which reads every ticket of the team and the shared
/// inbox — a page of search results cost a scan that grew with the desk (measured at 100,000
/// tickets). A subquery with a LIMIT is not flattened, so the ids decide the plan.
fn among_ids(columns: &str, ids: &[i64], filter: &SqlFilter) -> String {
    format!(
        "SELECT {columns} FROM (SELECT * FROM tickets WHERE id IN ({}) LIMIT {}) AS tickets WHERE ({})",
        id_list(ids, filter),
        ids.len(),
        filter.clause
    )
}

/// Placeholders for `ids`, numbered after the filter's own.
fn id_list(ids: &[i64], filter: &SqlFilter) -> String {
    let first = filter.values.len() + 1;
    (first..first + ids.len()).map(|n| format!("${n}")).collect::<Vec<_>>().join(", ")
}

fn bind_ids<'q>(
    mut query: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
    ids: &[i64],
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
    for id in ids {
        query = query.bind(*id);
    }
    query
}

pub async fn count(connection: &mut AnyConnection, filter: &SqlFilter) -> sqlx::Result<i64> {
    let sql = format!("SELECT COUNT(*) AS tickets FROM tickets WHERE {}", filter.clause);
    let row = bind_all(sqlx::query(&sql), &filter.values).fetch_one(connection).await?;
    row.try_get("tickets")
}

/// The SQL expression a sort key orders by. Undated tickets get the largest instant, so they
/// sort last ascending and keyset pagination never meets a NULL.
fn sort_expression(key: TicketSortKey) -> &'static str {
    match key {
        TicketSortKey::CreatedAt => "created_at",
        TicketSortKey::UpdatedAt => "updated_at",
        TicketSortKey::Priority => "priority",
        TicketSortKey::DueAt => "COALESCE(due_at, 9223372036854775807)",
        TicketSortKey::SlaBreachAt => "COALESCE(sla_breach_at, 9223372036854775807)",
    }
}

/// The value of the sort key of `ticket`, as a page token carries it.
pub fn sort_value(ticket: &Ticket, key: TicketSortKey) -> i64 {
    match key {
        TicketSortKey::CreatedAt => ticket.created_at,
        TicketSortKey::UpdatedAt => ticket.updated_at,
        TicketSortKey::Priority => ticket.priority.number(),
        TicketSortKey::DueAt => ticket.due_at.unwrap_or(i64::MAX),
        TicketSortKey::SlaBreachAt => ticket.sla_breach_at.unwrap_or(i64::MAX),
    }
}

pub async fn list(
    connection: &mut AnyConnection,
    filter: &SqlFilter,
    order: TicketOrder,
    after: Option<&Cursor>,
    limit: usize,
) -> sqlx::Result<Vec<Ticket>> {
    let sort = sort_expression(order.key);
    let (direction, beyond) = if order.descending { ("DESC", "<") } else { ("ASC", ">") };
    let next = filter.values.len() + 1;
    let keyset = match after {
        Some(_) => format!("AND ({sort} {beyond} ${next} OR ({sort} = ${next} AND id {beyond} ${}))", next + 1),
        None => String::new(),
    };
    let sql = format!(
        "SELECT {COLUMNS} FROM tickets WHERE {} {keyset} ORDER BY {sort} {direction}, id {direction} LIMIT {limit}",
        filter.clause
    );
    let mut query = bind_all(sqlx::query(&sql), &filter.values);
    if let Some(cursor) = after {
        let sort_value: i64 = cursor.sort_key.parse().unwrap_or_default();
        let id: i64 = cursor.id.parse().unwrap_or_default();
        query = query.bind(sort_value).bind(id);
    }
    query.fetch_all(connection).await?.iter().map(decode).collect()
}

fn decode(row: &AnyRow) -> sqlx::Result<Ticket> {
    let rating: i64 = row.try_get("satisfaction_rating")?;
    Ok(Ticket {
        id: row.try_get("id")?,
        subject: row.try_get("subject")?,
        description: row.try_get("description")?,
        requester_id: row.try_get("requester_id")?,
        organization_id: row.try_get("organization_id")?,
        channel: decode_enum("channel", row.try_get("channel")?, Channel::from_number)?,
        ticket_type: decode_enum("type", row.try_get("type")?, TicketType::from_number)?,
        order_reference: row.try_get("order_reference")?,
        priority: decode_enum("priority", row.try_get("priority")?, Priority::from_number)?,
        status: decode_enum("status", row.try_get("status")?, Status::from_number)?,
        assignee_id: row.try_get("assignee_id")?,
        team_id: row.try_get("team_id")?,
        tags: parse_json_list("tags", &row.try_get::<String, _>("tags")?)?,
        due_at: row.try_get("due_at")?,
        external_id: row.try_get::<Option<String>, _>("external_id")?.unwrap_or_default(),
        locale: row.try_get("locale")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
        first_reply_at: row.try_get("first_reply_at")?,
        solved_at: row.try_get("solved_at")?,
        closed_at: row.try_get("closed_at")?,
        revision: row.try_get("revision")?,
        custom_fields: parse_json("custom_fields", &row.try_get::<String, _>("custom_fields")?)?,
        problem_id: row.try_get("problem_id")?,
        merged_into_id: row.try_get("merged_into_id")?,
        last_requester_reply_at: row.try_get("last_requester_reply_at")?,
        last_agent_reply_at: row.try_get("last_agent_reply_at")?,
        solve_count: row.try_get("solve_count")?,
        satisfaction: Satisfaction {
            rating: if rating == 0 {
                None
            } else {
                Some(decode_enum("satisfaction_rating", rating, SatisfactionRating::from_number)?)
            },
            comment: row.try_get("satisfaction_comment")?,
            rated_at: row.try_get("satisfaction_rated_at")?,
        },
        escalation_tier: decode_enum("escalation_tier", row.try_get("escalation_tier")?, Tier::from_number)?,
        sla_policy_id: row.try_get("sla_policy_id")?,
        sla_breach_at: row.try_get("sla_breach_at")?,
    })
}

/// Records what the SLA policies derived for a ticket; not a change to the ticket itself, so
/// its revision (and etag) stay as they are.
pub async fn set_sla(
    connection: &mut AnyConnection,
    ticket_id: i64,
    policy_id: &str,
    breach_at: Option<i64>,
) -> sqlx::Result<()> {
    sqlx::query("UPDATE tickets SET sla_policy_id = $1, sla_breach_at = $2 WHERE id = $3")
        .bind(policy_id)
        .bind(breach_at)
        .bind(ticket_id)
        .execute(connection)
        .await?;
    Ok(())
}

/// Tickets not yet closed with an id above `after_id`, by id: what automations look at.
pub async fn unclosed_after(connection: &mut AnyConnection, after_id: i64, limit: i64) -> sqlx::Result<Vec<Ticket>> {
    let rows =
        sqlx::query(&format!("SELECT {COLUMNS} FROM tickets WHERE status < $1 AND id > $2 ORDER BY id LIMIT $3"))
            .bind(Status::Closed.number())
            .bind(after_id)
            .bind(limit)
            .fetch_all(connection)
            .await?;
    rows.iter().map(decode).collect()
}
