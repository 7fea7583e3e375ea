//! Workforce scenarios: who is on shift with a skill (routing asks on every ticket), and a
//! week's staffing plan per queue. Seeded with `people` agents in 20 teams, a published week of
//! shifts each (09:00–17:00 with a lunch), imported the way a WFM tool would.
use std::time::Duration;

use frontline::demo::Bearer;
use frontline_proto::workforce::v1::{self as wf, workforce_service_client::WorkforceServiceClient};
use frontline_shared::auth::Role;
use prost_types::Timestamp;

use crate::{Suite, load};

const TEAMS: usize = 20;
const LANGUAGES: [&str; 7] = ["pl", "en", "de", "ru", "zh", "he", "es"];
/// Monday 2026-06-01 00:00 UTC: the seeded week.
const WEEK: i64 = 1_780_272_000;

type Client =
    WorkforceServiceClient<tonic::service::interceptor::InterceptedService<tonic::transport::Channel, Bearer>>;

fn client(suite: &Suite, role: Role) -> Client {
    let bearer = Bearer::from_header(&suite.bearer(role, "bench", None)).expect("ASCII token");
    WorkforceServiceClient::with_interceptor(suite.channel.clone(), bearer)
}

fn timestamp(seconds: i64) -> Timestamp {
    Timestamp { seconds, nanos: 0 }
}

fn rfc3339(seconds: i64) -> String {
    chrono::DateTime::<chrono::Utc>::from_timestamp(seconds, 0).unwrap_or_default().to_rfc3339()
}

pub async fn run(
    suite: &Suite,
    people: usize,
    concurrency: usize,
    duration: Duration,
) -> anyhow::Result<Vec<load::Measurement>> {
    let mut results = Vec::new();

    let on_shift = client(suite, Role::Service);
    results.push(
        load::run(&format!("find on shift with skill ({people} people)"), concurrency, duration, move |worker, n| {
            let mut on_shift = on_shift.clone();
            // Spread the instants over the working week, the skills over the languages.
            let step = (worker as i64 * 7919 + n as i64 * 104_729) % (5 * 8 * 3600);
            let at = WEEK + (step / (8 * 3600)) * 86_400 + 7 * 3600 + step % (8 * 3600);
            let skill = LANGUAGES[(worker + n as usize) % LANGUAGES.len()].to_string();
            async move {
                on_shift
                    .find_on_shift(wf::FindOnShiftRequest { at: Some(timestamp(at)), skill, ..Default::default() })
                    .await?;
                Ok(())
            }
        })
        .await,
    );

    let planner = client(suite, Role::Manager);
    let forecast: Vec<wf::IntervalForecast> = (0..7 * 48)
        .map(|interval| {
            let hour = (interval % 48) / 2;
            let volume = if (7..19).contains(&hour) { 40.0 + 20.0 * ((hour as f64 - 13.0) / 6.0).cos() } else { 4.0 };
            wf::IntervalForecast {
                starts_at: Some(timestamp(WEEK + interval * 1800)),
                volume,
                average_handle_seconds: 240.0,
            }
        })
        .collect();
    results.push(
        load::run("staffing plan: a week, 30-min (1 of 20 queues)", concurrency, duration, move |worker, n| {
            let mut planner = planner.clone();
            let team_id = format!("bench-team-{:02}", (worker + n as usize) % TEAMS);
            let forecast = forecast.clone();
            async move {
                planner
                    .plan_staffing(wf::PlanStaffingRequest {
                        team_id,
                        from: Some(timestamp(WEEK)),
                        to: Some(timestamp(WEEK + 7 * 86_400)),
                        interval_seconds: 1800,
                        goal: Some(wf::ServiceGoal {
                            service_level: 0.8,
                            target_answer_seconds: 20.0,
                            max_occupancy: 0.85,
                            shrinkage: 0.3,
                            average_patience_seconds: 0.0,
                        }),
                        forecast,
                        budget: None,
                        ..Default::default()
                    })
                    .await?;
                Ok(())
            }
        })
        .await,
    );
    Ok(results)
}

/// 20 teams of `people / 20`, each person speaking two languages, and a published week.
pub async fn seed(suite: &Suite, people: usize) -> anyhow::Result<()> {
    use futures::StreamExt;
    let mut admin = client(suite, Role::Administrator);
    let per_team = people.div_ceil(TEAMS);
    for team in 0..TEAMS {
        let id = format!("bench-team-{team:02}");
        let team_row = wf::Team {
            id: id.clone(),
            name: format!("Bench queue {team:02}"),
            time_zone: "UTC".into(),
            ..Default::default()
        };
        admin.create_team(wf::CreateTeamRequest { team: Some(team_row) }).await?;
        let members: Vec<usize> = (team * per_team..((team + 1) * per_team).min(people)).collect();
        let created: Vec<Result<_, tonic::Status>> = futures::stream::iter(members.iter().copied())
            .map(|n| {
                let mut admin = admin.clone();
                let team_id = id.clone();
                async move {
                    let skills =
                        [LANGUAGES[n % LANGUAGES.len()], LANGUAGES[(n / LANGUAGES.len() + 1) % LANGUAGES.len()]]
                            .iter()
                            .enumerate()
                            .map(|(rank, name)| wf::Skill {
                                name: name.to_string(),
                                kind: wf::SkillKind::Language as i32,
                                proficiency: 5 - rank as i32,
                            })
                            .collect();
                    let person = wf::Person {
                        id: format!("bench-{n:05}"),
                        name: format!("Agent {n:05}"),
                        team_id,
                        skills,
                        hourly_cost: Some(frontline_proto::common::v1::Money {
                            currency_code: "EUR".into(),
                            minor_units: 2500,
                        }),
                        ..Default::default()
                    };
                    admin.create_person(wf::CreatePersonRequest { person: Some(person) }).await
                }
            })
            .buffer_unordered(16)
            .collect()
            .await;
        for result in created {
            result?;
        }
        // The week's shifts, the way a WFM tool delivers them: one CSV per team.
        let mut csv = String::from("person_id,kind,starts_at,ends_at\n");
        for n in &members {
            for day in 0..5 {
                let morning = WEEK + day * 86_400 + 7 * 3600;
                csv.push_str(&format!("bench-{n:05},work,{},{}\n", rfc3339(morning), rfc3339(morning + 8 * 3600)));
                let lunch = morning + 4 * 3600 + ((*n as i64 % 4) * 900);
                csv.push_str(&format!("bench-{n:05},lunch,{},{}\n", rfc3339(lunch), rfc3339(lunch + 1800)));
            }
        }
        let report = admin.import_shifts(wf::ImportShiftsRequest { csv, publish: true }).await?.into_inner();
        anyhow::ensure!(report.errors.is_empty(), "seeding shifts failed: {:?}", report.errors.first());
        eprint!("\rseeding: {}/{TEAMS} teams, {} people", team + 1, members.last().map_or(0, |n| n + 1));
    }
    eprintln!();
    Ok(())
}
