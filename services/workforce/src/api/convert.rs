//! Between the wire and the domain; unknown enum numbers and bad times are named violations.
use chrono_tz::Tz;
use frontline_proto::{common::v1::Money as WireMoney, workforce::v1 as pb};
use frontline_shared::{
    ApiResult,
    database::time::{from_timestamp, optional_timestamp, to_timestamp},
    error::Violations,
};

use crate::domain::{
    person::{CareerEvent, EmploymentStatus, Money, Person, PersonFields, PersonRole, Skill, SkillKind},
    shift::{Shift, local_time},
    team::{Department, Team, TeamFields},
    time_off::TimeOff,
};

pub fn enum_field<T>(
    violations: &mut Violations,
    field: &str,
    number: i32,
    from_number: fn(i64) -> Option<T>,
) -> Option<T> {
    if number == 0 {
        return None;
    }
    let value = from_number(i64::from(number));
    if value.is_none() {
        violations.add(field, format!("{number} is not a known value"));
    }
    value
}

/// A required instant.
pub fn instant(violations: &mut Violations, field: &str, timestamp: &Option<prost_types::Timestamp>) -> i64 {
    match timestamp.as_ref().map(from_timestamp) {
        Some(Some(micros)) => micros,
        Some(None) => {
            violations.add(field, "is not a valid time");
            0
        }
        None => {
            violations.add(field, "is required");
            0
        }
    }
}

pub fn person_fields(person: pb::Person) -> ApiResult<PersonFields> {
    let mut violations = Violations::new();
    let role = enum_field(&mut violations, "person.role", person.role, PersonRole::from_number);
    let employment_status = enum_field(
        &mut violations,
        "person.employment_status",
        person.employment_status,
        EmploymentStatus::from_number,
    );
    let skills = person
        .skills
        .into_iter()
        .enumerate()
        .map(|(index, skill)| Skill {
            kind: enum_field(
                &mut violations,
                &format!("person.skills[{index}].kind"),
                skill.kind,
                SkillKind::from_number,
            )
            .unwrap_or(SkillKind::Product),
            name: skill.name,
            proficiency: i64::from(skill.proficiency),
        })
        .collect();
    violations.into_result()?;
    Ok(PersonFields {
        id: person.id,
        name: person.name,
        email: person.email,
        role,
        manager_id: person.manager_id,
        team_id: person.team_id,
        time_zone: person.time_zone,
        employment_status,
        hourly_cost: person.hourly_cost.map(|m| Money { currency: m.currency_code, minor_units: m.minor_units }),
        skills,
        external_id: person.external_id,
    })
}

/// The person as `show_cost` allows: hourly costs only for themselves and management.
pub fn person(person: &Person, show_cost: bool) -> pb::Person {
    pb::Person {
        id: person.id.clone(),
        name: person.name.clone(),
        email: person.email.clone(),
        role: person.role.number() as i32,
        manager_id: person.manager_id.clone(),
        team_id: person.team_id.clone(),
        time_zone: person.time_zone.clone(),
        employment_status: person.employment_status.number() as i32,
        hourly_cost: show_cost.then(|| money(&person.hourly_cost)),
        skills: person
            .skills
            .iter()
            .map(|s| pb::Skill {
                name: s.name.clone(),
                kind: s.kind.number() as i32,
                proficiency: s.proficiency as i32,
            })
            .collect(),
        external_id: person.external_id.clone(),
        created_at: Some(to_timestamp(person.created_at)),
        updated_at: Some(to_timestamp(person.updated_at)),
        etag: person.etag(),
    }
}

pub fn money(money: &Money) -> WireMoney {
    WireMoney { currency_code: money.currency.clone(), minor_units: money.minor_units }
}

pub fn career_event(event: &CareerEvent) -> pb::CareerEvent {
    pb::CareerEvent {
        person_id: event.person_id.clone(),
        from_role: event.from_role.map_or(0, |r| r.number() as i32),
        to_role: event.to_role.number() as i32,
        from_team_id: event.from_team_id.clone(),
        to_team_id: event.to_team_id.clone(),
        from_manager_id: event.from_manager_id.clone(),
        to_manager_id: event.to_manager_id.clone(),
        at: Some(to_timestamp(event.at)),
        recorded_by: event.recorded_by.clone(),
    }
}

pub fn team_fields(team: pb::Team) -> TeamFields {
    TeamFields {
        id: team.id,
        name: team.name,
        department_id: team.department_id,
        lead_id: team.lead_id,
        time_zone: team.time_zone,
        max_concurrent_time_off: i64::from(team.max_concurrent_time_off),
    }
}

pub fn team(team: &Team) -> pb::Team {
    pb::Team {
        id: team.id.clone(),
        name: team.name.clone(),
        department_id: team.department_id.clone(),
        lead_id: team.lead_id.clone(),
        time_zone: team.time_zone.clone(),
        max_concurrent_time_off: team.max_concurrent_time_off as i32,
        created_at: Some(to_timestamp(team.created_at)),
        updated_at: Some(to_timestamp(team.updated_at)),
        etag: team.etag(),
    }
}

pub fn department(department: &Department) -> pb::Department {
    pb::Department {
        id: department.id.clone(),
        name: department.name.clone(),
        head_id: department.head_id.clone(),
        created_at: Some(to_timestamp(department.created_at)),
    }
}

/// The shift with its times shown in `tz` (the person's time zone).
pub fn shift(shift: &Shift, tz: Tz) -> pb::Shift {
    pb::Shift {
        id: shift.id.clone(),
        person_id: shift.person_id.clone(),
        team_id: shift.team_id.clone(),
        kind: shift.kind.number() as i32,
        starts_at: Some(to_timestamp(shift.starts_at)),
        ends_at: Some(to_timestamp(shift.ends_at)),
        state: shift.state.number() as i32,
        notes: shift.notes.clone(),
        local_starts_at: local_time(shift.starts_at, tz),
        local_ends_at: local_time(shift.ends_at, tz),
        time_zone: tz.name().to_string(),
        updated_at: Some(to_timestamp(shift.updated_at)),
        etag: shift.etag(),
    }
}

pub fn time_off(time_off: &TimeOff) -> pb::TimeOff {
    pb::TimeOff {
        id: time_off.id.clone(),
        person_id: time_off.person_id.clone(),
        kind: time_off.kind.number() as i32,
        starts_at: Some(to_timestamp(time_off.starts_at)),
        ends_at: Some(to_timestamp(time_off.ends_at)),
        status: time_off.status.number() as i32,
        reason: time_off.reason.clone(),
        decided_by: time_off.decided_by.clone(),
        decided_at: optional_timestamp(time_off.decided_at),
        decision_note: time_off.decision_note.clone(),
        created_at: Some(to_timestamp(time_off.created_at)),
        etag: time_off.etag(),
    }
}

pub fn time_zone(name: &str) -> Tz {
    name.parse().unwrap_or(Tz::UTC)
}
