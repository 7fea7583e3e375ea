//! GetTicketMetrics: one ticket's metrics from the history analytics recorded, measured in the
//! business hours of the ticket's SLA policy.
use chrono::{DateTime, Utc};
use frontline_proto::analytics::v1 as pb;
use frontline_shared::{
    ApiError, ApiResult,
    auth::{Principal, Role},
    calendar::Calendar,
    database::{Database, time},
};
use sqlx::Row;

use crate::{
    domain::ticket_metrics::{Durations, HistoryEvent, Status, TicketMetrics, ticket_metrics},
    store::{calendars, history},
};

fn instant(micros: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_micros(micros).unwrap_or_default()
}

fn status(number: i64) -> Status {
    match number {
        2 => Status::Open,
        3 => Status::Pending,
        4 => Status::OnHold,
        5 => Status::Solved,
        6 => Status::Closed,
        _ => Status::New,
    }
}

fn event(entry: history::Entry) -> Option<HistoryEvent> {
    let at = instant(entry.at);
    Some(match entry.kind {
        "created" => HistoryEvent::Created {
            at,
            by_agent: entry.by_agent,
            status: status(entry.status),
            assignee_id: entry.actor_id,
        },
        "status" => HistoryEvent::StatusChanged { at, to: status(entry.status), assignee_id: entry.actor_id },
        "public_comment" => HistoryEvent::PublicComment { at, by_agent: entry.by_agent, author_id: entry.actor_id },
        "rated" => HistoryEvent::Rated { at, good: entry.detail == "good" },
        "escalated" => HistoryEvent::Escalated { at },
        "sla_breached" => HistoryEvent::SlaBreached { at, metric: entry.detail },
        _ => return None,
    })
}

fn durations(value: Durations) -> pb::Durations {
    pb::Durations { calendar_seconds: value.calendar_seconds, business_seconds: value.business_seconds }
}

fn wire(ticket_id: &str, metrics: TicketMetrics) -> pb::TicketMetrics {
    let at = |value: Option<DateTime<Utc>>| value.map(|v| time::to_timestamp(v.timestamp_micros()));
    pb::TicketMetrics {
        ticket_id: ticket_id.to_string(),
        created_at: at(Some(metrics.created_at)),
        first_reply_at: at(metrics.first_reply_at),
        first_reply: metrics.first_reply.map(durations),
        next_replies: metrics.next_replies.into_iter().map(durations).collect(),
        solved: metrics.solved,
        solved_at: at(metrics.solved_at),
        full_resolution: metrics.full_resolution.map(durations),
        requester_wait: Some(durations(metrics.requester_wait)),
        agent_wait: Some(durations(metrics.agent_wait)),
        on_hold: Some(durations(metrics.on_hold)),
        agent_replies: metrics.agent_replies as i32,
        requester_replies: metrics.requester_replies as i32,
        reopens: metrics.reopens as i32,
        one_touch: metrics.one_touch,
        csat: match metrics.csat {
            None => pb::Csat::NotRated,
            Some(true) => pb::Csat::Good,
            Some(false) => pb::Csat::Bad,
        } as i32,
        escalated: metrics.escalated,
        sla_breached: metrics.sla_breached.into_iter().collect(),
        handled_by: metrics.handled_by.into_iter().collect(),
    }
}

/// Metrics are for the people who run support and the programs that report on it.
fn check_reader(principal: &Principal) -> ApiResult<()> {
    if principal.role.is_staff() || matches!(principal.role, Role::BiReader | Role::Service) {
        Ok(())
    } else {
        Err(ApiError::permission_denied(format!("the {} role may not read metrics", principal.role)))
    }
}

pub async fn get_ticket_metrics(
    db: &Database,
    principal: &Principal,
    request: pb::GetTicketMetricsRequest,
) -> ApiResult<pb::TicketMetrics> {
    check_reader(principal)?;
    if request.ticket_id.trim().is_empty() {
        return Err(ApiError::invalid("ticket_id", "is required"));
    }
    let mut connection = db.reader().acquire().await?;
    let entries = history::of_ticket(&mut connection, &request.ticket_id).await?;
    let events: Vec<HistoryEvent> = entries.into_iter().filter_map(event).collect();
    let policy: Option<String> = sqlx::query("SELECT sla_policy_id FROM ticket_facts WHERE ticket_id = $1")
        .bind(&request.ticket_id)
        .fetch_optional(&mut *connection)
        .await?
        .map(|row| row.try_get("sla_policy_id"))
        .transpose()?;
    let calendar = match policy.filter(|p| !p.is_empty()) {
        Some(policy) => calendars::for_policy(&mut connection, &policy).await?.unwrap_or_else(Calendar::always),
        None => Calendar::always(),
    };
    let metrics = ticket_metrics(&events, &calendar, Utc::now())
        .ok_or_else(|| ApiError::not_found("ticket", &request.ticket_id))?;
    Ok(wire(&request.ticket_id, metrics))
}
