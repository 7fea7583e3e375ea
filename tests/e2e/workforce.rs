//! Workforce: people and teams, rosters across daylight saving, on-shift lookups, time off,
//! iCalendar export, CSV import and staffing.
use frontline_proto::{
    common::v1::Money,
    workforce::v1::{self as pb, ShiftKind, ShiftState, workforce_service_client::WorkforceServiceClient},
};
use frontline_shared::auth::Role;
use prost_types::{FieldMask, Timestamp};
use tonic::Code;

use crate::{
    on_both_backends,
    support::{Authed, Bearer, TestApp, error_reason, expect_error, violated_fields},
};

pub type Workforce = WorkforceServiceClient<Authed>;

pub async fn client(app: &TestApp, role: Role, subject: &str, team: Option<&str>) -> Workforce {
    WorkforceServiceClient::new(app.authed(Bearer::token(&app.token_for(role, subject, team))).await)
}

pub(crate) fn at(rfc3339: &str) -> Timestamp {
    let t = chrono::DateTime::parse_from_rfc3339(rfc3339).unwrap();
    Timestamp { seconds: t.timestamp(), nanos: 0 }
}

/// A Warsaw support team: its lead, two agents (Polish and English), with hourly costs.
pub async fn warsaw_team(admin: &mut Workforce) {
    admin
        .create_department(pb::CreateDepartmentRequest {
            department: Some(pb::Department {
                id: "support".into(),
                name: "Customer Support".into(),
                ..Default::default()
            }),
        })
        .await
        .unwrap();
    admin
        .create_team(pb::CreateTeamRequest {
            team: Some(pb::Team {
                id: "tier1".into(),
                name: "Tier 1".into(),
                department_id: "support".into(),
                time_zone: "Europe/Warsaw".into(),
                max_concurrent_time_off: 1,
                ..Default::default()
            }),
        })
        .await
        .unwrap();
    for (id, name, role, skills) in [
        ("lead-ewa", "Ewa Nowak", pb::PersonRole::TeamLead, vec![("pl", 5)]),
        ("agent-ola", "Ola Kamińska", pb::PersonRole::Agent, vec![("pl", 5), ("en", 3)]),
        ("agent-tom", "Tom Baker", pb::PersonRole::Agent, vec![("en", 5), ("pl", 2)]),
    ] {
        admin
            .create_person(pb::CreatePersonRequest {
                person: Some(pb::Person {
                    id: id.into(),
                    name: name.into(),
                    role: role as i32,
                    team_id: "tier1".into(),
                    manager_id: if id == "lead-ewa" { String::new() } else { "lead-ewa".into() },
                    time_zone: "Europe/Warsaw".into(),
                    hourly_cost: Some(Money { currency_code: "PLN".into(), minor_units: 6000 }),
                    skills: skills
                        .into_iter()
                        .map(|(name, proficiency)| pb::Skill {
                            name: name.into(),
                            kind: pb::SkillKind::Language as i32,
                            proficiency,
                        })
                        .collect(),
                    ..Default::default()
                }),
            })
            .await
            .unwrap();
    }
}

pub(crate) fn shift(person: &str, kind: ShiftKind, from: &str, to: &str) -> pb::CreateShiftRequest {
    pb::CreateShiftRequest {
        shift: Some(pb::Shift {
            person_id: person.into(),
            kind: kind as i32,
            starts_at: Some(at(from)),
            ends_at: Some(at(to)),
            state: ShiftState::Published as i32,
            ..Default::default()
        }),
    }
}

on_both_backends! {
    async fn people_teams_and_the_career_path_from_agent_up(app) {
        let mut admin = client(&app, Role::Administrator, "admin", None).await;
        warsaw_team(&mut admin).await;
        let promoted = admin.update_person(pb::UpdatePersonRequest {
            person: Some(pb::Person { id: "agent-ola".into(), role: pb::PersonRole::SeniorAgent as i32, ..Default::default() }),
            update_mask: Some(FieldMask { paths: vec!["role".into()] }),
        }).await.unwrap().into_inner();
        assert_eq!(promoted.role, pb::PersonRole::SeniorAgent as i32);
        let career = admin.list_career_events(pb::ListCareerEventsRequest { person_id: "agent-ola".into() }).await.unwrap().into_inner().events;
        let steps: Vec<(i32, i32)> = career.iter().map(|e| (e.from_role, e.to_role)).collect();
        assert_eq!(steps, [(0, pb::PersonRole::Agent as i32), (pb::PersonRole::Agent as i32, pb::PersonRole::SeniorAgent as i32)]);

        let polish = admin.list_people(pb::ListPeopleRequest { filter: r#"skill:"pl" AND team_id = "tier1""#.into(), ..Default::default() }).await.unwrap().into_inner();
        assert_eq!(polish.people.len(), 3);
        let mut colleague = client(&app, Role::Agent, "agent-tom", Some("tier1")).await;
        let seen = colleague.get_person(pb::GetPersonRequest { id: "agent-ola".into() }).await.unwrap().into_inner();
        assert!(seen.hourly_cost.is_none(), "a colleague's pay is not an agent's business");
        let own = colleague.get_person(pb::GetPersonRequest { id: "agent-tom".into() }).await.unwrap().into_inner();
        assert_eq!(own.hourly_cost.unwrap().minor_units, 6000);

        let bad = expect_error(admin.create_person(pb::CreatePersonRequest { person: Some(pb::Person { id: "x".into(), name: "X".into(), time_zone: "Europe/Atlantis".into(), team_id: "nope".into(), ..Default::default() }) }).await);
        assert_eq!(violated_fields(&bad), ["person.time_zone"]);
        let no_team = expect_error(admin.create_person(pb::CreatePersonRequest { person: Some(pb::Person { id: "x".into(), name: "X".into(), team_id: "nope".into(), ..Default::default() }) }).await);
        assert_eq!(violated_fields(&no_team), ["person.team_id"]);
        let looping = expect_error(admin.update_person(pb::UpdatePersonRequest {
            person: Some(pb::Person { id: "lead-ewa".into(), manager_id: "agent-ola".into(), ..Default::default() }),
            update_mask: Some(FieldMask { paths: vec!["manager_id".into()] }),
        }).await);
        assert_eq!(violated_fields(&looping), ["person.manager_id"]);
        let denied = expect_error(colleague.create_person(pb::CreatePersonRequest { person: Some(pb::Person { id: "y".into(), name: "Y".into(), ..Default::default() }) }).await);
        assert_eq!(denied.code(), Code::PermissionDenied);
    }
}

on_both_backends! {
    async fn shifts_never_overlap_and_show_in_the_persons_time_zone(app) {
        let mut admin = client(&app, Role::Administrator, "admin", None).await;
        warsaw_team(&mut admin).await;
        let mut lead = client(&app, Role::TeamLead, "lead-ewa", Some("tier1")).await;
        let work = lead.create_shift(shift("agent-ola", ShiftKind::Work, "2026-06-01T07:00:00Z", "2026-06-01T15:00:00Z")).await.unwrap().into_inner();
        assert_eq!(work.local_starts_at, "2026-06-01T09:00:00+02:00");
        assert_eq!(work.time_zone, "Europe/Warsaw");
        let overlap = expect_error(lead.create_shift(shift("agent-ola", ShiftKind::Work, "2026-06-01T14:00:00Z", "2026-06-01T18:00:00Z")).await);
        assert_eq!((overlap.code(), error_reason(&overlap).as_str()), (Code::FailedPrecondition, "SHIFT_OVERLAP"));
        assert!(overlap.message().contains(&work.id), "names the shift in the way: {}", overlap.message());
        lead.create_shift(shift("agent-ola", ShiftKind::Lunch, "2026-06-01T11:00:00Z", "2026-06-01T11:30:00Z")).await.unwrap();
        let outside = expect_error(lead.create_shift(shift("agent-ola", ShiftKind::Break, "2026-06-01T15:00:00Z", "2026-06-01T15:15:00Z")).await);
        assert_eq!(error_reason(&outside), "ACTIVITY_OUTSIDE_SHIFT");
        let backwards = expect_error(lead.create_shift(shift("agent-ola", ShiftKind::Work, "2026-06-02T15:00:00Z", "2026-06-02T07:00:00Z")).await);
        assert_eq!(violated_fields(&backwards), ["shift.ends_at"]);
        let with_lunch = expect_error(lead.delete_shift(pb::DeleteShiftRequest { id: work.id.clone() }).await);
        assert_eq!(error_reason(&with_lunch), "SHIFT_HAS_ACTIVITIES");

        let mut agent = client(&app, Role::Agent, "agent-tom", Some("tier1")).await;
        let denied = expect_error(agent.create_shift(shift("agent-tom", ShiftKind::Work, "2026-06-03T07:00:00Z", "2026-06-03T15:00:00Z")).await);
        assert_eq!(denied.code(), Code::PermissionDenied);
        let mut other_lead = client(&app, Role::TeamLead, "lead-x", Some("tier2")).await;
        let other_team = expect_error(other_lead.create_shift(shift("agent-tom", ShiftKind::Work, "2026-06-03T07:00:00Z", "2026-06-03T15:00:00Z")).await);
        assert_eq!(other_team.code(), Code::PermissionDenied);
    }
}

on_both_backends! {
    /// Copying a week across the spring change keeps 09:00 at 09:00 in Warsaw and New York.
    async fn copying_a_week_keeps_wall_clock_times_across_daylight_saving(app) {
        let mut admin = client(&app, Role::Administrator, "admin", None).await;
        warsaw_team(&mut admin).await;
        admin.create_person(pb::CreatePersonRequest { person: Some(pb::Person { id: "agent-nyc".into(), name: "Maya Cohen".into(), team_id: "tier1".into(), time_zone: "America/New_York".into(), ..Default::default() }) }).await.unwrap();
        // Monday 2026-03-23 09:00 in Warsaw (CET) and Monday 2026-03-02 09:00 in New York (EST).
        admin.create_shift(shift("agent-ola", ShiftKind::Work, "2026-03-23T08:00:00Z", "2026-03-23T16:00:00Z")).await.unwrap();
        admin.create_shift(shift("agent-nyc", ShiftKind::Work, "2026-03-24T14:00:00Z", "2026-03-24T22:00:00Z")).await.unwrap();
        let copied = admin.copy_shifts(pb::CopyShiftsRequest { team_id: "tier1".into(), from_week_start: Some(at("2026-03-22T23:00:00Z")), to_week_start: Some(at("2026-03-29T22:00:00Z")) })
            .await.unwrap().into_inner();
        let mut local: Vec<(String, String)> = copied.created.iter().map(|s| (s.person_id.clone(), s.local_starts_at.clone())).collect();
        local.sort();
        assert_eq!(local, [
            ("agent-nyc".to_string(), "2026-03-31T10:00:00-04:00".to_string()),
            ("agent-ola".to_string(), "2026-03-30T09:00:00+02:00".to_string()),
        ]);
        assert!(copied.created.iter().all(|s| s.state == ShiftState::Draft as i32), "copies are drafts until published");
        let again = admin.copy_shifts(pb::CopyShiftsRequest { team_id: "tier1".into(), from_week_start: Some(at("2026-03-22T23:00:00Z")), to_week_start: Some(at("2026-03-29T22:00:00Z")) })
            .await.unwrap().into_inner();
        assert!(again.created.is_empty() && again.skipped_shift_ids.len() == 2, "a second copy overlaps and is skipped");
        let bad = expect_error(admin.copy_shifts(pb::CopyShiftsRequest { team_id: "tier1".into(), from_week_start: Some(at("2026-03-22T23:00:00Z")), to_week_start: Some(at("2026-03-24T22:00:00Z")) }).await);
        assert_eq!(violated_fields(&bad), ["to_week_start"]);
    }
}

on_both_backends! {
    async fn rosters_come_as_a_list_and_as_a_stream_published_only_unless_asked(app) {
        let mut admin = client(&app, Role::Administrator, "admin", None).await;
        warsaw_team(&mut admin).await;
        admin.create_shift(shift("agent-ola", ShiftKind::Work, "2026-06-01T07:00:00Z", "2026-06-01T15:00:00Z")).await.unwrap();
        admin.create_shift(shift("agent-tom", ShiftKind::Work, "2026-06-02T22:00:00Z", "2026-06-03T06:00:00Z")).await.unwrap();
        let mut draft = shift("agent-tom", ShiftKind::Work, "2026-06-04T07:00:00Z", "2026-06-04T15:00:00Z");
        draft.shift.as_mut().unwrap().state = ShiftState::Draft as i32;
        admin.create_shift(draft).await.unwrap();
        let request = pb::RosterRequest { team_id: "tier1".into(), from: Some(at("2026-06-01T00:00:00Z")), to: Some(at("2026-06-08T00:00:00Z")), ..Default::default() };
        let mut scheduler = client(&app, Role::Scheduler, "wfm-tool", None).await;
        let listed = scheduler.list_roster(request.clone()).await.unwrap().into_inner().shifts;
        assert_eq!(listed.len(), 2, "published only");
        let mut stream = scheduler.stream_roster(request.clone()).await.unwrap().into_inner();
        let mut streamed = Vec::new();
        while let Some(shift) = stream.message().await.unwrap() {
            streamed.push(shift.id);
        }
        assert_eq!(streamed, listed.iter().map(|s| s.id.clone()).collect::<Vec<_>>(), "the overnight shift comes once");
        let planning = admin.list_roster(pb::RosterRequest { include_drafts: true, ..request.clone() }).await.unwrap().into_inner().shifts;
        assert_eq!(planning.len(), 3);
        let too_long = expect_error(scheduler.list_roster(pb::RosterRequest { to: Some(at("2026-12-01T00:00:00Z")), ..request }).await);
        assert_eq!(violated_fields(&too_long), ["to"]);
        let mut crm = client(&app, Role::CrmSync, "crm", None).await;
        let denied = expect_error(crm.list_roster(pb::RosterRequest::default()).await);
        assert_eq!(denied.code(), Code::PermissionDenied);
    }
}

on_both_backends! {
    /// Routing asks who can take a Polish ticket now: not the one at lunch, not the one away.
    async fn on_shift_with_skill_leaves_out_breaks_time_off_and_the_unskilled(app) {
        let mut admin = client(&app, Role::Administrator, "admin", None).await;
        warsaw_team(&mut admin).await;
        for person in ["lead-ewa", "agent-ola", "agent-tom"] {
            admin.create_shift(shift(person, ShiftKind::Work, "2026-06-01T07:00:00Z", "2026-06-01T15:00:00Z")).await.unwrap();
        }
        admin.create_shift(shift("lead-ewa", ShiftKind::Lunch, "2026-06-01T10:00:00Z", "2026-06-01T11:00:00Z")).await.unwrap();
        let mut routing = client(&app, Role::Service, "ticketing", None).await;
        let ask = |at_time: &str| pb::FindOnShiftRequest { at: Some(at(at_time)), skill: "PL".into(), ..Default::default() };
        let at_ten: Vec<(String, i32)> = routing.find_on_shift(ask("2026-06-01T10:30:00Z")).await.unwrap().into_inner().people.into_iter().map(|p| (p.person.unwrap().id, p.proficiency)).collect();
        assert_eq!(at_ten, [("agent-ola".to_string(), 5), ("agent-tom".to_string(), 2)], "the lead is at lunch; best speaker first");

        let mut ola = client(&app, Role::Agent, "agent-ola", Some("tier1")).await;
        let request = ola.request_time_off(pb::RequestTimeOffRequest { time_off: Some(pb::TimeOff { kind: pb::TimeOffKind::Personal as i32, starts_at: Some(at("2026-06-01T12:00:00Z")), ends_at: Some(at("2026-06-01T15:00:00Z")), ..Default::default() }) })
            .await.unwrap().into_inner();
        let mut lead = client(&app, Role::TeamLead, "lead-ewa", Some("tier1")).await;
        lead.approve_time_off(pb::DecideTimeOffRequest { id: request.id, ..Default::default() }).await.unwrap();
        let at_one: Vec<String> = routing.find_on_shift(ask("2026-06-01T13:00:00Z")).await.unwrap().into_inner().people.into_iter().map(|p| p.person.unwrap().id).collect();
        assert_eq!(at_one, ["lead-ewa", "agent-tom"]);
        let expert = routing.find_on_shift(pb::FindOnShiftRequest { min_proficiency: 4, ..ask("2026-06-01T13:00:00Z") }).await.unwrap().into_inner();
        assert_eq!(expert.people.len(), 1);
        let best = routing.find_on_shift(pb::FindOnShiftRequest { max_results: 1, ..ask("2026-06-01T13:00:00Z") }).await.unwrap().into_inner();
        assert_eq!(best.people.iter().map(|p| p.person.as_ref().unwrap().id.as_str()).collect::<Vec<_>>(), ["lead-ewa"], "only the best, when routing asks for one");
        let bad = expect_error(routing.find_on_shift(pb::FindOnShiftRequest { min_proficiency: 9, ..Default::default() }).await);
        assert_eq!(violated_fields(&bad), ["min_proficiency"]);
        let negative = expect_error(routing.find_on_shift(pb::FindOnShiftRequest { max_results: -1, ..Default::default() }).await);
        assert_eq!(violated_fields(&negative), ["max_results"]);
    }
}

on_both_backends! {
    async fn time_off_is_decided_by_the_team_lead_with_overlap_and_team_limits(app) {
        let mut admin = client(&app, Role::Administrator, "admin", None).await;
        warsaw_team(&mut admin).await;
        let mut ola = client(&app, Role::Agent, "agent-ola", Some("tier1")).await;
        let mut tom = client(&app, Role::Agent, "agent-tom", Some("tier1")).await;
        let mut lead = client(&app, Role::TeamLead, "lead-ewa", Some("tier1")).await;
        let vacation = |from: &str, to: &str| pb::RequestTimeOffRequest { time_off: Some(pb::TimeOff { kind: pb::TimeOffKind::Vacation as i32, starts_at: Some(at(from)), ends_at: Some(at(to)), reason: "Holiday in Zakopane".into(), ..Default::default() }) };
        let first = ola.request_time_off(vacation("2026-07-01T00:00:00Z", "2026-07-08T00:00:00Z")).await.unwrap().into_inner();
        assert_eq!(first.status, pb::TimeOffStatus::Requested as i32);
        let self_approval = expect_error(ola.approve_time_off(pb::DecideTimeOffRequest { id: first.id.clone(), ..Default::default() }).await);
        assert_eq!(self_approval.code(), Code::PermissionDenied);
        let approved = lead.approve_time_off(pb::DecideTimeOffRequest { id: first.id.clone(), note: "Enjoy".into(), ..Default::default() }).await.unwrap().into_inner();
        assert_eq!((approved.status, approved.decided_by.as_str()), (pb::TimeOffStatus::Approved as i32, "lead-ewa"));

        let overlapping = ola.request_time_off(vacation("2026-07-05T00:00:00Z", "2026-07-10T00:00:00Z")).await.unwrap().into_inner();
        let refused = expect_error(lead.approve_time_off(pb::DecideTimeOffRequest { id: overlapping.id, ..Default::default() }).await);
        assert_eq!(error_reason(&refused), "TIME_OFF_OVERLAP");
        let teammate = tom.request_time_off(vacation("2026-07-03T00:00:00Z", "2026-07-04T00:00:00Z")).await.unwrap().into_inner();
        let limit = expect_error(lead.approve_time_off(pb::DecideTimeOffRequest { id: teammate.id.clone(), ..Default::default() }).await);
        assert_eq!(error_reason(&limit), "TEAM_TIME_OFF_LIMIT", "the team allows one away at a time");

        let listed = tom.list_time_off(pb::ListTimeOffRequest { team_id: "tier1".into(), status: pb::TimeOffStatus::Approved as i32, ..Default::default() }).await.unwrap().into_inner();
        assert_eq!(listed.time_off.len(), 1);
        assert!(listed.time_off[0].reason.is_empty(), "why a colleague is away is not for other agents");
        let cancelled = ola.cancel_time_off(pb::DecideTimeOffRequest { id: first.id.clone(), ..Default::default() }).await.unwrap().into_inner();
        assert_eq!(cancelled.status, pb::TimeOffStatus::Cancelled as i32);
        let again = expect_error(lead.approve_time_off(pb::DecideTimeOffRequest { id: first.id, ..Default::default() }).await);
        assert_eq!(error_reason(&again), "INVALID_TIME_OFF_TRANSITION");
        let backwards = expect_error(ola.request_time_off(vacation("2026-08-02T00:00:00Z", "2026-08-01T00:00:00Z")).await);
        assert_eq!(violated_fields(&backwards), ["time_off.ends_at"]);
    }
}

on_both_backends! {
    /// The export is RFC 5545 that an independent parser (Python's icalendar) accepts, with
    /// the right local times on the night the clocks change.
    async fn the_roster_exports_as_icalendar_a_real_parser_accepts(app) {
        let mut admin = client(&app, Role::Administrator, "admin", None).await;
        warsaw_team(&mut admin).await;
        let night = admin.create_shift(shift("agent-ola", ShiftKind::Work, "2026-03-28T22:00:00Z", "2026-03-29T06:00:00Z")).await.unwrap().into_inner();
        admin.create_shift(shift("agent-tom", ShiftKind::Work, "2026-03-30T07:00:00Z", "2026-03-30T15:00:00Z")).await.unwrap();
        let exported = admin.export_roster(pb::ExportRosterRequest { team_id: "tier1".into(), from: Some(at("2026-03-28T00:00:00Z")), to: Some(at("2026-04-01T00:00:00Z")), ..Default::default() })
            .await.unwrap().into_inner().icalendar;
        assert!(exported.contains("\r\n") && !exported.replace("\r\n", "").contains('\n'), "CRLF line endings only");
        let file = std::env::temp_dir().join(format!("roster-{}.ics", uuid::Uuid::new_v4()));
        std::fs::write(&file, &exported).unwrap();
        let check = std::process::Command::new("python3")
            .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/check_ics.py"))
            .arg(&file)
            .args(["--expect-events", "2"])
            .arg("--expect")
            .arg(format!("UID={}@frontline;DTSTART=2026-03-28T23:00:00+01:00;DTEND=2026-03-29T08:00:00+02:00", night.id))
            .output()
            .expect("python3 runs");
        let _ = std::fs::remove_file(&file);
        assert!(
            check.status.success(),
            "the independent parser refused the export (run `make test`, which installs it, or `pip install icalendar`):\n{}{}",
            String::from_utf8_lossy(&check.stdout),
            String::from_utf8_lossy(&check.stderr)
        );
        let mut portal = client(&app, Role::Portal, "portal", None).await;
        let denied = expect_error(portal.export_roster(pb::ExportRosterRequest::default()).await);
        assert_eq!(denied.code(), Code::PermissionDenied);
    }
}

on_both_backends! {
    /// A WFM tool's CSV replaces the listed agents' shifts in its date range — or, with one bad
    /// line, changes nothing and says which lines are wrong.
    async fn csv_import_replaces_shifts_or_changes_nothing(app) {
        let mut admin = client(&app, Role::Administrator, "admin", None).await;
        warsaw_team(&mut admin).await;
        admin.create_shift(shift("agent-ola", ShiftKind::Work, "2026-06-01T07:00:00Z", "2026-06-01T15:00:00Z")).await.unwrap();
        let mut scheduler = client(&app, Role::Scheduler, "wfm-tool", None).await;
        let bad = "person_id,kind,starts_at,ends_at,notes\n\
                   agent-ola,work,2026-06-01T08:00:00Z,2026-06-01T16:00:00Z,\n\
                   agent-tom,nap,2026-06-01T08:00:00Z,2026-06-01T16:00:00Z,\n\
                   nobody,work,2026-06-01T08:00:00Z,2026-06-01T16:00:00Z,\n";
        let report = scheduler.import_shifts(pb::ImportShiftsRequest { csv: bad.into(), publish: true }).await.unwrap().into_inner();
        let lines: Vec<i32> = report.errors.iter().map(|e| e.line).collect();
        assert_eq!(lines, [3, 4]);
        assert_eq!(report.created, 0);
        let request = pb::RosterRequest { team_id: "tier1".into(), from: Some(at("2026-06-01T00:00:00Z")), to: Some(at("2026-06-02T00:00:00Z")), ..Default::default() };
        let untouched = scheduler.list_roster(request.clone()).await.unwrap().into_inner().shifts;
        assert_eq!(untouched[0].local_starts_at, "2026-06-01T09:00:00+02:00", "nothing was changed");

        let good = "person_id,kind,starts_at,ends_at,notes\n\
                    agent-ola,work,2026-06-01T08:00:00Z,2026-06-01T16:00:00Z,late start\n\
                    agent-ola,lunch,2026-06-01T12:00:00Z,2026-06-01T12:30:00Z,\n\
                    agent-tom,work,2026-06-01T06:00:00Z,2026-06-01T14:00:00Z,\n";
        let report = scheduler.import_shifts(pb::ImportShiftsRequest { csv: good.into(), publish: true }).await.unwrap().into_inner();
        assert_eq!((report.created, report.replaced, report.errors.len()), (3, 1, 0));
        let roster = scheduler.list_roster(request).await.unwrap().into_inner().shifts;
        assert_eq!(roster.len(), 3);
        let header = scheduler.import_shifts(pb::ImportShiftsRequest { csv: "who,what\n".into(), publish: false }).await.unwrap().into_inner();
        assert_eq!(header.errors[0].line, 1);
    }
}

on_both_backends! {
    /// Call Centre Helper's example: 100 calls per half hour, 180 s, 80/20, 85% occupancy, 30%
    /// shrinkage → 14 agents, 20 with shrinkage; and a plan against the published roster.
    async fn staffing_turns_forecast_into_agents_gaps_and_cost(app) {
        let mut admin = client(&app, Role::Administrator, "admin", None).await;
        warsaw_team(&mut admin).await;
        let goal = pb::ServiceGoal { service_level: 0.8, target_answer_seconds: 20.0, max_occupancy: 0.85, shrinkage: 0.3, average_patience_seconds: 0.0 };
        let mut lead = client(&app, Role::TeamLead, "lead-ewa", Some("tier1")).await;
        let erlang = lead.compute_staffing(pb::ErlangRequest { volume: 100.0, interval_seconds: 1800.0, average_handle_seconds: 180.0, goal: Some(goal), agents: 14 })
            .await.unwrap().into_inner();
        assert_eq!((erlang.required_agents, erlang.required_agents_with_shrinkage), (14, 20));
        assert!((erlang.at_given_agents.unwrap().service_level - 0.8884).abs() < 0.0005);

        for person in ["lead-ewa", "agent-ola", "agent-tom"] {
            admin.create_shift(shift(person, ShiftKind::Work, "2026-06-01T07:00:00Z", "2026-06-01T08:00:00Z")).await.unwrap();
        }
        let plan = lead.plan_staffing(pb::PlanStaffingRequest {
            team_id: "tier1".into(),
            from: Some(at("2026-06-01T07:00:00Z")),
            to: Some(at("2026-06-01T08:00:00Z")),
            interval_seconds: 1800,
            goal: Some(goal),
            forecast: vec![
                pb::IntervalForecast { starts_at: Some(at("2026-06-01T07:00:00Z")), volume: 10.0, average_handle_seconds: 180.0 },
                pb::IntervalForecast { starts_at: Some(at("2026-06-01T07:30:00Z")), volume: 100.0, average_handle_seconds: 180.0 },
            ],
            budget: Some(Money { currency_code: "PLN".into(), minor_units: 50_000 }),
            ..Default::default()
        }).await.unwrap().into_inner();
        let gaps: Vec<(i32, f64)> = plan.intervals.iter().map(|i| (i.required_agents, i.gap)).collect();
        assert_eq!(gaps[1], (14, -11.0), "three scheduled against fourteen needed");
        assert_eq!(plan.understaffed_intervals, 1);
        assert_eq!(plan.scheduled_cost.unwrap().minor_units, 3 * 6000, "three people for an hour at 60 PLN");
        assert_eq!(plan.budget_remaining.unwrap().minor_units, 50_000 - 18_000);

        let bad = expect_error(lead.plan_staffing(pb::PlanStaffingRequest { team_id: "tier1".into(), from: Some(at("2026-06-01T07:00:00Z")), to: Some(at("2026-06-01T08:00:00Z")), interval_seconds: 600, forecast: vec![pb::IntervalForecast { starts_at: Some(at("2026-06-01T07:00:00Z")), volume: 1.0, average_handle_seconds: 60.0 }], ..Default::default() }).await);
        assert_eq!(violated_fields(&bad), ["interval_seconds"]);
        let mut agent = client(&app, Role::Agent, "agent-ola", Some("tier1")).await;
        let denied = expect_error(agent.plan_staffing(pb::PlanStaffingRequest { team_id: "tier1".into(), ..Default::default() }).await);
        assert_eq!(denied.code(), Code::PermissionDenied);
    }
}

on_both_backends! {
    async fn training_certifications_kudos_and_qa_scores_that_reach_analytics(app) {
        let mut admin = client(&app, Role::Administrator, "admin", None).await;
        warsaw_team(&mut admin).await;
        let mut lead = client(&app, Role::TeamLead, "lead-ewa", Some("tier1")).await;
        let mut ola = client(&app, Role::Agent, "agent-ola", Some("tier1")).await;
        let mut tom = client(&app, Role::Agent, "agent-tom", Some("tier1")).await;

        let program = lead.create_training_program(pb::CreateTrainingProgramRequest { program: Some(pb::TrainingProgram { name: "Billing escalations".into(), ..Default::default() }) }).await.unwrap().into_inner();
        ola.enroll(pb::EnrollRequest { program_id: program.id.clone(), person_id: String::new() }).await.unwrap();
        let self_completion = expect_error(ola.complete_training(pb::CompleteTrainingRequest { program_id: program.id.clone(), person_id: "agent-ola".into() }).await);
        assert_eq!(self_completion.code(), Code::PermissionDenied, "completion is confirmed by the lead");
        let done = lead.complete_training(pb::CompleteTrainingRequest { program_id: program.id.clone(), person_id: "agent-ola".into() }).await.unwrap().into_inner();
        assert_eq!(done.status, pb::EnrollmentStatus::Completed as i32);
        let twice = expect_error(ola.enroll(pb::EnrollRequest { program_id: program.id.clone(), person_id: String::new() }).await);
        assert_eq!(error_reason(&twice), "ALREADY_ENROLLED");

        let now = chrono::Utc::now().timestamp();
        lead.record_certification(pb::RecordCertificationRequest { certification: Some(pb::Certification { person_id: "agent-ola".into(), name: "GDPR awareness".into(), issued_at: Some(Timestamp { seconds: now - 300 * 86_400, nanos: 0 }), expires_at: Some(Timestamp { seconds: now + 20 * 86_400, nanos: 0 }), ..Default::default() }) }).await.unwrap();
        lead.record_certification(pb::RecordCertificationRequest { certification: Some(pb::Certification { person_id: "agent-tom".into(), name: "Product expert".into(), issued_at: Some(Timestamp { seconds: now, nanos: 0 }), ..Default::default() }) }).await.unwrap();
        let expiring = lead.list_certifications(pb::ListCertificationsRequest { team_id: "tier1".into(), expiring_before: Some(Timestamp { seconds: now + 30 * 86_400, nanos: 0 }), ..Default::default() }).await.unwrap().into_inner();
        assert_eq!(expiring.certifications.iter().map(|c| c.name.as_str()).collect::<Vec<_>>(), ["GDPR awareness"]);
        let backwards = expect_error(lead.record_certification(pb::RecordCertificationRequest { certification: Some(pb::Certification { person_id: "agent-ola".into(), name: "X".into(), issued_at: Some(Timestamp { seconds: now, nanos: 0 }), expires_at: Some(Timestamp { seconds: now - 1, nanos: 0 }), ..Default::default() }) }).await);
        assert_eq!(violated_fields(&backwards), ["certification.expires_at"]);

        tom.give_kudos(pb::GiveKudosRequest { kudos: Some(pb::Kudos { to_person_id: "agent-ola".into(), message: "Dzięki za przejęcie mojej zmiany!".into(), ..Default::default() }) }).await.unwrap();
        assert_eq!(ola.list_kudos(pb::ListKudosRequest { person_id: "agent-ola".into() }).await.unwrap().into_inner().kudos[0].from_person_id, "agent-tom");
        let selfish = expect_error(tom.give_kudos(pb::GiveKudosRequest { kudos: Some(pb::Kudos { to_person_id: "agent-tom".into(), message: "me".into(), ..Default::default() }) }).await);
        assert_eq!(violated_fields(&selfish), ["kudos.to_person_id"]);

        let scorecard = admin.create_scorecard(pb::CreateScorecardRequest { scorecard: Some(pb::Scorecard { name: "Email QA".into(), criteria: vec![
            pb::ScorecardCriterion { key: "empathy".into(), title: "Empathy".into(), weight: 1.0 },
            pb::ScorecardCriterion { key: "accuracy".into(), title: "Accuracy".into(), weight: 3.0 },
        ], ..Default::default() }) }).await.unwrap().into_inner();
        let scored = lead.score_ticket(pb::ScoreTicketRequest { review: Some(pb::QaReview { scorecard_id: scorecard.id.clone(), ticket_id: "42".into(), agent_id: "agent-ola".into(), scores: vec![
            pb::CriterionScore { key: "empathy".into(), score: 60.0 },
            pb::CriterionScore { key: "accuracy".into(), score: 100.0 },
        ], ..Default::default() }) }).await.unwrap().into_inner();
        assert!((scored.total - 90.0).abs() < 1e-9, "weighted mean: {}", scored.total);
        let unscored = expect_error(lead.score_ticket(pb::ScoreTicketRequest { review: Some(pb::QaReview { scorecard_id: scorecard.id, ticket_id: "43".into(), agent_id: "agent-ola".into(), scores: vec![pb::CriterionScore { key: "empathy".into(), score: 50.0 }], ..Default::default() }) }).await);
        assert_eq!(violated_fields(&unscored), ["review.scores"]);
        assert_eq!(ola.list_qa_reviews(pb::ListQaReviewsRequest { agent_id: "agent-ola".into(), ..Default::default() }).await.unwrap().into_inner().reviews.len(), 1);
        let nosy = expect_error(tom.list_qa_reviews(pb::ListQaReviewsRequest { agent_id: "agent-ola".into(), ..Default::default() }).await);
        assert_eq!(nosy.code(), Code::PermissionDenied);
        let by_agent = expect_error(tom.score_ticket(pb::ScoreTicketRequest { review: Some(pb::QaReview::default()) }).await);
        assert_eq!(by_agent.code(), Code::PermissionDenied);

        // The score reaches the feed for analytics, typed.
        let mut feed = WorkforceServiceClient::new(app.authed(Bearer::token(&app.token(Role::Service))).await);
        let scored_event = crate::support::eventually(std::time::Duration::from_secs(20), || {
            let mut feed = feed.clone();
            async move {
                let page = feed.list_events(frontline_proto::common::v1::ListEventsRequest { after_position: 0, page_size: 1000 }).await.ok()?.into_inner();
                page.events.into_iter().find(|e| e.event_type == "qa.scored")
            }
        }).await;
        let payload = scored_event.payload.unwrap().to_msg::<pb::QaScored>().unwrap();
        assert!((payload.review.unwrap().total - 90.0).abs() < 1e-9);
        let _ = &mut feed;
    }
}

on_both_backends! {
    /// Coaching notes and reviews are for the person, their management line and directors —
    /// an agent cannot read a colleague's review, nor can another team's lead.
    async fn reviews_and_coaching_are_private_to_the_person_their_line_and_directors(app) {
        let mut admin = client(&app, Role::Administrator, "admin", None).await;
        warsaw_team(&mut admin).await;
        admin.create_person(pb::CreatePersonRequest { person: Some(pb::Person { id: "lead-other".into(), name: "Other Lead".into(), role: pb::PersonRole::TeamLead as i32, ..Default::default() }) }).await.unwrap();
        let mut lead = client(&app, Role::TeamLead, "lead-ewa", Some("tier1")).await;
        let review = lead.record_performance_review(pb::RecordPerformanceReviewRequest { review: Some(pb::PerformanceReview {
            person_id: "agent-ola".into(),
            period_start: Some(at("2026-01-01T00:00:00Z")),
            period_end: Some(at("2026-07-01T00:00:00Z")),
            goals: vec![pb::ReviewGoal { description: "CSAT above 92%".into(), rating: 4 }],
            overall_rating: 4,
            summary: "Strong half; ready for senior agent.".into(),
            ..Default::default()
        }) }).await.unwrap().into_inner();
        assert_eq!(review.reviewer_id, "lead-ewa");
        lead.record_coaching_session(pb::RecordCoachingSessionRequest { session: Some(pb::CoachingSession {
            person_id: "agent-ola".into(),
            notes: "Practised de-escalation on ticket #42".into(),
            action_items: vec![pb::ActionItem { text: "Shadow a billing call".into(), done: false }],
            ..Default::default()
        }) }).await.unwrap();

        let mut ola = client(&app, Role::Agent, "agent-ola", Some("tier1")).await;
        assert_eq!(ola.list_performance_reviews(pb::ListPerformanceReviewsRequest { person_id: "agent-ola".into() }).await.unwrap().into_inner().reviews.len(), 1);
        assert_eq!(ola.list_coaching_sessions(pb::ListCoachingSessionsRequest { person_id: "agent-ola".into() }).await.unwrap().into_inner().sessions[0].action_items.len(), 1);
        let mut tom = client(&app, Role::Agent, "agent-tom", Some("tier1")).await;
        let colleague = expect_error(tom.list_performance_reviews(pb::ListPerformanceReviewsRequest { person_id: "agent-ola".into() }).await);
        assert_eq!(colleague.code(), Code::PermissionDenied);
        let colleague_notes = expect_error(tom.list_coaching_sessions(pb::ListCoachingSessionsRequest { person_id: "agent-ola".into() }).await);
        assert_eq!(colleague_notes.code(), Code::PermissionDenied);
        let mut other_lead = client(&app, Role::TeamLead, "lead-other", Some("tier2")).await;
        let outsider = expect_error(other_lead.list_performance_reviews(pb::ListPerformanceReviewsRequest { person_id: "agent-ola".into() }).await);
        assert_eq!(outsider.code(), Code::PermissionDenied);
        let writing = expect_error(other_lead.record_performance_review(pb::RecordPerformanceReviewRequest { review: Some(pb::PerformanceReview { person_id: "agent-ola".into(), overall_rating: 1, ..Default::default() }) }).await);
        assert_eq!(writing.code(), Code::PermissionDenied);
        let mut director = client(&app, Role::Director, "director-anna", None).await;
        assert_eq!(director.list_performance_reviews(pb::ListPerformanceReviewsRequest { person_id: "agent-ola".into() }).await.unwrap().into_inner().reviews.len(), 1);

        let bad = expect_error(lead.record_performance_review(pb::RecordPerformanceReviewRequest { review: Some(pb::PerformanceReview { person_id: "agent-ola".into(), period_start: Some(at("2026-07-01T00:00:00Z")), period_end: Some(at("2026-01-01T00:00:00Z")), overall_rating: 7, ..Default::default() }) }).await);
        assert_eq!(violated_fields(&bad), ["review.period_end", "review.overall_rating"]);
        let undated = expect_error(lead.record_performance_review(pb::RecordPerformanceReviewRequest { review: Some(pb::PerformanceReview { person_id: "agent-ola".into(), period_end: Some(at("2026-07-01T00:00:00Z")), overall_rating: 3, ..Default::default() }) }).await);
        assert_eq!(violated_fields(&undated), ["review.period_start"], "no silent 1970");

        // The feed says a review happened, never what it says.
        let mut feed = WorkforceServiceClient::new(app.authed(Bearer::token(&app.token(Role::Service))).await);
        let page = crate::support::eventually(std::time::Duration::from_secs(20), || {
            let mut feed = feed.clone();
            async move {
                let page = feed.list_events(frontline_proto::common::v1::ListEventsRequest { after_position: 0, page_size: 1000 }).await.ok()?.into_inner();
                page.events.iter().any(|e| e.event_type == "coaching.recorded").then_some(page)
            }
        }).await;
        for event in page.events.iter().filter(|e| e.event_type == "review.recorded" || e.event_type == "coaching.recorded") {
            let payload = event.payload.as_ref().unwrap();
            assert!(payload.type_url.ends_with("PrivateRecordAdded"));
            let text = String::from_utf8_lossy(&payload.value);
            assert!(!text.contains("de-escalation") && !text.contains("senior agent"), "no private text in the feed");
        }
        let _ = &mut feed;
    }
}

on_both_backends! {
    /// A CRM sync account has no business with people or rosters: every workforce RPC refuses it.
    async fn every_workforce_rpc_refuses_a_role_with_no_business_there(app) {
        let mut crm = client(&app, Role::CrmSync, "crm", None).await;
        let mut refusals = Vec::new();
        macro_rules! refused {
            ($call:ident($request:expr)) => {
                refusals.push((stringify!($call), crm.$call($request).await.err().map(|status| status.code())));
            };
        }
        refused!(create_person(pb::CreatePersonRequest::default()));
        refused!(get_person(pb::GetPersonRequest { id: "x".into() }));
        refused!(list_people(pb::ListPeopleRequest::default()));
        refused!(update_person(pb::UpdatePersonRequest::default()));
        refused!(list_career_events(pb::ListCareerEventsRequest::default()));
        refused!(create_department(pb::CreateDepartmentRequest::default()));
        refused!(list_departments(pb::ListDepartmentsRequest {}));
        refused!(create_team(pb::CreateTeamRequest::default()));
        refused!(get_team(pb::GetTeamRequest::default()));
        refused!(list_teams(pb::ListTeamsRequest::default()));
        refused!(update_team(pb::UpdateTeamRequest::default()));
        refused!(create_shift(pb::CreateShiftRequest::default()));
        refused!(update_shift(pb::UpdateShiftRequest::default()));
        refused!(delete_shift(pb::DeleteShiftRequest::default()));
        refused!(publish_shifts(pb::PublishShiftsRequest::default()));
        refused!(copy_shifts(pb::CopyShiftsRequest::default()));
        refused!(import_shifts(pb::ImportShiftsRequest::default()));
        refused!(list_roster(pb::RosterRequest::default()));
        refused!(stream_roster(pb::RosterRequest::default()));
        refused!(export_roster(pb::ExportRosterRequest::default()));
        refused!(find_on_shift(pb::FindOnShiftRequest::default()));
        refused!(request_time_off(pb::RequestTimeOffRequest::default()));
        refused!(approve_time_off(pb::DecideTimeOffRequest::default()));
        refused!(reject_time_off(pb::DecideTimeOffRequest::default()));
        refused!(cancel_time_off(pb::DecideTimeOffRequest::default()));
        refused!(list_time_off(pb::ListTimeOffRequest::default()));
        refused!(compute_staffing(pb::ErlangRequest::default()));
        refused!(plan_staffing(pb::PlanStaffingRequest::default()));
        refused!(create_training_program(pb::CreateTrainingProgramRequest::default()));
        refused!(list_training_programs(pb::ListTrainingProgramsRequest {}));
        refused!(enroll(pb::EnrollRequest::default()));
        refused!(complete_training(pb::CompleteTrainingRequest::default()));
        refused!(list_enrollments(pb::ListEnrollmentsRequest::default()));
        refused!(record_certification(pb::RecordCertificationRequest::default()));
        refused!(list_certifications(pb::ListCertificationsRequest::default()));
        refused!(record_coaching_session(pb::RecordCoachingSessionRequest::default()));
        refused!(list_coaching_sessions(pb::ListCoachingSessionsRequest::default()));
        refused!(record_performance_review(pb::RecordPerformanceReviewRequest::default()));
        refused!(list_performance_reviews(pb::ListPerformanceReviewsRequest::default()));
        refused!(give_kudos(pb::GiveKudosRequest::default()));
        refused!(list_kudos(pb::ListKudosRequest::default()));
        refused!(create_scorecard(pb::CreateScorecardRequest::default()));
        refused!(list_scorecards(pb::ListScorecardsRequest {}));
        refused!(score_ticket(pb::ScoreTicketRequest::default()));
        refused!(list_qa_reviews(pb::ListQaReviewsRequest::default()));
        let not_refused: Vec<_> = refusals.iter().filter(|(_, code)| *code != Some(Code::PermissionDenied)).collect();
        assert!(not_refused.is_empty(), "these did not refuse CRM sync: {not_refused:?}");
        assert_eq!(refusals.len(), 45);
    }
}

on_both_backends! {
    /// Issue 20: a team lead once put another team's agent on a shift by naming their own team,
    /// and so blocked that team's lead with overlap errors. ImportShifts already refused it;
    /// CreateShift and UpdateShift now do too.
    async fn a_lead_cannot_place_shifts_on_another_teams_agent(app) {
        let mut admin = client(&app, Role::Administrator, "admin", None).await;
        warsaw_team(&mut admin).await;
        admin.create_team(pb::CreateTeamRequest { team: Some(pb::Team { id: "tier2".into(), name: "Tier 2".into(), time_zone: "Europe/Warsaw".into(), ..Default::default() }) }).await.unwrap();
        admin.create_person(pb::CreatePersonRequest { person: Some(pb::Person { id: "agent-kai".into(), name: "Kai".into(), role: pb::PersonRole::Agent as i32, team_id: "tier2".into(), time_zone: "Europe/Warsaw".into(), ..Default::default() }) }).await.unwrap();

        let mut lead = client(&app, Role::TeamLead, "lead-ewa", Some("tier1")).await;
        let borrowed = pb::Shift { team_id: "tier1".into(), ..shift("agent-kai", ShiftKind::Work, "2026-06-01T07:00:00Z", "2026-06-01T15:00:00Z").shift.unwrap() };
        let refused = expect_error(lead.create_shift(pb::CreateShiftRequest { shift: Some(borrowed) }).await);
        assert_eq!(refused.code(), Code::PermissionDenied);

        // Moving one of her own agent's shifts to another team is refused the same way.
        let own = lead.create_shift(shift("agent-ola", ShiftKind::Work, "2026-06-02T07:00:00Z", "2026-06-02T15:00:00Z")).await.unwrap().into_inner();
        let moved = expect_error(lead.update_shift(pb::UpdateShiftRequest {
            shift: Some(pb::Shift { id: own.id.clone(), team_id: "tier2".into(), ..Default::default() }),
            update_mask: Some(prost_types::FieldMask { paths: vec!["team_id".into()] }),
        }).await);
        assert_eq!(moved.code(), Code::PermissionDenied);

        // Kai's own roster is untouched: his lead's shift goes in without an overlap.
        let mut tier2_lead = client(&app, Role::TeamLead, "lead-jan", Some("tier2")).await;
        tier2_lead.create_shift(shift("agent-kai", ShiftKind::Work, "2026-06-01T07:00:00Z", "2026-06-01T15:00:00Z")).await.unwrap();
    }
}
