//! Shifts and rosters.
use std::collections::{HashMap, HashSet};

use chrono_tz::Tz;
use frontline_proto::workforce::v1 as pb;
use frontline_shared::{
    ApiError, ApiResult,
    auth::Principal,
    database::{Backend, time},
    error::Violations,
    feed::{self, NewEvent},
};
use futures::stream::BoxStream;
use sqlx::AnyConnection;

use super::{WorkforceApi, convert};
use crate::{
    domain::{
        access::{self, Action, authorize},
        icalendar::{RosterEntry, roster_calendar},
        person::Person,
        shift::{self, MAX_SHIFT_MICROS, Shift, ShiftKind, ShiftState},
    },
    store::{on_shift, people, shifts, teams},
};

const DAY: i64 = 24 * 3_600_000_000;
/// The longest range one roster read covers.
const MAX_ROSTER_DAYS: i64 = 62;

/// A [from, to) range from a request, bounded so one call cannot read years of shifts.
fn range(from: &Option<prost_types::Timestamp>, to: &Option<prost_types::Timestamp>) -> ApiResult<(i64, i64)> {
    let mut violations = Violations::new();
    let from = convert::instant(&mut violations, "from", from);
    let to = convert::instant(&mut violations, "to", to);
    violations.into_result()?;
    if to <= from {
        return Err(ApiError::invalid("to", "must be after from"));
    }
    if to - from > MAX_ROSTER_DAYS * DAY {
        return Err(ApiError::invalid("to", format!("a roster covers at most {MAX_ROSTER_DAYS} days per call")));
    }
    Ok((from, to))
}

fn shift_kind(violations: &mut Violations, number: i32) -> Option<ShiftKind> {
    convert::enum_field(violations, "shift.kind", number, ShiftKind::from_number)
}

impl WorkforceApi {
    /// The person, locked for the transaction so their shifts are checked and written alone.
    async fn lock_person(&self, connection: &mut AnyConnection, id: &str) -> ApiResult<Person> {
        people::lock(connection, id, self.db.backend() == Backend::Postgres)
            .await?
            .ok_or_else(|| ApiError::invalid("shift.person_id", format!("no person has id {id}")))
    }

    /// Checks and stores `shift` (new when `previous` is None) with its feed event.
    async fn place_shift(
        &self,
        connection: &mut AnyConnection,
        principal: &Principal,
        shift: &Shift,
        previous: Option<&Shift>,
        person: &Person,
    ) -> ApiResult<()> {
        let tz = convert::time_zone(&person.time_zone);
        let neighbours: Vec<Shift> =
            shifts::of_person(connection, &person.id, shift.starts_at - DAY, shift.ends_at + DAY)
                .await?
                .into_iter()
                .filter(|other| other.id != shift.id)
                .collect();
        shift::check_placement(shift, previous, &neighbours, tz)?;
        match previous {
            None => shifts::insert(connection, shift).await?,
            Some(previous) => {
                if !shifts::update(connection, shift, previous.revision).await? {
                    return Err(ApiError::Aborted {
                        reason: "CONCURRENT_UPDATE",
                        message: format!("shift {} changed meanwhile; retry", shift.id),
                    });
                }
            }
        }
        self.shift_event(connection, principal, shift, tz, false).await
    }

    async fn shift_event(
        &self,
        connection: &mut AnyConnection,
        principal: &Principal,
        shift: &Shift,
        tz: Tz,
        deleted: bool,
    ) -> ApiResult<()> {
        feed::append(
            connection,
            NewEvent {
                event_type: if deleted { "shift.deleted" } else { "shift.changed" },
                aggregate_type: "shift",
                aggregate_id: &shift.id,
                actor: &principal.subject,
                payload: &pb::ShiftChanged { shift: Some(convert::shift(shift, tz)), deleted },
            },
        )
        .await?;
        Ok(())
    }

    pub(super) async fn create_shift(
        &self,
        principal: &Principal,
        request: pb::CreateShiftRequest,
    ) -> ApiResult<pb::Shift> {
        authorize(principal, Action::ReadRoster)?;
        let given = request.shift.ok_or_else(|| ApiError::invalid("shift", "is required"))?;
        let mut violations = Violations::new();
        let kind = shift_kind(&mut violations, given.kind).unwrap_or(ShiftKind::Work);
        let state = convert::enum_field(&mut violations, "shift.state", given.state, ShiftState::from_number)
            .unwrap_or(ShiftState::Draft);
        let starts_at = convert::instant(&mut violations, "shift.starts_at", &given.starts_at);
        let ends_at = convert::instant(&mut violations, "shift.ends_at", &given.ends_at);
        violations.check(!given.person_id.is_empty(), "shift.person_id", "is required");
        violations.into_result()?;
        let mut transaction = self.db.begin().await?;
        let person = self.lock_person(&mut transaction, &given.person_id).await?;
        let team_id = if given.team_id.is_empty() { person.team_id.clone() } else { given.team_id.clone() };
        access::check_writes_shift(principal, &team_id, &person.team_id)?;
        let shift = Shift {
            id: uuid::Uuid::now_v7().to_string(),
            person_id: person.id.clone(),
            team_id,
            kind,
            starts_at,
            ends_at,
            state,
            notes: given.notes,
            updated_at: time::now_micros(),
            revision: 1,
        };
        self.place_shift(&mut transaction, principal, &shift, None, &person).await?;
        transaction.commit().await?;
        self.feed.committed();
        Ok(convert::shift(&shift, convert::time_zone(&person.time_zone)))
    }

    pub(super) async fn update_shift(
        &self,
        principal: &Principal,
        request: pb::UpdateShiftRequest,
    ) -> ApiResult<pb::Shift> {
        authorize(principal, Action::ReadRoster)?;
        let given = request.shift.ok_or_else(|| ApiError::invalid("shift", "is required"))?;
        let paths = request.update_mask.map(|mask| mask.paths).unwrap_or_default();
        if paths.is_empty() {
            return Err(ApiError::invalid(
                "update_mask",
                "name the fields to change: kind, starts_at, ends_at, state, notes, team_id",
            ));
        }
        let mut transaction = self.db.begin().await?;
        let current =
            shifts::get(&mut transaction, &given.id).await?.ok_or_else(|| ApiError::not_found("shift", &given.id))?;
        access::check_writes_roster(principal, &current.team_id)?;
        if !given.etag.is_empty() && given.etag != current.etag() {
            return Err(ApiError::stale_etag("shift", &given.id));
        }
        let person = self.lock_person(&mut transaction, &current.person_id).await?;
        let mut next = current.clone();
        let mut violations = Violations::new();
        for path in &paths {
            match path.as_str() {
                "kind" => next.kind = shift_kind(&mut violations, given.kind).unwrap_or(current.kind),
                "starts_at" => next.starts_at = convert::instant(&mut violations, "shift.starts_at", &given.starts_at),
                "ends_at" => next.ends_at = convert::instant(&mut violations, "shift.ends_at", &given.ends_at),
                "state" => {
                    next.state =
                        convert::enum_field(&mut violations, "shift.state", given.state, ShiftState::from_number)
                            .unwrap_or(current.state)
                }
                "notes" => next.notes = given.notes.clone(),
                "team_id" => next.team_id = given.team_id.clone(),
                other => violations.add(
                    "update_mask.paths",
                    format!("`{other}` cannot be updated; use kind, starts_at, ends_at, state, notes, team_id"),
                ),
            }
        }
        violations.into_result()?;
        access::check_writes_shift(principal, &next.team_id, &person.team_id)?;
        if next == current {
            return Ok(convert::shift(&current, convert::time_zone(&person.time_zone)));
        }
        next.updated_at = time::now_micros();
        next.revision = current.revision + 1;
        self.place_shift(&mut transaction, principal, &next, Some(&current), &person).await?;
        transaction.commit().await?;
        self.feed.committed();
        Ok(convert::shift(&next, convert::time_zone(&person.time_zone)))
    }

    pub(super) async fn delete_shift(
        &self,
        principal: &Principal,
        request: pb::DeleteShiftRequest,
    ) -> ApiResult<pb::DeleteShiftResponse> {
        authorize(principal, Action::ReadRoster)?;
        let mut transaction = self.db.begin().await?;
        let shift = shifts::get(&mut transaction, &request.id)
            .await?
            .ok_or_else(|| ApiError::not_found("shift", &request.id))?;
        access::check_writes_roster(principal, &shift.team_id)?;
        let person = self.lock_person(&mut transaction, &shift.person_id).await?;
        if shift.kind == ShiftKind::Work {
            let around = shifts::of_person(&mut transaction, &person.id, shift.starts_at, shift.ends_at).await?;
            if let Some(activity) = shift::activities_within(&shift, &around).first() {
                return Err(ApiError::FailedPrecondition {
                    reason: "SHIFT_HAS_ACTIVITIES",
                    message: format!(
                        "the {} {} lies inside this shift; delete it first",
                        activity.kind.name(),
                        activity.id
                    ),
                });
            }
        }
        shifts::delete(&mut transaction, &shift.id).await?;
        self.shift_event(&mut transaction, principal, &shift, convert::time_zone(&person.time_zone), true).await?;
        transaction.commit().await?;
        self.feed.committed();
        Ok(pb::DeleteShiftResponse {})
    }

    pub(super) async fn publish_shifts(
        &self,
        principal: &Principal,
        request: pb::PublishShiftsRequest,
    ) -> ApiResult<pb::PublishShiftsResponse> {
        authorize(principal, Action::ReadRoster)?;
        access::check_writes_roster(principal, &request.team_id)?;
        let (from, to) = range(&request.from, &request.to)?;
        let mut transaction = self.db.begin().await?;
        let drafts: Vec<Shift> = shifts::roster(&mut transaction, &request.team_id, from, to, true, "")
            .await?
            .into_iter()
            .filter(|s| s.state == ShiftState::Draft && s.starts_at >= from)
            .collect();
        let now = time::now_micros();
        for draft in &drafts {
            let published =
                Shift { state: ShiftState::Published, updated_at: now, revision: draft.revision + 1, ..draft.clone() };
            if !shifts::update(&mut transaction, &published, draft.revision).await? {
                return Err(ApiError::Aborted {
                    reason: "CONCURRENT_UPDATE",
                    message: format!("shift {} changed meanwhile; retry", draft.id),
                });
            }
            self.shift_event(&mut transaction, principal, &published, Tz::UTC, false).await?;
        }
        transaction.commit().await?;
        self.feed.committed();
        Ok(pb::PublishShiftsResponse { published: drafts.len() as i32 })
    }

    /// Copies a week to another keeping each person's local wall-clock times, as drafts.
    pub(super) async fn copy_shifts(
        &self,
        principal: &Principal,
        request: pb::CopyShiftsRequest,
    ) -> ApiResult<pb::CopyShiftsResponse> {
        authorize(principal, Action::ReadRoster)?;
        access::check_writes_roster(principal, &request.team_id)?;
        let mut violations = Violations::new();
        let from_week = convert::instant(&mut violations, "from_week_start", &request.from_week_start);
        let to_week = convert::instant(&mut violations, "to_week_start", &request.to_week_start);
        violations.into_result()?;
        let mut transaction = self.db.begin().await?;
        let team = teams::get(&mut transaction, &request.team_id)
            .await?
            .ok_or_else(|| ApiError::not_found("team", &request.team_id))?;
        let team_tz = convert::time_zone(&team.time_zone);
        let days = shift::local_days_between(from_week, to_week, team_tz)
            .ok_or_else(|| ApiError::invalid("to_week_start", "is out of range"))?;
        if days.abs() < 7 {
            return Err(ApiError::invalid("to_week_start", "must be at least a week away from from_week_start"));
        }
        let mut source = shifts::roster(&mut transaction, &team.id, from_week, from_week + 7 * DAY, true, "").await?;
        source.retain(|s| s.starts_at >= from_week);
        // Work before activities, so each activity finds its shift already copied.
        source.sort_by_key(|s| (s.kind.is_activity(), s.starts_at));
        let now = time::now_micros();
        let (mut created, mut skipped) = (Vec::new(), Vec::new());
        for original in source {
            let person = self.lock_person(&mut transaction, &original.person_id).await?;
            let tz = convert::time_zone(&person.time_zone);
            let (Some(starts_at), Some(ends_at)) = (
                shift::same_wall_clock_days_later(original.starts_at, days, tz),
                shift::same_wall_clock_days_later(original.ends_at, days, tz),
            ) else {
                skipped.push(original.id);
                continue;
            };
            let copy = Shift {
                id: uuid::Uuid::now_v7().to_string(),
                starts_at,
                ends_at,
                state: ShiftState::Draft,
                updated_at: now,
                revision: 1,
                ..original.clone()
            };
            match self.place_shift(&mut transaction, principal, &copy, None, &person).await {
                Ok(()) => created.push(convert::shift(&copy, tz)),
                Err(ApiError::FailedPrecondition { .. }) => skipped.push(original.id),
                Err(error) => return Err(error),
            }
        }
        transaction.commit().await?;
        self.feed.committed();
        Ok(pb::CopyShiftsResponse { created, skipped_shift_ids: skipped })
    }

    /// A team's shifts with each shown in its person's time zone.
    async fn roster_of(&self, principal: &Principal, request: &pb::RosterRequest) -> ApiResult<Vec<pb::Shift>> {
        authorize(principal, Action::ReadRoster)?;
        if request.team_id.is_empty() {
            return Err(ApiError::invalid("team_id", "is required"));
        }
        let (from, to) = range(&request.from, &request.to)?;
        let include_drafts = request.include_drafts
            && (access::manages_team(principal, &request.team_id)
                || principal.role == frontline_shared::auth::Role::Scheduler);
        let mut connection = self.db.reader().acquire().await?;
        teams::get(&mut connection, &request.team_id)
            .await?
            .ok_or_else(|| ApiError::not_found("team", &request.team_id))?;
        let roster =
            shifts::roster(&mut connection, &request.team_id, from, to, include_drafts, &request.person_id).await?;
        let ids: Vec<String> = roster.iter().map(|s| s.person_id.clone()).collect::<HashSet<_>>().into_iter().collect();
        let zones: HashMap<String, Tz> = people::by_ids(&mut connection, &ids)
            .await?
            .into_iter()
            .map(|p| (p.id, convert::time_zone(&p.time_zone)))
            .collect();
        Ok(roster.iter().map(|s| convert::shift(s, zones.get(&s.person_id).copied().unwrap_or(Tz::UTC))).collect())
    }

    pub(super) async fn list_roster(
        &self,
        principal: &Principal,
        request: pb::RosterRequest,
    ) -> ApiResult<pb::RosterResponse> {
        Ok(pb::RosterResponse { shifts: self.roster_of(principal, &request).await? })
    }

    /// Streams the roster a day at a time, so a long range starts arriving at once.
    pub(super) async fn stream_roster(
        &self,
        principal: &Principal,
        request: pb::RosterRequest,
    ) -> ApiResult<BoxStream<'static, Result<pb::Shift, tonic::Status>>> {
        authorize(principal, Action::ReadRoster)?;
        let (from, to) = range(&request.from, &request.to)?;
        // Check access and arguments before the stream starts, so mistakes come back as a status.
        self.roster_of(
            principal,
            &pb::RosterRequest { to: Some(time::to_timestamp((from + DAY).min(to))), ..request.clone() },
        )
        .await?;
        let api = self.clone();
        let principal = principal.clone();
        let stream = async_stream::try_stream! {
            let mut day = from;
            let mut seen = HashSet::new();
            while day < to {
                let window = pb::RosterRequest { from: Some(time::to_timestamp(day)), to: Some(time::to_timestamp((day + DAY).min(to))), ..request.clone() };
                for shift in api.roster_of(&principal, &window).await.map_err(tonic::Status::from)? {
                    // A shift spanning midnight belongs to two windows; send it once.
                    if seen.insert(shift.id.clone()) {
                        yield shift;
                    }
                }
                day += DAY;
            }
        };
        Ok(Box::pin(stream))
    }

    pub(super) async fn export_roster(
        &self,
        principal: &Principal,
        request: pb::ExportRosterRequest,
    ) -> ApiResult<pb::ExportRosterResponse> {
        authorize(principal, Action::ReadRoster)?;
        let (from, to) = range(&request.from, &request.to)?;
        let mut connection = self.db.reader().acquire().await?;
        let team = teams::get(&mut connection, &request.team_id)
            .await?
            .ok_or_else(|| ApiError::not_found("team", &request.team_id))?;
        let roster = shifts::roster(&mut connection, &team.id, from, to, false, &request.person_id).await?;
        let ids: Vec<String> = roster.iter().map(|s| s.person_id.clone()).collect::<HashSet<_>>().into_iter().collect();
        let names: HashMap<String, String> =
            people::by_ids(&mut connection, &ids).await?.into_iter().map(|p| (p.id, p.name)).collect();
        let stamp = |micros: i64| chrono::DateTime::<chrono::Utc>::from_timestamp_micros(micros).unwrap_or_default();
        let entries: Vec<RosterEntry<'_>> = roster
            .iter()
            .map(|s| RosterEntry {
                shift_id: &s.id,
                person_id: &s.person_id,
                person_name: names.get(&s.person_id).map(String::as_str).unwrap_or(&s.person_id),
                team_name: &team.name,
                kind: s.kind.name(),
                starts_at: stamp(s.starts_at),
                ends_at: stamp(s.ends_at),
                updated_at: stamp(s.updated_at),
                notes: &s.notes,
            })
            .collect();
        let calendar = roster_calendar(
            &format!("{} roster", team.name),
            convert::time_zone(&team.time_zone),
            &entries,
            chrono::Utc::now(),
        );
        Ok(pb::ExportRosterResponse { icalendar: calendar })
    }

    /// Who is working at an instant with a skill — the question routing asks for every ticket.
    pub(super) async fn find_on_shift(
        &self,
        principal: &Principal,
        request: pb::FindOnShiftRequest,
    ) -> ApiResult<pb::FindOnShiftResponse> {
        authorize(principal, Action::ReadRoster)?;
        let at = match &request.at {
            Some(at) => time::from_timestamp(at).ok_or_else(|| ApiError::invalid("at", "is not a valid time"))?,
            None => time::now_micros(),
        };
        let min_proficiency = i64::from(request.min_proficiency.max(1));
        if min_proficiency > 5 {
            return Err(ApiError::invalid("min_proficiency", "must be 1 to 5"));
        }
        let limit = frontline_shared::pagination::page_size_within(request.max_results, 50, 500)
            .map_err(|_| ApiError::invalid("max_results", "must not be negative"))?;
        let skill = request.skill.trim().to_lowercase();
        let mut connection = self.db.reader().acquire().await?;
        let found = on_shift::working_at(
            &mut connection,
            at,
            (!skill.is_empty()).then_some((skill.as_str(), min_proficiency)),
            &request.team_id,
            limit,
        )
        .await?;
        let person_ids: Vec<String> = found.iter().map(|(person, _, _)| person.clone()).collect();
        let shift_ids: Vec<String> = found.iter().map(|(_, shift, _)| shift.clone()).collect();
        let people: HashMap<String, Person> =
            people::by_ids(&mut connection, &person_ids).await?.into_iter().map(|p| (p.id.clone(), p)).collect();
        let shifts: HashMap<String, Shift> =
            shifts::by_ids(&mut connection, &shift_ids).await?.into_iter().map(|s| (s.id.clone(), s)).collect();
        let working = found
            .iter()
            .filter_map(|(person_id, shift_id, proficiency)| {
                let (person, shift) = (people.get(person_id)?, shifts.get(shift_id)?);
                Some(pb::OnShiftPerson {
                    person: Some(convert::person(person, access::sees_costs_of(principal, &person.id))),
                    shift: Some(convert::shift(shift, convert::time_zone(&person.time_zone))),
                    proficiency: *proficiency as i32,
                })
            })
            .collect();
        Ok(pb::FindOnShiftResponse { people: working })
    }

    /// Replaces, for every person in the file, their shifts within the file's date range —
    /// all of it or, when any line is wrong, none of it.
    pub(super) async fn import_shifts(
        &self,
        principal: &Principal,
        request: pb::ImportShiftsRequest,
    ) -> ApiResult<pb::ImportShiftsResponse> {
        authorize(principal, Action::ReadRoster)?;
        if request.csv.len() > 4 * 1024 * 1024 {
            return Err(ApiError::invalid("csv", "must be at most 4 MiB; split the file by week"));
        }
        let (rows, mut errors) = parse_csv(&request.csv);
        if rows.is_empty() && errors.is_empty() {
            return Err(ApiError::invalid("csv", "holds no shifts"));
        }
        let mut transaction = self.db.begin().await?;
        let mut persons: HashMap<String, Person> = HashMap::new();
        for row in &rows {
            if persons.contains_key(&row.person_id) {
                continue;
            }
            match people::lock(&mut transaction, &row.person_id, self.db.backend() == Backend::Postgres).await? {
                Some(person) => {
                    if let Err(error) = access::check_writes_roster(principal, &person.team_id) {
                        errors.push(pb::ImportLineError { line: row.line, message: error.to_string() });
                    }
                    persons.insert(person.id.clone(), person);
                }
                None => errors.push(pb::ImportLineError {
                    line: row.line,
                    message: format!("no person has id {}", row.person_id),
                }),
            }
        }
        if !errors.is_empty() || rows.is_empty() {
            errors.sort_by_key(|e| e.line);
            return Ok(pb::ImportShiftsResponse { created: 0, replaced: 0, errors });
        }
        let from = rows.iter().map(|r| r.starts_at).min().unwrap_or_default();
        let to = rows.iter().map(|r| r.ends_at).max().unwrap_or_default();
        let now = time::now_micros();
        let mut replaced = 0;
        for person in persons.values() {
            for old in shifts::of_person(&mut transaction, &person.id, from, to).await? {
                if old.starts_at >= from && old.starts_at < to {
                    shifts::delete(&mut transaction, &old.id).await?;
                    replaced += 1;
                }
            }
        }
        let mut ordered: Vec<&CsvShift> = rows.iter().collect();
        ordered.sort_by_key(|r| (r.kind.is_activity(), r.starts_at));
        for row in ordered {
            let person = &persons[&row.person_id];
            let shift = Shift {
                id: uuid::Uuid::now_v7().to_string(),
                person_id: person.id.clone(),
                team_id: person.team_id.clone(),
                kind: row.kind,
                starts_at: row.starts_at,
                ends_at: row.ends_at,
                state: if request.publish { ShiftState::Published } else { ShiftState::Draft },
                notes: row.notes.clone(),
                updated_at: now,
                revision: 1,
            };
            if let Err(error) = self.place_shift(&mut transaction, principal, &shift, None, person).await {
                let message = match error {
                    ApiError::InvalidArgument(violations) => {
                        violations.iter().map(|v| v.description.clone()).collect::<Vec<_>>().join("; ")
                    }
                    other => other.to_string(),
                };
                errors.push(pb::ImportLineError { line: row.line, message });
            }
        }
        if !errors.is_empty() {
            // Dropping the transaction rolls every change back: an import never half-applies.
            return Ok(pb::ImportShiftsResponse { created: 0, replaced: 0, errors });
        }
        transaction.commit().await?;
        self.feed.committed();
        Ok(pb::ImportShiftsResponse { created: rows.len() as i32, replaced, errors })
    }
}

struct CsvShift {
    line: i32,
    person_id: String,
    kind: ShiftKind,
    starts_at: i64,
    ends_at: i64,
    notes: String,
}

/// Parses `person_id,kind,starts_at,ends_at[,notes]` with RFC 3339 times; every bad line is reported.
fn parse_csv(text: &str) -> (Vec<CsvShift>, Vec<pb::ImportLineError>) {
    let mut reader =
        csv::ReaderBuilder::new().has_headers(true).flexible(true).trim(csv::Trim::All).from_reader(text.as_bytes());
    let mut rows = Vec::new();
    let mut errors = Vec::new();
    let headers: Vec<String> =
        reader.headers().map(|h| h.iter().map(|s| s.to_lowercase()).collect()).unwrap_or_default();
    let expected = ["person_id", "kind", "starts_at", "ends_at"];
    if headers.len() < 4 || headers[..4] != expected {
        errors.push(pb::ImportLineError {
            line: 1,
            message: "the header must be person_id,kind,starts_at,ends_at[,notes]".into(),
        });
        return (rows, errors);
    }
    for (index, record) in reader.records().enumerate() {
        let line = index as i32 + 2;
        let record = match record {
            Ok(record) => record,
            Err(error) => {
                errors.push(pb::ImportLineError { line, message: error.to_string() });
                continue;
            }
        };
        let field = |n: usize| record.get(n).unwrap_or("").to_string();
        let instant = |text: String| chrono::DateTime::parse_from_rfc3339(&text).map(|t| t.timestamp_micros());
        let kind = match field(1).to_lowercase().as_str() {
            "work" => Some(ShiftKind::Work),
            "break" => Some(ShiftKind::Break),
            "lunch" => Some(ShiftKind::Lunch),
            "meeting" => Some(ShiftKind::Meeting),
            "training" => Some(ShiftKind::Training),
            _ => None,
        };
        match (field(0), kind, instant(field(2)), instant(field(3))) {
            (person_id, _, _, _) if person_id.is_empty() => {
                errors.push(pb::ImportLineError { line, message: "person_id is empty".into() })
            }
            (_, None, _, _) => errors.push(pb::ImportLineError {
                line,
                message: format!("kind `{}` is not work, break, lunch, meeting or training", field(1)),
            }),
            (_, _, Err(_), _) => errors.push(pb::ImportLineError {
                line,
                message: format!("starts_at `{}` is not an RFC 3339 time", field(2)),
            }),
            (_, _, _, Err(_)) => errors
                .push(pb::ImportLineError { line, message: format!("ends_at `{}` is not an RFC 3339 time", field(3)) }),
            (person_id, Some(kind), Ok(starts_at), Ok(ends_at)) => {
                if ends_at <= starts_at || ends_at - starts_at > MAX_SHIFT_MICROS {
                    errors.push(pb::ImportLineError {
                        line,
                        message: "ends_at must be after starts_at, at most 24 hours later".into(),
                    });
                } else {
                    rows.push(CsvShift { line, person_id, kind, starts_at, ends_at, notes: field(4) });
                }
            }
        }
    }
    (rows, errors)
}
