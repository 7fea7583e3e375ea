//! GetTicketMetrics: one ticket's metrics from the history analytics recorded, measured in the
//! business hours of the ticket's SLA policy.
use chrono::{DateTime, Utc};
use frontline_proto::analytics::v1 as pb;
use frontline_shared::{
    ApiError, ApiResult,
    auth::{Principal, Role},
    database::{Database, time},
};

use crate::{
    domain::ticket_metrics::{Durations, TicketMetrics, ticket_metrics},
    store::{calendars, history},
};

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
pub(crate) fn check_reader(principal: &Principal) -> ApiResult<()> {
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
    // A ticket the caller may not see in ticketing is not found here either.
    let holder: Option<(String, String)> =
        sqlx::query_as("SELECT team_id, assignee_id FROM ticket_facts WHERE ticket_id = $1")
            .bind(&request.ticket_id)
            .fetch_optional(&mut *connection)
            .await?;
    // A ticket whose team is not known here yet is shown only to those who see every ticket.
    let scope = frontline_shared::ticket_scope::ticket_scope(principal);
    let visible = match holder {
        Some((team_id, assignee_id)) => scope.includes(&team_id, &assignee_id),
        None => scope == frontline_shared::ticket_scope::TicketScope::All,
    };
    if !visible {
        return Err(ApiError::not_found("ticket", &request.ticket_id));
    }
    let events = history::events_of(&mut connection, &request.ticket_id).await?;
    let calendar = calendars::for_ticket(&mut connection, &request.ticket_id).await?;
    let metrics = ticket_metrics(&events, &calendar, Utc::now())
        .ok_or_else(|| ApiError::not_found("ticket", &request.ticket_id))?;
    Ok(wire(&request.ticket_id, metrics))
}
