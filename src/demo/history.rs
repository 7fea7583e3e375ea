//! Six weeks of past tickets, imported the way a migration from another help desk arrives:
//! with their original times, replies and solves, so analytics has history to show (series,
//! scorecards, the backlog, the volume forecast) the minute the demo is loaded. The shape is a
//! support desk's: busy Monday mornings, quiet weekends, replies within minutes to hours.
use anyhow::Context;
use chrono::{DateTime, Datelike, TimeDelta, Utc};
use frontline_proto::ticketing::v1::{self as pb, AuthorRole, Channel, Priority, TicketStatus};

use super::{Client, progress};

const WEEKS: i64 = 6;

/// Who works each team's queue in the past, as in today's roster.
const AGENTS: &[(&str, &[&str])] = &[
    ("team-tier1", &["agent-ola", "agent-ivan", "agent-li"]),
    ("team-tier2", &["agent-sam", "lead-james"]),
    ("team-billing", &["agent-yossi", "lead-noa"]),
];

const SUBJECTS: &[&str] = &[
    "Nie mogę się zalogować",
    "Password reset link expired",
    "Faktura nie zgadza się z zamówieniem",
    "Не приходит письмо с подтверждением",
    "导出报表时出错",
    "החשבונית לא הגיעה",
    "Shipping address change",
    "API rate limit questions",
];

/// Tickets a day on each weekday, Monday first: weekly seasonality for the forecast to find.
const DAILY: [u64; 7] = [10, 9, 8, 8, 7, 3, 2];

/// A deterministic spread (the demo loads the same history every time).
fn spread(n: u64, salt: u64, modulo: u64) -> u64 {
    (n.wrapping_mul(2_654_435_761).wrapping_add(salt.wrapping_mul(40_503))) % modulo
}

fn at(t: DateTime<Utc>) -> Option<prost_types::Timestamp> {
    Some(prost_types::Timestamp { seconds: t.timestamp(), nanos: 0 })
}

fn records(now: DateTime<Utc>, requesters: &[String]) -> Vec<pb::ImportTicketRecord> {
    let today = now.date_naive();
    let mut records = Vec::new();
    let mut n: u64 = 0;
    for days_back in (1..=WEEKS * 7).rev() {
        let day = today - TimeDelta::days(days_back);
        let weekday = day.weekday().num_days_from_monday() as usize;
        for _ in 0..DAILY[weekday] {
            n += 1;
            // Office hours in Warsaw, more in the morning.
            let hour = 7 + (spread(n, 1, 6) + spread(n, 2, 5)) as u32;
            let created = day.and_hms_opt(hour, spread(n, 3, 60) as u32, 0).expect("a valid time").and_utc();
            let (team, agents) = AGENTS[spread(n, 4, AGENTS.len() as u64) as usize];
            let agent = agents[spread(n, 5, agents.len() as u64) as usize];
            let first_reply = created + TimeDelta::minutes(5 + spread(n, 6, 240) as i64);
            let mut solved = first_reply + TimeDelta::minutes(30 + spread(n, 7, 48 * 60) as i64);
            let mut comments = vec![pb::ImportedComment {
                author_id: agent.into(),
                author_role: AuthorRole::Agent as i32,
                public: true,
                body: "Thanks for reaching out — here is what we found.".into(),
                channel: Channel::Email as i32,
                created_at: at(first_reply),
                ..Default::default()
            }];
            // A third need a second exchange: the requester answers, the agent replies again.
            if n.is_multiple_of(3) {
                let answer = first_reply + TimeDelta::minutes(20 + spread(n, 8, 120) as i64);
                comments.push(pb::ImportedComment {
                    author_id: "requester".into(),
                    author_role: AuthorRole::Requester as i32,
                    public: true,
                    body: "It still does not work.".into(),
                    channel: Channel::Email as i32,
                    created_at: at(answer),
                    ..Default::default()
                });
                let fixed = answer + TimeDelta::minutes(15 + spread(n, 9, 90) as i64);
                comments.push(pb::ImportedComment {
                    author_id: agent.into(),
                    author_role: AuthorRole::Agent as i32,
                    public: true,
                    body: "Fixed on our side now.".into(),
                    channel: Channel::Email as i32,
                    created_at: at(fixed),
                    ..Default::default()
                });
                solved = solved.max(fixed + TimeDelta::minutes(5));
            }
            // Recent tickets are still being worked; older ones are solved, and closed after 4 days.
            let (status, solved_at, closed_at) = if solved > now {
                (TicketStatus::Open, None, None)
            } else if now - solved > TimeDelta::days(4) {
                (TicketStatus::Closed, at(solved), at(solved + TimeDelta::days(4)))
            } else {
                (TicketStatus::Solved, at(solved), None)
            };
            let updated = closed_at.or(solved_at).or(at(first_reply));
            let channels = [Channel::Email, Channel::Chat, Channel::Phone, Channel::Web, Channel::Social];
            let priorities = [Priority::Normal, Priority::Normal, Priority::Low, Priority::High, Priority::Urgent];
            let ticket = pb::Ticket {
                subject: SUBJECTS[spread(n, 10, SUBJECTS.len() as u64) as usize].into(),
                description: "Imported from the previous help desk.".into(),
                requester_id: requesters[spread(n, 11, requesters.len() as u64) as usize].clone(),
                channel: channels[spread(n, 12, channels.len() as u64) as usize] as i32,
                priority: priorities[spread(n, 13, priorities.len() as u64) as usize] as i32,
                team_id: team.into(),
                assignee_id: agent.into(),
                status: status as i32,
                external_id: format!("demo-history-{n}"),
                tags: vec!["imported".into()],
                created_at: at(created),
                updated_at: updated,
                solved_at,
                closed_at,
                ..Default::default()
            };
            records.push(pb::ImportTicketRecord { ticket: Some(ticket), comments });
        }
    }
    records
}

/// Imports the history (records already imported by an earlier run are left as they are);
/// returns how many tickets the history holds.
pub async fn load(ticketing: &mut Client, requesters: &[String]) -> anyhow::Result<usize> {
    let records = records(Utc::now(), requesters);
    let total = records.len();
    let mut imported = 0;
    // In chunks, so progress shows and one stream stays small.
    for chunk in records.chunks(100) {
        let response = ticketing
            .import_tickets(futures::stream::iter(chunk.to_vec()))
            .await
            .context("importing the demo's past tickets")?
            .into_inner();
        for result in &response.results {
            if !result.error.is_empty() && !result.error.contains("already imported") {
                anyhow::bail!("importing past ticket {}: {}", result.external_id, result.error);
            }
        }
        imported += chunk.len();
        progress("past tickets", imported, total);
    }
    eprintln!();
    Ok(total)
}
