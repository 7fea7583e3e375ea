//! What a ticketing feed event adds to a ticket's history: creation, status changes, public
//! comments, ratings, escalations and SLA breaches, each at the instant it happened.
use frontline_proto::{
    common::v1::FeedEvent,
    ticketing::v1::{
        CommentAdded, SatisfactionRating, SlaAlert, SlaAlertKind, SlaMetric, Ticket, TicketCreated, TicketEscalated,
        TicketImported, TicketRated, TicketUpdated, TicketsMerged,
    },
};
use frontline_shared::database::time;
use prost::Name;

use crate::store::history::Entry;

fn micros(timestamp: &Option<prost_types::Timestamp>) -> i64 {
    timestamp.as_ref().and_then(time::from_timestamp).unwrap_or_default()
}

fn status_entry(ticket: &Ticket) -> Entry {
    Entry {
        ticket_id: ticket.id.clone(),
        at: micros(&ticket.updated_at),
        kind: "status",
        status: i64::from(ticket.status),
        by_agent: false,
        actor_id: ticket.assignee_id.clone(),
        detail: String::new(),
    }
}

fn created_entry(ticket: &Ticket, by_agent: bool) -> Entry {
    Entry {
        ticket_id: ticket.id.clone(),
        at: micros(&ticket.created_at),
        kind: "created",
        status: i64::from(ticket.status),
        by_agent,
        actor_id: ticket.assignee_id.clone(),
        detail: String::new(),
    }
}

fn entry(ticket_id: &str, at: i64, kind: &'static str, detail: &str) -> Entry {
    Entry {
        ticket_id: ticket_id.to_string(),
        at,
        kind,
        status: 0,
        by_agent: false,
        actor_id: String::new(),
        detail: detail.to_string(),
    }
}

/// An imported ticket's past as history: created new at its creation, its public replies at
/// their times, solved at its solve, and its final status at its last update.
fn imported_entries(imported: &TicketImported) -> Vec<Entry> {
    use frontline_proto::ticketing::v1::TicketStatus;
    let Some(ticket) = &imported.ticket else { return Vec::new() };
    let final_status = ticket.status;
    let mut entries = vec![Entry { status: TicketStatus::New as i64, ..created_entry(ticket, false) }];
    for reply in &imported.public_replies {
        entries.push(Entry {
            ticket_id: ticket.id.clone(),
            at: micros(&reply.created_at),
            kind: "public_comment",
            status: 0,
            by_agent: reply.by_agent,
            actor_id: reply.author_id.clone(),
            detail: String::new(),
        });
    }
    let solved = final_status == TicketStatus::Solved as i32 || final_status == TicketStatus::Closed as i32;
    if solved && ticket.solved_at.is_some() {
        let at = micros(&ticket.solved_at);
        entries.push(Entry { at, status: TicketStatus::Solved as i64, ..status_entry(ticket) });
    }
    let already_there = final_status == TicketStatus::New as i32
        || (final_status == TicketStatus::Solved as i32 && ticket.solved_at.is_some());
    if !already_there {
        let at = if final_status == TicketStatus::Closed as i32 && ticket.closed_at.is_some() {
            micros(&ticket.closed_at)
        } else {
            micros(&ticket.updated_at)
        };
        entries.push(Entry { at, ..status_entry(ticket) });
    }
    entries
}

/// The history entries `event` adds, in order; none for events that add nothing.
pub fn entries(event: &FeedEvent) -> anyhow::Result<Vec<Entry>> {
    let Some(payload) = &event.payload else { return Ok(Vec::new()) };
    let url = payload.type_url.as_str();
    let mut entries = Vec::new();
    if url == TicketCreated::type_url() {
        let created = payload.to_msg::<TicketCreated>()?;
        entries.extend(created.ticket.map(|t| created_entry(&t, created.by_agent)));
    } else if url == TicketImported::type_url() {
        entries.extend(imported_entries(&payload.to_msg::<TicketImported>()?));
    } else if url == TicketUpdated::type_url() {
        let updated = payload.to_msg::<TicketUpdated>()?;
        if updated.previous_status != 0 {
            entries.extend(updated.ticket.as_ref().map(status_entry));
        }
    } else if url == CommentAdded::type_url() {
        let added = payload.to_msg::<CommentAdded>()?;
        if let (Some(comment), Some(ticket)) = (&added.comment, &added.ticket) {
            if comment.public {
                entries.push(Entry {
                    ticket_id: ticket.id.clone(),
                    at: micros(&comment.created_at),
                    kind: "public_comment",
                    status: 0,
                    by_agent: comment.author_role != frontline_proto::ticketing::v1::AuthorRole::Requester as i32,
                    actor_id: comment.author_id.clone(),
                    detail: String::new(),
                });
            }
            if added.previous_status != 0 {
                entries.push(status_entry(ticket));
            }
        }
    } else if url == TicketRated::type_url() {
        let rated = payload.to_msg::<TicketRated>()?;
        if let Some(ticket) = &rated.ticket {
            let good = rated.rating == SatisfactionRating::Good as i32;
            let at = ticket.satisfaction.as_ref().map_or(micros(&ticket.updated_at), |s| micros(&s.rated_at));
            entries.push(entry(&ticket.id, at, "rated", if good { "good" } else { "bad" }));
        }
    } else if url == TicketEscalated::type_url() {
        let escalated = payload.to_msg::<TicketEscalated>()?;
        if let Some(step) = escalated.escalation
            && step.direction == frontline_proto::ticketing::v1::EscalationDirection::Up as i32
        {
            entries.push(entry(&step.ticket_id, micros(&step.created_at), "escalated", ""));
        }
    } else if url == SlaAlert::type_url() {
        let alert = payload.to_msg::<SlaAlert>()?;
        if alert.kind == SlaAlertKind::Breach as i32 {
            let metric = SlaMetric::try_from(alert.metric)
                .map(|m| m.as_str_name().trim_start_matches("SLA_METRIC_").to_lowercase())
                .unwrap_or_default();
            entries.push(entry(&alert.ticket_id, micros(&alert.due_at), "sla_breached", &metric));
        }
    } else if url == TicketsMerged::type_url() {
        // The sources close: a status change each.
        entries.extend(payload.to_msg::<TicketsMerged>()?.sources.iter().map(status_entry));
    }
    Ok(entries)
}

#[cfg(test)]
mod tests {
    use frontline_proto::ticketing::v1::{ImportedReply, TicketStatus};

    use super::*;

    fn at(seconds: i64) -> Option<prost_types::Timestamp> {
        Some(prost_types::Timestamp { seconds, nanos: 0 })
    }

    #[test]
    fn an_imported_ticket_keeps_its_replies_and_its_solve() {
        let imported = TicketImported {
            ticket: Some(Ticket {
                id: "7".into(),
                status: TicketStatus::Closed as i32,
                created_at: at(1_000),
                solved_at: at(9_000),
                closed_at: at(20_000),
                updated_at: at(20_000),
                assignee_id: "agent-ola".into(),
                ..Default::default()
            }),
            comment_count: 3,
            public_replies: vec![
                ImportedReply { created_at: at(1_600), author_id: "agent-ola".into(), by_agent: true },
                ImportedReply { created_at: at(5_000), author_id: "c-1".into(), by_agent: false },
            ],
        };
        let entries = imported_entries(&imported);
        let summary: Vec<(&str, i64, i64, bool)> =
            entries.iter().map(|e| (e.kind, e.at / 1_000_000, e.status, e.by_agent)).collect();
        assert_eq!(
            summary,
            [
                ("created", 1_000, TicketStatus::New as i64, false),
                ("public_comment", 1_600, 0, true),
                ("public_comment", 5_000, 0, false),
                ("status", 9_000, TicketStatus::Solved as i64, false),
                ("status", 20_000, TicketStatus::Closed as i64, false),
            ]
        );
    }
}
