//! One ticket's metrics, computed from its history. Each definition is exact (Zendesk Explore's
//! are the model; where they are vague, the choice is written down here and in the README):
//!
//! * The history starts at the first `Created`; anything before it, any later `Created`, and
//!   anything after `now` is ignored. Events are taken in time order (stable, so events of one
//!   instant keep their recorded order), and an exact repeat of an event (a replay) counts once.
//! * **First reply**: creation to the first public agent comment. For a ticket an agent opened,
//!   its description is the first public agent comment (it is never recorded as a comment), so
//!   this is Zendesk's "second public agent comment".
//! * **Next reply**: once the first reply happened, a requester's public comment with none
//!   waiting starts an exchange (the oldest unanswered comment counts); the next public agent
//!   comment ends it.
//! * **Full resolution**: creation to the latest solve (a solve that is followed by closing keeps
//!   its instant).
//! * **Requester wait / agent wait / on-hold**: time spent in new, open and on-hold / in pending /
//!   in on-hold, up to now (time while solved counts to none of them).
//! * **Agent replies**: public agent comments; **one-touch**: solved with fewer than two agent
//!   replies; **reopens**: moves from solved or closed back to an unsolved status.
//! * **CSAT**: the latest rating (a later rating of the same ticket replaces an earlier one).
//! * **Handled by**: agents who commented publicly, and the assignee at each solve.
//!
//! Every duration is measured twice: in calendar time and in the business hours of the given
//! calendar (`Calendar::always()` when the ticket has none, making both the same).
use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use frontline_shared::calendar::Calendar;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Status {
    New,
    Open,
    Pending,
    OnHold,
    Solved,
    Closed,
}

impl Status {
    pub(crate) fn is_solved(self) -> bool {
        matches!(self, Status::Solved | Status::Closed)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HistoryEvent {
    Created { at: DateTime<Utc>, by_agent: bool, status: Status, assignee_id: String },
    StatusChanged { at: DateTime<Utc>, to: Status, assignee_id: String },
    PublicComment { at: DateTime<Utc>, by_agent: bool, author_id: String },
    Rated { at: DateTime<Utc>, good: bool },
    Escalated { at: DateTime<Utc> },
    SlaBreached { at: DateTime<Utc>, metric: String },
}

impl HistoryEvent {
    pub fn at(&self) -> DateTime<Utc> {
        match self {
            HistoryEvent::Created { at, .. }
            | HistoryEvent::StatusChanged { at, .. }
            | HistoryEvent::PublicComment { at, .. }
            | HistoryEvent::Rated { at, .. }
            | HistoryEvent::Escalated { at }
            | HistoryEvent::SlaBreached { at, .. } => *at,
        }
    }
}

/// A duration in calendar seconds and in business seconds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Durations {
    pub calendar_seconds: i64,
    pub business_seconds: i64,
}

impl Durations {
    fn between(calendar: &Calendar, from: DateTime<Utc>, to: DateTime<Utc>) -> Durations {
        if to <= from {
            return Durations::default();
        }
        Durations {
            calendar_seconds: (to - from).num_seconds(),
            business_seconds: calendar.business_seconds_between(from, to),
        }
    }

    fn add(&mut self, other: Durations) {
        self.calendar_seconds += other.calendar_seconds;
        self.business_seconds += other.business_seconds;
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TicketMetrics {
    pub created_at: DateTime<Utc>,
    pub first_reply_at: Option<DateTime<Utc>>,
    pub first_reply: Option<Durations>,
    pub next_replies: Vec<Durations>,
    pub solved: bool,
    pub solved_at: Option<DateTime<Utc>>,
    pub full_resolution: Option<Durations>,
    pub requester_wait: Durations,
    pub agent_wait: Durations,
    pub on_hold: Durations,
    pub agent_replies: i64,
    pub requester_replies: i64,
    pub reopens: i64,
    pub one_touch: bool,
    /// The latest rating: Some(true) good, Some(false) bad.
    pub csat: Option<bool>,
    pub escalated: bool,
    pub sla_breached: BTreeSet<String>,
    pub handled_by: BTreeSet<String>,
}

/// The events that count, in order: from the first creation up to `now`, replays removed.
pub(crate) fn relevant(history: &[HistoryEvent], now: DateTime<Utc>) -> Option<Vec<HistoryEvent>> {
    let mut sorted: Vec<&HistoryEvent> = history.iter().filter(|e| e.at() <= now).collect();
    sorted.sort_by_key(|e| e.at());
    let mut unique: Vec<HistoryEvent> = Vec::with_capacity(sorted.len());
    for event in sorted {
        if !unique.contains(event) {
            unique.push(event.clone());
        }
    }
    let start = unique.iter().position(|e| matches!(e, HistoryEvent::Created { .. }))?;
    let created = unique[start].clone();
    let mut events = vec![created];
    events.extend(unique.into_iter().skip(start + 1).filter(|e| !matches!(e, HistoryEvent::Created { .. })));
    Some(events)
}

/// The ticket's metrics as of `now`, in calendar time and in `business` hours. None for a
/// history without a creation.
pub fn ticket_metrics(history: &[HistoryEvent], business: &Calendar, now: DateTime<Utc>) -> Option<TicketMetrics> {
    let events = relevant(history, now)?;
    let HistoryEvent::Created { at: created_at, status: initial, assignee_id, .. } = &events[0] else { return None };
    let mut metrics = TicketMetrics { created_at: *created_at, ..Default::default() };
    let mut status = *initial;
    let mut since = *created_at;
    let mut waiting_since: Option<DateTime<Utc>> = None;
    if status.is_solved() {
        metrics.solved_at = Some(*created_at);
        if !assignee_id.is_empty() {
            metrics.handled_by.insert(assignee_id.clone());
        }
    }
    let account = |metrics: &mut TicketMetrics, status: Status, from: DateTime<Utc>, to: DateTime<Utc>| {
        let spent = Durations::between(business, from, to);
        match status {
            Status::New | Status::Open => metrics.requester_wait.add(spent),
            Status::OnHold => {
                metrics.requester_wait.add(spent);
                metrics.on_hold.add(spent);
            }
            Status::Pending => metrics.agent_wait.add(spent),
            Status::Solved | Status::Closed => {}
        }
    };
    for event in &events[1..] {
        match event {
            HistoryEvent::StatusChanged { at, to, assignee_id } => {
                account(&mut metrics, status, since, *at);
                if status.is_solved() && !to.is_solved() {
                    metrics.reopens += 1;
                }
                if to.is_solved() && !status.is_solved() {
                    metrics.solved_at = Some(*at);
                    if !assignee_id.is_empty() {
                        metrics.handled_by.insert(assignee_id.clone());
                    }
                }
                status = *to;
                since = *at;
            }
            HistoryEvent::PublicComment { at, by_agent: true, author_id } => {
                metrics.agent_replies += 1;
                metrics.handled_by.insert(author_id.clone());
                if metrics.first_reply_at.is_none() {
                    metrics.first_reply_at = Some(*at);
                    metrics.first_reply = Some(Durations::between(business, *created_at, *at));
                }
                if let Some(start) = waiting_since.take() {
                    metrics.next_replies.push(Durations::between(business, start, *at));
                }
            }
            HistoryEvent::PublicComment { at, by_agent: false, .. } => {
                metrics.requester_replies += 1;
                if metrics.first_reply_at.is_some() && waiting_since.is_none() {
                    waiting_since = Some(*at);
                }
            }
            HistoryEvent::Rated { good, .. } => metrics.csat = Some(*good),
            HistoryEvent::Escalated { .. } => metrics.escalated = true,
            HistoryEvent::SlaBreached { metric, .. } => {
                metrics.sla_breached.insert(metric.clone());
            }
            HistoryEvent::Created { .. } => {}
        }
    }
    account(&mut metrics, status, since, now);
    metrics.solved = status.is_solved();
    if !metrics.solved {
        metrics.solved_at = None; // reopened: resolved no longer
    }
    metrics.full_resolution = metrics.solved_at.map(|at| Durations::between(business, *created_at, at));
    metrics.one_touch = metrics.solved && metrics.agent_replies < 2;
    Some(metrics)
}

/// Whether the ticket counts in the backlog at `instant`: created by then and not solved then.
pub fn in_backlog(history: &[HistoryEvent], instant: DateTime<Utc>) -> bool {
    let Some(events) = relevant(history, instant) else { return false };
    let mut solved = matches!(events[0], HistoryEvent::Created { status, .. } if status.is_solved());
    for event in &events[1..] {
        if let HistoryEvent::StatusChanged { to, .. } = event {
            solved = to.is_solved();
        }
    }
    !solved
}

#[cfg(test)]
mod tests;
