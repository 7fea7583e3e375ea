//! SLA clocks of a ticket, recomputed from scratch out of its event history.
//!
//! Recomputing instead of storing running counters keeps the clocks correct when history is corrected,
//! when a calendar changes, or when targets are edited: the result is a pure function of its inputs.
//!
//! Each metric is first reduced to *cycles*. A cycle is a list of running segments (half-open intervals of
//! real time during which the clock runs) and an optional fulfilment instant. FirstReply,
//! RequesterWaitTime and AgentWorkTime have at most one cycle; NextReply and PeriodicUpdate restart after
//! each fulfilment, so they may have many. Elapsed time is then open time of the target's calendar summed
//! over the segments, which makes pausing and business hours the same mechanism.
//!
//! Definitions (after Zendesk's, made exact):
//!
//! * The ticket is created at its first [`Event::Created`]; without one, at its first event (by the
//!   requester). Events before creation, later `Created` events and events after `now` are ignored: the
//!   clocks describe the history as known at `now`.
//! * The *first agent reply* is the first [`Event::PublicComment`] with `by_agent: true` after creation.
//!   For an agent-created ticket the description is the `Created` event itself (Zendesk records it as the
//!   first public agent comment), so the first agent `PublicComment` is Zendesk's "second public agent
//!   comment". Callers must not also emit the description as a `PublicComment`.
//! * **FirstReply** runs from creation to the first agent reply; a solve (to Solved or Closed) before any
//!   reply fulfils it at the solve, because the requester no longer waits for one. Never paused, never
//!   restarted by a reopen.
//! * **NextReply**: after the first agent reply, a requester public comment with no cycle open starts a
//!   cycle (so it runs from the oldest unanswered comment); the next agent public comment or a solve
//!   fulfils it. Never paused.
//! * **PeriodicUpdate**: the first agent reply starts a cycle; every later agent public comment fulfils the
//!   open cycle and starts the next; a solve fulfils the open cycle. A reopen after a solve starts a new
//!   cycle (only once the first agent reply has happened), since the requester is again owed updates. Agent
//!   comments while solved start nothing.
//! * **RequesterWaitTime** runs in New, Open and OnHold and pauses in Pending; **AgentWorkTime** runs in
//!   New and Open and pauses in Pending and OnHold. Both are fulfilled at the first solve of a resolution
//!   (Solved → Closed keeps that instant); a reopen clears the fulfilment and keeps accumulating.
//! * A clock is *breached* when the elapsed time reached the target strictly before fulfilment (a reply at
//!   exactly the due instant meets it) or strictly before `now`.

use chrono::{DateTime, Utc};

use super::calendar::Calendar;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Metric {
    FirstReply,
    NextReply,
    PeriodicUpdate,
    RequesterWaitTime,
    AgentWorkTime,
    /// Creation to solve in every unsolved status, never paused; a reopen resumes it.
    Resolution,
}

impl Metric {
    pub const ALL: [Metric; 6] = [
        Metric::FirstReply,
        Metric::NextReply,
        Metric::PeriodicUpdate,
        Metric::RequesterWaitTime,
        Metric::AgentWorkTime,
        Metric::Resolution,
    ];

    /// The number on the wire (SlaMetric) and in storage.
    pub fn number(self) -> i64 {
        match self {
            Metric::FirstReply => 1,
            Metric::NextReply => 2,
            Metric::PeriodicUpdate => 3,
            Metric::RequesterWaitTime => 4,
            Metric::AgentWorkTime => 5,
            Metric::Resolution => 6,
        }
    }

    pub fn from_number(number: i64) -> Option<Metric> {
        Metric::ALL.into_iter().find(|metric| metric.number() == number)
    }

    pub fn name(self) -> &'static str {
        match self {
            Metric::FirstReply => "first reply",
            Metric::NextReply => "next reply",
            Metric::PeriodicUpdate => "periodic update",
            Metric::RequesterWaitTime => "requester wait time",
            Metric::AgentWorkTime => "agent work time",
            Metric::Resolution => "resolution",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Hours {
    Calendar,
    Business,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Target {
    pub metric: Metric,
    /// Negative values are treated as 0 (due immediately).
    pub minutes: i64,
    pub hours: Hours,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Status {
    New,
    Open,
    Pending,
    OnHold,
    Solved,
    Closed,
}

impl Status {
    fn is_solved(self) -> bool {
        matches!(self, Status::Solved | Status::Closed)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Event {
    /// by_agent: an agent opened the ticket on the requester's behalf (its description counts as the first
    /// public agent comment, so it is not the reply that fulfils FirstReply).
    Created {
        at: DateTime<Utc>,
        by_agent: bool,
    },
    StatusChanged {
        at: DateTime<Utc>,
        to: Status,
    },
    PublicComment {
        at: DateTime<Utc>,
        by_agent: bool,
    },
}

impl Event {
    pub fn at(&self) -> DateTime<Utc> {
        match *self {
            Event::Created { at, .. } | Event::StatusChanged { at, .. } | Event::PublicComment { at, .. } => at,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Clock {
    pub metric: Metric,
    /// Whether the metric has started at all (runs now or ran at some point).
    pub active: bool,
    /// When the target falls due if the clock keeps running from now; the breach instant if already
    /// breached; None while paused, when fulfilled or when not started.
    pub target_at: Option<DateTime<Utc>>,
    /// Minutes of the target left at `now` in the target's hours (target minus whole elapsed minutes);
    /// negative once breached, except during the first minute after the breach, where it is still 0.
    pub remaining_minutes: i64,
    pub paused: bool,
    pub fulfilled_at: Option<DateTime<Utc>>,
    pub breached_at: Option<DateTime<Utc>>,
    /// target_at minus the warning lead, in the target's hours: the instant at which the elapsed time
    /// reaches target minus lead. None whenever target_at is None.
    pub warning_at: Option<DateTime<Utc>>,
    /// Breaches of earlier cycles (NextReply, PeriodicUpdate restart after each fulfilment).
    pub earlier_breaches: Vec<DateTime<Utc>>,
}

/// One clock per target, in the order of `targets`. `warn_before_minutes` below 0 is treated as 0.
pub fn clocks(
    targets: &[Target],
    events: &[Event],
    business: &Calendar,
    now: DateTime<Utc>,
    warn_before_minutes: i64,
) -> Vec<Clock> {
    let history = History::new(events, now);
    let always = Calendar::always();
    targets
        .iter()
        .map(|target| {
            let calendar = match target.hours {
                Hours::Calendar => &always,
                Hours::Business => business,
            };
            let cycles = match &history {
                Some(h) => h.cycles(target.metric, now),
                None => Vec::new(),
            };
            evaluate(target, &cycles, calendar, now, warn_before_minutes.max(0))
        })
        .collect()
}

/// Time during which a clock runs; `end: None` means still running at `now`.
#[derive(Debug, Clone, Copy)]
struct Segment {
    start: DateTime<Utc>,
    end: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Default)]
struct Cycle {
    segments: Vec<Segment>,
    fulfilled_at: Option<DateTime<Utc>>,
}

impl Cycle {
    fn starting(at: DateTime<Utc>) -> Cycle {
        Cycle { segments: vec![Segment { start: at, end: None }], fulfilled_at: None }
    }

    fn running(&self) -> bool {
        self.segments.last().is_some_and(|s| s.end.is_none())
    }

    fn stop(&mut self, at: DateTime<Utc>) {
        if let Some(last) = self.segments.last_mut()
            && last.end.is_none()
        {
            last.end = Some(at);
        }
    }

    fn resume(&mut self, at: DateTime<Utc>) {
        if !self.running() {
            self.segments.push(Segment { start: at, end: None });
        }
    }

    fn fulfil(&mut self, at: DateTime<Utc>) {
        self.stop(at);
        self.fulfilled_at = Some(at);
    }
}

/// The relevant part of the history: creation and the events after it, in time order.
struct History {
    created_at: DateTime<Utc>,
    events: Vec<Event>,
}

impl History {
    fn new(events: &[Event], now: DateTime<Utc>) -> Option<History> {
        let mut sorted: Vec<Event> = events.iter().copied().filter(|e| e.at() <= now).collect();
        // Stable, so that events recorded at the same instant keep the caller's order.
        sorted.sort_by_key(Event::at);
        let creation = sorted.iter().position(|e| matches!(e, Event::Created { .. }));
        let created_at = match creation {
            Some(i) => sorted[i].at(),
            None => sorted.first()?.at(),
        };
        let skip = creation.map_or(0, |i| i + 1);
        let events = sorted
            .into_iter()
            .enumerate()
            .filter(|&(i, e)| i >= skip && e.at() >= created_at && !matches!(e, Event::Created { .. }))
            .map(|(_, e)| e)
            .collect();
        Some(History { created_at, events })
    }

    fn cycles(&self, metric: Metric, now: DateTime<Utc>) -> Vec<Cycle> {
        match metric {
            Metric::FirstReply => self.first_reply(),
            Metric::NextReply => self.next_reply(),
            Metric::PeriodicUpdate => self.periodic_update(),
            Metric::RequesterWaitTime => {
                self.status_clock(|s| matches!(s, Status::New | Status::Open | Status::OnHold))
            }
            Metric::AgentWorkTime => self.status_clock(|s| matches!(s, Status::New | Status::Open)),
            Metric::Resolution => self.status_clock(|_| true),
        }
        .into_iter()
        .map(|mut c| {
            // Segments that start and end at once carry no time but would make a cycle look "running".
            c.segments.retain(|s| s.end.is_none_or(|e| e > s.start) && s.start <= now);
            c
        })
        .collect()
    }

    fn first_reply(&self) -> Vec<Cycle> {
        let mut cycle = Cycle::starting(self.created_at);
        let end = self.events.iter().find_map(|e| match *e {
            Event::PublicComment { at, by_agent: true } => Some(at),
            Event::StatusChanged { at, to } if to.is_solved() => Some(at),
            _ => None,
        });
        if let Some(at) = end {
            cycle.fulfil(at);
        }
        vec![cycle]
    }

    fn next_reply(&self) -> Vec<Cycle> {
        let mut cycles: Vec<Cycle> = Vec::new();
        let mut replied = false;
        for e in &self.events {
            let open = cycles.last_mut().filter(|c| c.fulfilled_at.is_none());
            match *e {
                Event::PublicComment { at, by_agent: true } => {
                    replied = true;
                    if let Some(c) = open {
                        c.fulfil(at);
                    }
                }
                Event::PublicComment { at, by_agent: false } if replied && open.is_none() => {
                    cycles.push(Cycle::starting(at));
                }
                Event::StatusChanged { at, to } if to.is_solved() => {
                    if let Some(c) = open {
                        c.fulfil(at);
                    }
                }
                _ => {}
            }
        }
        cycles
    }

    fn periodic_update(&self) -> Vec<Cycle> {
        let mut cycles: Vec<Cycle> = Vec::new();
        let mut replied = false;
        let mut solved = false;
        for e in &self.events {
            let open = cycles.last_mut().filter(|c| c.fulfilled_at.is_none());
            match *e {
                Event::PublicComment { at, by_agent: true } => {
                    replied = true;
                    if let Some(c) = open {
                        c.fulfil(at);
                    }
                    if !solved {
                        cycles.push(Cycle::starting(at));
                    }
                }
                Event::StatusChanged { at, to } => {
                    if to.is_solved() {
                        if let Some(c) = open {
                            c.fulfil(at);
                        }
                    } else if solved && replied {
                        cycles.push(Cycle::starting(at));
                    }
                    solved = to.is_solved();
                }
                _ => {}
            }
        }
        cycles
    }

    /// One accumulating cycle that runs while `runs(status)`; a solve fulfils it, a reopen clears that.
    fn status_clock(&self, runs: impl Fn(Status) -> bool) -> Vec<Cycle> {
        let mut cycle = Cycle::starting(self.created_at);
        let mut status = Status::New;
        for e in &self.events {
            let Event::StatusChanged { at, to } = *e else { continue };
            if to.is_solved() {
                // Solved → Closed keeps the original resolution instant.
                if !status.is_solved() {
                    cycle.fulfil(at);
                }
            } else {
                cycle.fulfilled_at = None;
                if runs(to) { cycle.resume(at) } else { cycle.stop(at) }
            }
            status = to;
        }
        vec![cycle]
    }
}

fn evaluate(target: &Target, cycles: &[Cycle], calendar: &Calendar, now: DateTime<Utc>, warn_before: i64) -> Clock {
    let minutes = target.minutes.max(0);
    let target_secs = minutes.saturating_mul(60);
    let Some((last, earlier)) = cycles.split_last() else {
        return Clock {
            metric: target.metric,
            active: false,
            target_at: None,
            remaining_minutes: minutes,
            paused: false,
            fulfilled_at: None,
            breached_at: None,
            warning_at: None,
            earlier_breaches: Vec::new(),
        };
    };
    let earlier_breaches = earlier.iter().filter_map(|c| breach(c, calendar, target_secs, now)).collect();
    let elapsed: i64 =
        last.segments.iter().map(|s| calendar.business_seconds_between(s.start, s.end.unwrap_or(now))).sum();
    let counting = last.fulfilled_at.is_none() && last.running();
    let (target_at, warning_at) = if counting {
        let warn_secs = minutes.saturating_sub(warn_before).max(0) * 60;
        (instant_at(&last.segments, calendar, target_secs), instant_at(&last.segments, calendar, warn_secs))
    } else {
        (None, None)
    };
    Clock {
        metric: target.metric,
        active: true,
        target_at,
        remaining_minutes: minutes - elapsed / 60,
        paused: last.fulfilled_at.is_none() && !last.running(),
        fulfilled_at: last.fulfilled_at,
        breached_at: breach(last, calendar, target_secs, now),
        warning_at,
        earlier_breaches,
    }
}

/// The instant the cycle's elapsed time reached the target, if strictly before its fulfilment (or `now`).
fn breach(cycle: &Cycle, calendar: &Calendar, target_secs: i64, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let deadline = cycle.fulfilled_at.unwrap_or(now);
    instant_at(&cycle.segments, calendar, target_secs).filter(|&at| at < deadline)
}

/// The instant at which `need` seconds of open time have elapsed over `segments`, the last of which may
/// run on indefinitely. None if closed segments never accumulate that much.
fn instant_at(segments: &[Segment], calendar: &Calendar, need: i64) -> Option<DateTime<Utc>> {
    // Zero is reached at the very start, even outside business hours: a zero target is due at once.
    if need <= 0 {
        return segments.first().map(|s| s.start);
    }
    let mut need = need;
    for s in segments {
        let Some(end) = s.end else { return Some(add_open_seconds(calendar, s.start, need)) };
        let available = calendar.business_seconds_between(s.start, end);
        if need <= available {
            return Some(add_open_seconds(calendar, s.start, need));
        }
        need -= available;
    }
    None
}

/// Like `Calendar::add_business_minutes`, but to the second: segments start at event instants, which need
/// not be on whole minutes, so the leftover seconds are placed explicitly.
fn add_open_seconds(calendar: &Calendar, from: DateTime<Utc>, secs: i64) -> DateTime<Utc> {
    let mut at = calendar.add_business_minutes(from, secs / 60);
    let mut rest = secs % 60;
    // Each round either finishes or crosses a closing, so a handful suffices; the bound only guards against
    // a calendar with pathological sub-second spans.
    for _ in 0..64 {
        if rest <= 0 {
            break;
        }
        let Some(open) = calendar.next_opening(at) else { break };
        let end = open + chrono::TimeDelta::seconds(rest);
        let got = calendar.business_seconds_between(open, end);
        at = end;
        rest -= got;
    }
    at
}

#[cfg(test)]
mod tests {
    use super::super::calendar::Interval;
    use super::*;
    use chrono::{TimeDelta, TimeZone, Weekday};
    use chrono_tz::Tz;
    use proptest::prelude::*;

    fn warsaw(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
        let tz: Tz = "Europe/Warsaw".parse().expect("known zone");
        tz.with_ymd_and_hms(y, mo, d, h, mi, 0).single().expect("unambiguous").with_timezone(&Utc)
    }

    fn office() -> Calendar {
        let days = [Weekday::Mon, Weekday::Tue, Weekday::Wed, Weekday::Thu, Weekday::Fri];
        let intervals =
            days.iter().map(|&weekday| Interval { weekday, start_minute: 9 * 60, end_minute: 17 * 60 }).collect();
        Calendar::new("Europe/Warsaw", intervals, []).expect("valid calendar")
    }

    fn target(metric: Metric, minutes: i64, hours: Hours) -> Target {
        Target { metric, minutes, hours }
    }

    fn one(t: Target, events: &[Event], now: DateTime<Utc>, warn: i64) -> Clock {
        clocks(&[t], events, &office(), now, warn).remove(0)
    }

    fn created(at: DateTime<Utc>) -> Event {
        Event::Created { at, by_agent: false }
    }
    fn agent(at: DateTime<Utc>) -> Event {
        Event::PublicComment { at, by_agent: true }
    }
    fn requester(at: DateTime<Utc>) -> Event {
        Event::PublicComment { at, by_agent: false }
    }
    fn status(at: DateTime<Utc>, to: Status) -> Event {
        Event::StatusChanged { at, to }
    }

    // 2024-03-08 is a Friday; 2024-03-11 the following Monday.

    #[test]
    fn first_reply_in_business_hours_falls_due_after_the_weekend_with_warning_before() {
        let events = [created(warsaw(2024, 3, 8, 18, 30))];
        let c = one(target(Metric::FirstReply, 60, Hours::Business), &events, warsaw(2024, 3, 9, 12, 0), 15);
        assert!(c.active && !c.paused);
        assert_eq!(c.target_at, Some(warsaw(2024, 3, 11, 10, 0)));
        assert_eq!(c.warning_at, Some(warsaw(2024, 3, 11, 9, 45)));
        assert_eq!(c.remaining_minutes, 60);
        assert_eq!(c.breached_at, None);
    }

    #[test]
    fn late_first_reply_is_breached_at_the_due_instant() {
        let events = [created(warsaw(2024, 3, 8, 18, 30)), agent(warsaw(2024, 3, 11, 10, 30))];
        let c = one(target(Metric::FirstReply, 60, Hours::Business), &events, warsaw(2024, 3, 11, 12, 0), 15);
        assert_eq!(c.fulfilled_at, Some(warsaw(2024, 3, 11, 10, 30)));
        assert_eq!(c.breached_at, Some(warsaw(2024, 3, 11, 10, 0)));
        assert_eq!(c.remaining_minutes, -30);
        assert_eq!((c.target_at, c.warning_at), (None, None));
    }

    #[test]
    fn unanswered_first_reply_past_due_reports_breach_as_target() {
        let events = [created(warsaw(2024, 3, 8, 18, 30))];
        let c = one(target(Metric::FirstReply, 60, Hours::Business), &events, warsaw(2024, 3, 11, 10, 20), 15);
        assert_eq!(c.breached_at, Some(warsaw(2024, 3, 11, 10, 0)));
        assert_eq!(c.target_at, c.breached_at);
        assert_eq!(c.remaining_minutes, -20);
    }

    #[test]
    fn reply_exactly_at_due_instant_meets_the_target() {
        let events = [created(warsaw(2024, 3, 8, 18, 30)), agent(warsaw(2024, 3, 11, 10, 0))];
        let c = one(target(Metric::FirstReply, 60, Hours::Business), &events, warsaw(2024, 3, 11, 12, 0), 0);
        assert_eq!(c.breached_at, None);
        assert_eq!(c.remaining_minutes, 0);
    }

    #[test]
    fn first_reply_in_calendar_hours_counts_the_weekend() {
        let events = [created(warsaw(2024, 3, 8, 18, 30))];
        let c = one(target(Metric::FirstReply, 60, Hours::Calendar), &events, warsaw(2024, 3, 8, 19, 0), 15);
        assert_eq!(c.target_at, Some(warsaw(2024, 3, 8, 19, 30)));
        assert_eq!(c.warning_at, Some(warsaw(2024, 3, 8, 19, 15)));
        assert_eq!(c.remaining_minutes, 30);
    }

    #[test]
    fn agent_created_ticket_is_fulfilled_by_the_first_agent_comment_after_creation() {
        let t0 = warsaw(2024, 3, 11, 9, 0);
        let events = [
            Event::Created { at: t0, by_agent: true },
            requester(t0 + TimeDelta::minutes(10)),
            agent(t0 + TimeDelta::minutes(40)),
            agent(t0 + TimeDelta::minutes(50)),
        ];
        let c = one(target(Metric::FirstReply, 60, Hours::Business), &events, t0 + TimeDelta::hours(2), 0);
        assert_eq!(c.fulfilled_at, Some(t0 + TimeDelta::minutes(40)));
        assert_eq!(c.remaining_minutes, 20);

        // The description alone does not fulfil it.
        let c = one(target(Metric::FirstReply, 60, Hours::Business), &events[..1], t0 + TimeDelta::minutes(5), 0);
        assert_eq!((c.fulfilled_at, c.remaining_minutes), (None, 55));
    }

    #[test]
    fn solve_before_any_reply_fulfils_first_reply() {
        let t0 = warsaw(2024, 3, 11, 9, 0);
        let events = [created(t0), status(t0 + TimeDelta::minutes(30), Status::Solved)];
        let c = one(target(Metric::FirstReply, 60, Hours::Business), &events, t0 + TimeDelta::hours(3), 0);
        assert_eq!(c.fulfilled_at, Some(t0 + TimeDelta::minutes(30)));
        assert_eq!((c.breached_at, c.remaining_minutes, c.target_at), (None, 30, None));
    }

    #[test]
    fn requester_wait_pauses_in_pending_and_resumes_after_reopen() {
        let t0 = warsaw(2024, 3, 11, 9, 0);
        let m = |n| t0 + TimeDelta::minutes(n);
        let events = [
            created(t0),
            status(m(10), Status::Open),
            status(m(30), Status::Pending), // 30 min counted
            status(m(150), Status::OnHold), // 2 h pending not counted
            status(m(170), Status::Solved), // 20 min on hold counted by requester wait only
            status(m(200), Status::Open),   // reopened
        ];
        let t = |metric| target(metric, 120, Hours::Business);
        let all = clocks(&[t(Metric::RequesterWaitTime), t(Metric::AgentWorkTime)], &events, &office(), m(180), 0);
        let (wait, work) = (&all[0], &all[1]);
        assert_eq!((wait.fulfilled_at, wait.remaining_minutes, wait.paused), (Some(m(170)), 70, false));
        assert_eq!((work.fulfilled_at, work.remaining_minutes), (Some(m(170)), 90));

        let all = clocks(&[t(Metric::RequesterWaitTime), t(Metric::AgentWorkTime)], &events, &office(), m(210), 5);
        let (wait, work) = (&all[0], &all[1]);
        assert_eq!((wait.fulfilled_at, wait.remaining_minutes), (None, 60));
        assert_eq!(wait.target_at, Some(m(270)));
        assert_eq!(wait.warning_at, Some(m(265)));
        assert_eq!((work.fulfilled_at, work.remaining_minutes, work.target_at), (None, 80, Some(m(290))));
    }

    #[test]
    fn paused_clock_has_no_target_and_stops_counting() {
        let t0 = warsaw(2024, 3, 11, 9, 0);
        let events = [created(t0), status(t0 + TimeDelta::minutes(20), Status::OnHold)];
        let t = |metric| target(metric, 60, Hours::Business);
        let all = clocks(
            &[t(Metric::AgentWorkTime), t(Metric::RequesterWaitTime)],
            &events,
            &office(),
            t0 + TimeDelta::hours(5),
            10,
        );
        assert!(all[0].paused && all[0].target_at.is_none() && all[0].warning_at.is_none());
        assert_eq!((all[0].remaining_minutes, all[0].breached_at), (40, None));
        assert!(!all[1].paused);
        assert_eq!(all[1].breached_at, Some(t0 + TimeDelta::hours(1)));
    }

    #[test]
    fn next_reply_keeps_breaches_of_earlier_cycles() {
        let t0 = warsaw(2024, 3, 11, 9, 0);
        let m = |n| t0 + TimeDelta::minutes(n);
        let events = [
            created(t0),
            requester(m(1)), // before the first reply: no next-reply cycle
            agent(m(10)),
            requester(m(20)), // cycle 1 starts
            requester(m(25)), // still the same unanswered cycle
            agent(m(90)),     // cycle 1 answered 10 min late
            requester(m(100)),
            agent(m(130)), // cycle 2 met
        ];
        let c = one(target(Metric::NextReply, 60, Hours::Business), &events, m(200), 0);
        assert_eq!(c.earlier_breaches, vec![m(80)]);
        assert_eq!((c.fulfilled_at, c.breached_at, c.remaining_minutes), (Some(m(130)), None, 30));
    }

    #[test]
    fn next_reply_does_not_start_without_a_requester_comment_after_the_first_reply() {
        let t0 = warsaw(2024, 3, 11, 9, 0);
        let events = [created(t0), requester(t0), agent(t0 + TimeDelta::minutes(5))];
        let c = one(target(Metric::NextReply, 60, Hours::Business), &events, t0 + TimeDelta::hours(1), 0);
        assert!(!c.active && !c.paused);
        assert_eq!((c.remaining_minutes, c.target_at, c.fulfilled_at), (60, None, None));
    }

    #[test]
    fn periodic_update_restarts_at_each_agent_comment_and_stops_at_solve() {
        let t0 = warsaw(2024, 3, 11, 9, 0);
        let m = |n| t0 + TimeDelta::minutes(n);
        let events = [
            created(t0),
            agent(m(10)),  // starts cycle 1
            agent(m(80)),  // cycle 1 breached at 40, cycle 2 starts
            agent(m(100)), // cycle 2 met, cycle 3 starts
        ];
        let t = target(Metric::PeriodicUpdate, 30, Hours::Business);
        let c = one(t, &events, m(110), 0);
        assert_eq!(c.earlier_breaches, vec![m(40)]);
        assert_eq!((c.target_at, c.remaining_minutes, c.fulfilled_at), (Some(m(130)), 20, None));

        let mut solved = events.to_vec();
        solved.push(status(m(120), Status::Solved));
        solved.push(agent(m(125))); // after the solve: starts nothing
        let c = one(t, &solved, m(300), 0);
        assert_eq!((c.fulfilled_at, c.breached_at, c.target_at), (Some(m(120)), None, None));
        assert_eq!(c.remaining_minutes, 10);
    }

    #[test]
    fn no_events_give_inactive_clocks() {
        let t = target(Metric::AgentWorkTime, 45, Hours::Calendar);
        let c = one(t, &[], warsaw(2024, 3, 11, 9, 0), 5);
        assert!(!c.active);
        assert_eq!(c.remaining_minutes, 45);
    }

    #[test]
    fn unsorted_events_are_sorted_first() {
        let t0 = warsaw(2024, 3, 11, 9, 0);
        let events = [agent(t0 + TimeDelta::minutes(30)), created(t0)];
        let c = one(target(Metric::FirstReply, 60, Hours::Business), &events, t0 + TimeDelta::hours(1), 0);
        assert_eq!(c.fulfilled_at, Some(t0 + TimeDelta::minutes(30)));
    }

    #[test]
    fn sub_minute_start_breaches_to_the_second_across_closing() {
        // Started 16:59:30 Friday; 1 minute target = 30 s on Friday + 30 s on Monday.
        let start = warsaw(2024, 3, 8, 16, 59) + TimeDelta::seconds(30);
        let c = one(target(Metric::FirstReply, 1, Hours::Business), &[created(start)], warsaw(2024, 3, 11, 12, 0), 0);
        assert_eq!(c.breached_at, Some(warsaw(2024, 3, 11, 9, 0) + TimeDelta::seconds(30)));
    }

    fn arb_event() -> impl Strategy<Value = (i64, u8, bool)> {
        (0i64..3000, 0u8..8, any::<bool>())
    }

    proptest! {
        #[test]
        fn clocks_are_internally_consistent(
            start in 0i64..20_000,
            by_agent in any::<bool>(),
            raw in proptest::collection::vec(arb_event(), 0..12),
            after in 0i64..5000,
            minutes in 0i64..600,
            warn in 0i64..120,
            business in any::<bool>(),
        ) {
            let base = warsaw(2024, 3, 4, 0, 0) + TimeDelta::minutes(start);
            let mut events = vec![Event::Created { at: base, by_agent }];
            let statuses = [Status::New, Status::Open, Status::Pending, Status::OnHold, Status::Solved, Status::Closed];
            for &(offset, kind, flag) in &raw {
                let at = base + TimeDelta::minutes(offset);
                events.push(match kind {
                    0..=5 => status(at, statuses[usize::from(kind)]),
                    _ => Event::PublicComment { at, by_agent: flag },
                });
            }
            let now = base + TimeDelta::minutes(after);
            let hours = if business { Hours::Business } else { Hours::Calendar };
            let metrics = [Metric::FirstReply, Metric::NextReply, Metric::PeriodicUpdate,
                Metric::RequesterWaitTime, Metric::AgentWorkTime];
            let targets: Vec<Target> = metrics.iter().map(|&m| target(m, minutes, hours)).collect();
            let cal = match hours { Hours::Business => office(), Hours::Calendar => Calendar::always() };
            for c in clocks(&targets, &events, &office(), now, warn) {
                if !c.active {
                    prop_assert_eq!(c.remaining_minutes, minutes);
                    continue;
                }
                prop_assert!(c.fulfilled_at.is_none_or(|f| base <= f && f <= now));
                prop_assert!(c.breached_at.is_none_or(|b| base <= b && b <= now));
                prop_assert!(c.earlier_breaches.iter().all(|&b| base <= b && b <= now));
                if let (Some(b), Some(f)) = (c.breached_at, c.fulfilled_at) {
                    prop_assert!(b < f);
                }
                if c.breached_at.is_some() { prop_assert!(c.remaining_minutes <= 0) }
                else { prop_assert!(c.remaining_minutes >= 0) }
                prop_assert!(!(c.paused && c.fulfilled_at.is_some()));
                prop_assert_eq!(c.target_at.is_some(), !c.paused && c.fulfilled_at.is_none());
                if let Some(target_at) = c.target_at {
                    let warning_at = c.warning_at.expect("warning accompanies target");
                    prop_assert!(warning_at <= target_at);
                    if c.breached_at.is_none() {
                        // Open time still ahead is exactly target minus elapsed.
                        let left = cal.business_seconds_between(now, target_at);
                        let elapsed_secs = minutes * 60 - left;
                        prop_assert_eq!(c.remaining_minutes + elapsed_secs / 60, minutes);
                    } else {
                        prop_assert_eq!(c.breached_at, Some(target_at));
                    }
                }
            }
        }
    }
}
