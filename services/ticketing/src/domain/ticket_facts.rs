//! Between tickets and the rules engine: a ticket (with its requester, the event at hand and
//! the hours since its moments) as the facts rules read, and the facts a rule run left as an
//! ordinary, validated ticket change.
use frontline_shared::ApiResult;

use super::{
    Customer, Status, Ticket,
    rules::{
        Facts, Value,
        facts::{CHANNELS, ESCALATION_TIERS, PRIORITIES, REQUESTER_TIERS, STATUSES, TICKET_TYPES},
    },
    ticket::{SatisfactionRating, TicketChange, TicketFields},
};

/// What happened to the ticket, as triggers see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TicketEvent {
    Created,
    Updated,
    Commented { public: bool, by_requester: bool, body: String },
    Rated,
}

/// Enum numbers are 1-based positions in the rules' name lists (the protobuf numbers).
fn name_of(names: &'static [&'static str], number: i64) -> Value {
    usize::try_from(number - 1).ok().and_then(|index| names.get(index)).map_or(Value::Absent, |name| Value::text(*name))
}

fn number_of(names: &[&str], value: &Value) -> Option<i64> {
    let text = value.as_text()?;
    names.iter().position(|name| *name == text).map(|index| index as i64 + 1)
}

fn text(value: &str) -> Value {
    Value::text(value)
}

/// The ticket and its requester as facts.
pub fn facts(ticket: &Ticket, requester: Option<&Customer>) -> Facts {
    let satisfaction = match ticket.satisfaction.rating {
        None => "unoffered",
        Some(SatisfactionRating::Offered) => "offered",
        Some(SatisfactionRating::Good) => "good",
        Some(SatisfactionRating::Bad) => "bad",
    };
    let reopens = (ticket.solve_count - i64::from(ticket.status.is_solved())).max(0);
    let mut facts = Facts::new()
        .with("status", name_of(STATUSES, ticket.status.number()))
        .with("priority", name_of(PRIORITIES, ticket.priority.number()))
        .with("type", name_of(TICKET_TYPES, ticket.ticket_type.number()))
        .with("channel", name_of(CHANNELS, ticket.channel.number()))
        .with("subject", text(&ticket.subject))
        .with("description", text(&ticket.description))
        .with("assignee_id", text(&ticket.assignee_id))
        .with("team_id", text(&ticket.team_id))
        .with("requester_id", text(&ticket.requester_id))
        .with("organization_id", text(&ticket.organization_id))
        .with("locale", text(&ticket.locale))
        .with("tags", Value::tags(&ticket.tags))
        .with("escalation_tier", name_of(ESCALATION_TIERS, ticket.escalation_tier.number()))
        .with("ticket.id", Value::Number(ticket.id))
        .with("reopens", Value::Number(reopens))
        .with("satisfaction", text(satisfaction))
        // People's names live in workforce; rules see the id until a name is known.
        .with("assignee.name", text(&ticket.assignee_id));
    if let Some(requester) = requester {
        facts.set("requester.tier", name_of(REQUESTER_TIERS, requester.tier.number()));
        facts.set("requester.name", text(&requester.name));
        facts.set("requester.email", requester.emails.first().map_or(Value::Absent, |email| text(email)));
    }
    facts
}

/// Adds what a trigger knows about the event it runs for.
pub fn with_event(mut facts: Facts, event: &TicketEvent) -> Facts {
    let kind = match event {
        TicketEvent::Created => "created",
        TicketEvent::Updated => "updated",
        TicketEvent::Commented { .. } => "commented",
        TicketEvent::Rated => "rated",
    };
    facts.set("event", text(kind));
    if let TicketEvent::Commented { public, by_requester, body } = event {
        facts.set("comment.public", Value::Bool(*public));
        facts.set("comment.author", text(if *by_requester { "requester" } else { "agent" }));
        facts.set("comment.body", text(body));
    }
    facts
}

/// Adds whole hours since each of the ticket's moments, as automations read them.
pub fn with_hours(mut facts: Facts, ticket: &Ticket, status_changed_at: i64, now: i64) -> Facts {
    let hours = |at: Option<i64>| at.map_or(Value::Absent, |at| Value::Number((now - at).max(0) / 3_600_000_000));
    facts.set("hours_since.created", hours(Some(ticket.created_at)));
    facts.set("hours_since.updated", hours(Some(ticket.updated_at)));
    facts.set("hours_since.status_changed", hours(Some(status_changed_at)));
    facts.set("hours_since.solved", hours(ticket.solved_at.filter(|_| ticket.status.is_solved())));
    facts.set("hours_since.requester_replied", hours(ticket.last_requester_reply_at));
    facts.set("hours_since.agent_replied", hours(ticket.last_agent_reply_at));
    facts
}

/// The fields a rule may change, as a validated update of `ticket`; None when nothing changed.
/// An illegal move (say, a closed ticket back to open) is refused like any other update.
pub fn change(ticket: &Ticket, after: &Facts, now: i64) -> ApiResult<Option<TicketChange>> {
    let before = facts(ticket, None);
    let mut fields = TicketFields::default();
    let mut paths = Vec::new();
    let differs = |name: &str| before.get(name) != after.get(name);
    if differs("status") {
        fields.status = number_of(STATUSES, after.get("status")).and_then(Status::from_number);
        paths.push("status".to_string());
    }
    if differs("priority") {
        fields.priority = number_of(PRIORITIES, after.get("priority")).and_then(super::Priority::from_number);
        paths.push("priority".to_string());
    }
    if differs("type") {
        fields.ticket_type = number_of(TICKET_TYPES, after.get("type")).and_then(super::TicketType::from_number);
        paths.push("type".to_string());
    }
    for (name, slot) in
        [("assignee_id", &mut fields.assignee_id), ("team_id", &mut fields.team_id), ("locale", &mut fields.locale)]
    {
        if differs(name) {
            *slot = after.get(name).as_text().unwrap_or_default().to_string();
            paths.push(name.to_string());
        }
    }
    if differs("tags") {
        fields.tags = after.get("tags").tag_list();
        paths.push("tags".to_string());
    }
    if paths.is_empty() {
        return Ok(None);
    }
    let change = ticket.update(&fields, &paths, now)?;
    Ok((!change.changed_fields.is_empty()).then_some(change))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{
        Priority,
        rules::{Action, Condition, Conditions, Operator, Trigger, run_triggers},
    };

    fn ticket() -> Ticket {
        let fields = TicketFields {
            subject: "Faktura".into(),
            requester_id: "c-1".into(),
            priority: Some(Priority::Normal),
            tags: vec!["billing".into()],
            ..Default::default()
        };
        let mut ticket = Ticket::create(fields, 0).unwrap();
        ticket.id = 7;
        ticket
    }

    #[test]
    fn a_ticket_reads_as_facts_with_enum_names() {
        let facts = with_event(facts(&ticket(), None), &TicketEvent::Created);
        assert_eq!(facts.get("status"), &Value::text("new"));
        assert_eq!(facts.get("priority"), &Value::text("normal"));
        assert_eq!(facts.get("escalation_tier"), &Value::text("agent"));
        assert_eq!(facts.get("ticket.id"), &Value::Number(7));
        assert_eq!(facts.get("event"), &Value::text("created"));
        assert_eq!(facts.get("requester.tier"), &Value::Absent);
    }

    #[test]
    fn what_a_trigger_did_becomes_an_ordinary_update() {
        let original = ticket();
        let trigger = Trigger {
            id: "t".into(),
            name: "billing is urgent".into(),
            position: 1,
            active: true,
            conditions: Conditions {
                all: vec![Condition {
                    field: "tags".into(),
                    operator: Operator::Includes,
                    value: Value::tags(["billing"]),
                }],
                any: vec![],
            },
            actions: vec![
                Action::SetField { field: "priority".into(), value: Value::text("urgent") },
                Action::Assign { assignee_id: "agent-ola".into(), team_id: "t-billing".into() },
                Action::AddTags { tags: vec!["vip".into()] },
            ],
        };
        let run = run_triggers(&[trigger], None, facts(&original, None));
        let change = change(&original, &run.facts, 1).unwrap().unwrap();
        assert_eq!(change.ticket.priority, Priority::Urgent);
        assert_eq!(change.ticket.assignee_id, "agent-ola");
        assert_eq!(change.ticket.status, Status::Open, "assigning a new ticket opens it");
        assert_eq!(change.ticket.tags, ["billing", "vip"]);
        assert!(change.changed_fields.contains(&"priority"));
    }

    #[test]
    fn nothing_changed_is_no_update_and_an_illegal_move_is_refused() {
        let original = ticket();
        assert!(change(&original, &facts(&original, None), 1).unwrap().is_none());
        let mut closed = original.clone();
        closed.status = Status::Closed;
        let reopened = facts(&closed, None).with("status", Value::text("open"));
        assert!(change(&closed, &reopened, 1).is_err());
    }

    #[test]
    fn hours_since_count_whole_hours() {
        let mut solved = ticket();
        solved.status = Status::Solved;
        solved.solved_at = Some(0);
        let facts = with_hours(facts(&solved, None), &solved, 0, 97 * 3_600_000_000 + 59 * 60_000_000);
        assert_eq!(facts.get("hours_since.solved"), &Value::Number(97));
        assert_eq!(facts.get("hours_since.agent_replied"), &Value::Absent);
    }
}
