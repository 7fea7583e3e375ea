//! Hand-built histories with known answers, in calendar time and in Warsaw office hours.
use chrono::{TimeZone, Weekday};
use frontline_shared::calendar::Interval;

use super::*;

/// Monday to Friday, 09:00–17:00 in Warsaw.
fn office() -> Calendar {
    let days = [Weekday::Mon, Weekday::Tue, Weekday::Wed, Weekday::Thu, Weekday::Fri];
    let intervals = days.into_iter().map(|weekday| Interval { weekday, start_minute: 540, end_minute: 1020 }).collect();
    Calendar::new("Europe/Warsaw", intervals, []).unwrap()
}

/// November 2026 in UTC (Warsaw is UTC+1 then).
fn utc(day: u32, hour: u32, minute: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, day, hour, minute, 0).unwrap()
}

fn created(at: DateTime<Utc>) -> HistoryEvent {
    HistoryEvent::Created { at, by_agent: false, status: Status::New, assignee_id: String::new() }
}

fn status(at: DateTime<Utc>, to: Status, assignee: &str) -> HistoryEvent {
    HistoryEvent::StatusChanged { at, to, assignee_id: assignee.into() }
}

fn agent(at: DateTime<Utc>, who: &str) -> HistoryEvent {
    HistoryEvent::PublicComment { at, by_agent: true, author_id: who.into() }
}

fn requester(at: DateTime<Utc>) -> HistoryEvent {
    HistoryEvent::PublicComment { at, by_agent: false, author_id: "c-1".into() }
}

const HOUR: i64 = 3600;

#[test]
fn a_friday_evening_ticket_answered_on_monday_waited_one_business_hour() {
    // Friday 16:30 in Warsaw; first reply Monday 09:30.
    let history = [created(utc(20, 15, 30)), agent(utc(23, 8, 30), "agent-ola")];
    let metrics = ticket_metrics(&history, &office(), utc(23, 12, 0)).unwrap();
    let first = metrics.first_reply.unwrap();
    assert_eq!(first.calendar_seconds, 65 * HOUR);
    assert_eq!(first.business_seconds, HOUR, "30 minutes on Friday, 30 on Monday");
    assert_eq!(metrics.first_reply_at, Some(utc(23, 8, 30)));
    assert_eq!(metrics.agent_replies, 1);
}

#[test]
fn an_agent_created_tickets_first_reply_is_its_next_public_agent_comment() {
    let history = [
        HistoryEvent::Created {
            at: utc(23, 9, 0),
            by_agent: true,
            status: Status::Open,
            assignee_id: "agent-ola".into(),
        },
        agent(utc(23, 10, 0), "agent-ola"),
    ];
    let metrics = ticket_metrics(&history, &Calendar::always(), utc(23, 11, 0)).unwrap();
    assert_eq!(metrics.first_reply.unwrap().calendar_seconds, HOUR);
    assert_eq!(metrics.agent_replies, 1, "the description is not a reply");
}

#[test]
fn waiting_is_split_by_whose_turn_it_is() {
    let history = [
        created(utc(23, 8, 0)),
        status(utc(23, 9, 0), Status::Open, "agent-ola"),
        agent(utc(23, 9, 30), "agent-ola"),
        status(utc(23, 9, 30), Status::Pending, "agent-ola"),
        requester(utc(23, 11, 30)),
        status(utc(23, 11, 30), Status::Open, "agent-ola"),
        status(utc(23, 12, 0), Status::OnHold, "agent-ola"),
        status(utc(23, 13, 0), Status::Solved, "agent-ola"),
    ];
    let metrics = ticket_metrics(&history, &Calendar::always(), utc(23, 18, 0)).unwrap();
    // new 1h + open 0.5h + open 0.5h + on-hold 1h
    assert_eq!(metrics.requester_wait.calendar_seconds, 3 * HOUR);
    assert_eq!(metrics.agent_wait.calendar_seconds, 2 * HOUR);
    assert_eq!(metrics.on_hold.calendar_seconds, HOUR);
    assert_eq!(metrics.full_resolution.unwrap().calendar_seconds, 5 * HOUR);
    assert!(metrics.solved && metrics.one_touch);
    assert_eq!(metrics.next_replies.len(), 0, "the requester's answer is still waiting for a reply");
    assert_eq!(metrics.handled_by.iter().collect::<Vec<_>>(), ["agent-ola"]);
}

#[test]
fn a_reopened_ticket_resolves_at_its_latest_solve() {
    let history = [
        created(utc(23, 8, 0)),
        agent(utc(23, 8, 30), "agent-ola"),
        status(utc(23, 9, 0), Status::Solved, "agent-ola"),
        requester(utc(23, 10, 0)),
        status(utc(23, 10, 0), Status::Open, "agent-ola"),
        agent(utc(23, 10, 45), "agent-tom"),
        status(utc(23, 11, 0), Status::Solved, "agent-tom"),
    ];
    let metrics = ticket_metrics(&history, &Calendar::always(), utc(23, 12, 0)).unwrap();
    assert_eq!(metrics.reopens, 1);
    assert_eq!(metrics.solved_at, Some(utc(23, 11, 0)));
    assert_eq!(metrics.full_resolution.unwrap().calendar_seconds, 3 * HOUR);
    assert!(!metrics.one_touch, "two agent replies");
    assert_eq!(metrics.next_replies, [Durations { calendar_seconds: 45 * 60, business_seconds: 45 * 60 }]);
    assert_eq!(metrics.requester_wait.calendar_seconds, 2 * HOUR, "08–09 and 10–11; solved time counts to nothing");
    assert_eq!(metrics.handled_by.len(), 2);

    let reopened = ticket_metrics(&history[..5], &Calendar::always(), utc(23, 10, 30)).unwrap();
    assert!(!reopened.solved);
    assert_eq!((reopened.solved_at, reopened.full_resolution), (None, None));
    assert!(in_backlog(&history, utc(23, 10, 30)) && !in_backlog(&history, utc(23, 9, 30)));
    assert!(!in_backlog(&history, utc(23, 7, 0)), "not created yet");
}

#[test]
fn the_oldest_unanswered_requester_comment_starts_the_next_reply_clock() {
    let history = [
        created(utc(23, 8, 0)),
        agent(utc(23, 8, 10), "agent-ola"),
        requester(utc(23, 9, 0)),
        requester(utc(23, 9, 20)),
        agent(utc(23, 10, 0), "agent-ola"),
        requester(utc(23, 11, 0)),
        agent(utc(23, 11, 15), "agent-ola"),
    ];
    let metrics = ticket_metrics(&history, &Calendar::always(), utc(23, 12, 0)).unwrap();
    let next: Vec<i64> = metrics.next_replies.iter().map(|d| d.calendar_seconds).collect();
    assert_eq!(next, [HOUR, 15 * 60]);
    assert_eq!(metrics.requester_replies, 3);
}

#[test]
fn replays_and_disorder_change_nothing() {
    let clean = [
        created(utc(23, 8, 0)),
        agent(utc(23, 9, 0), "agent-ola"),
        status(utc(23, 9, 0), Status::Solved, "agent-ola"),
        HistoryEvent::Rated { at: utc(23, 10, 0), good: false },
        HistoryEvent::Rated { at: utc(23, 11, 0), good: true },
        HistoryEvent::Escalated { at: utc(23, 8, 30) },
        HistoryEvent::SlaBreached { at: utc(23, 8, 45), metric: "first_reply".into() },
    ];
    let mut messy = clean.to_vec();
    messy.reverse();
    messy.extend(clean.iter().cloned());
    let now = utc(23, 12, 0);
    let expected = ticket_metrics(&clean, &office(), now).unwrap();
    assert_eq!(ticket_metrics(&messy, &office(), now).unwrap(), expected);
    assert_eq!(expected.csat, Some(true), "the later rating replaces the earlier");
    assert!(expected.escalated);
    assert_eq!(expected.sla_breached.iter().collect::<Vec<_>>(), ["first_reply"]);
}

#[test]
fn without_a_creation_there_are_no_metrics() {
    assert!(ticket_metrics(&[agent(utc(23, 9, 0), "a")], &Calendar::always(), utc(23, 10, 0)).is_none());
}

mod properties {
    use proptest::prelude::*;

    use super::*;

    fn arbitrary_history() -> impl Strategy<Value = Vec<HistoryEvent>> {
        let step = (0u8..6, 1i64..600).prop_map(|(kind, minutes)| (kind, minutes));
        proptest::collection::vec(step, 0..30).prop_map(|steps| {
            let mut at = utc(23, 8, 0);
            let mut history = vec![created(at)];
            for (kind, minutes) in steps {
                at += chrono::TimeDelta::minutes(minutes);
                history.push(match kind {
                    0 => status(at, Status::Open, "a"),
                    1 => status(at, Status::Pending, "a"),
                    2 => status(at, Status::OnHold, "a"),
                    3 => status(at, Status::Solved, "a"),
                    4 => agent(at, "a"),
                    _ => requester(at),
                });
            }
            history
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

        /// Every second between creation and now is spent either waiting on someone or solved.
        #[test]
        fn waiting_and_solved_time_add_up_to_the_tickets_age(history in arbitrary_history()) {
            let now = history.last().unwrap().at() + chrono::TimeDelta::hours(1);
            let metrics = ticket_metrics(&history, &Calendar::always(), now).unwrap();
            let age = (now - metrics.created_at).num_seconds();
            let waiting = metrics.requester_wait.calendar_seconds + metrics.agent_wait.calendar_seconds;
            // Time spent solved, walked independently of the implementation.
            let (mut solved_seconds, mut solved_since) = (0, None);
            for event in &history {
                if let HistoryEvent::StatusChanged { at, to, .. } = event {
                    match (to.is_solved(), solved_since) {
                        (true, None) => solved_since = Some(*at),
                        (false, Some(since)) => {
                            solved_seconds += (*at - since).num_seconds();
                            solved_since = None;
                        }
                        _ => {}
                    }
                }
            }
            if let Some(since) = solved_since {
                solved_seconds += (now - since).num_seconds();
            }
            prop_assert_eq!(waiting + solved_seconds, age);
            prop_assert!(metrics.on_hold.calendar_seconds <= metrics.requester_wait.calendar_seconds);
            let business = ticket_metrics(&history, &office(), now).unwrap();
            prop_assert!(business.requester_wait.business_seconds <= business.requester_wait.calendar_seconds);
            let mut shuffled = history.clone();
            shuffled.reverse();
            prop_assert_eq!(ticket_metrics(&shuffled, &office(), now).unwrap(), business);
        }
    }
}
