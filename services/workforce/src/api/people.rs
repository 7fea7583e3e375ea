//! People, teams and departments.
use frontline_proto::workforce::v1 as pb;
use frontline_shared::{
    ApiError, ApiResult,
    auth::Principal,
    database::{is_unique_violation, time},
    feed::{self, NewEvent},
    filter::{self, FieldKind, FilterField},
    pagination::{self, Cursor},
};
use sqlx::AnyConnection;

use super::{WorkforceApi, convert};
use crate::{
    domain::{
        access::{self, Action, authorize},
        person::Person,
        team::{Department, Team},
    },
    store::{people, teams},
};

fn role_filter(value: &str) -> Option<i64> {
    filter::enum_value(value, "PERSON_ROLE_", |name| pb::PersonRole::from_str_name(name).map(|v| v as i32))
}

fn status_filter(value: &str) -> Option<i64> {
    filter::enum_value(value, "EMPLOYMENT_STATUS_", |name| pb::EmploymentStatus::from_str_name(name).map(|v| v as i32))
}

const FILTER_FIELDS: &[FilterField] = &[
    FilterField { name: "team_id", column: "team_id", kind: FieldKind::Text },
    FilterField { name: "manager_id", column: "manager_id", kind: FieldKind::Text },
    FilterField { name: "role", column: "role", kind: FieldKind::Enum(role_filter) },
    FilterField { name: "employment_status", column: "employment_status", kind: FieldKind::Enum(status_filter) },
    FilterField {
        name: "skill",
        column: "",
        kind: FieldKind::Contains("id IN (SELECT person_id FROM person_skills WHERE skill = {})"),
    },
];

/// How far up a reporting line is followed when looking for a cycle.
const MAX_REPORTING_DEPTH: usize = 64;

impl WorkforceApi {
    pub(super) async fn create_person(
        &self,
        principal: &Principal,
        request: pb::CreatePersonRequest,
    ) -> ApiResult<pb::Person> {
        authorize(principal, Action::ManagePeople)?;
        let given = request.person.ok_or_else(|| ApiError::invalid("person", "is required"))?;
        let person = Person::create(convert::person_fields(given)?, time::now_micros())?;
        let mut transaction = self.db.begin().await?;
        check_references(&mut transaction, &person).await?;
        people::insert(&mut transaction, &person).await.map_err(|error| {
            if is_unique_violation(&error) {
                ApiError::AlreadyExists {
                    reason: "PERSON_EXISTS",
                    message: format!("a person with id {} or that external_id exists", person.id),
                }
            } else {
                error.into()
            }
        })?;
        let hire = person.hired(&principal.subject);
        people::insert_career_event(&mut transaction, &hire).await?;
        self.person_event(&mut transaction, principal, "person.created", &person, &[]).await?;
        self.career_event(&mut transaction, principal, &hire).await?;
        transaction.commit().await?;
        self.feed.committed();
        Ok(convert::person(&person, true))
    }

    pub(super) async fn get_person(
        &self,
        principal: &Principal,
        request: pb::GetPersonRequest,
    ) -> ApiResult<pb::Person> {
        authorize(principal, Action::ReadPeople)?;
        if request.id.is_empty() {
            return Err(ApiError::invalid("id", "is required"));
        }
        let mut connection = self.db.reader().acquire().await?;
        let person = people::get(&mut connection, &request.id)
            .await?
            .ok_or_else(|| ApiError::not_found("person", &request.id))?;
        Ok(convert::person(&person, access::sees_costs_of(principal, &person.id)))
    }

    pub(super) async fn list_people(
        &self,
        principal: &Principal,
        request: pb::ListPeopleRequest,
    ) -> ApiResult<pb::ListPeopleResponse> {
        authorize(principal, Action::ReadPeople)?;
        let page_size = pagination::page_size(request.page_size)?;
        let sql_filter = filter::to_sql(&filter::parse(&request.filter)?, FILTER_FIELDS, 1)?;
        let query = pagination::query_fingerprint(principal, &["people", &request.filter]);
        let after = pagination::decode_token(&request.page_token, &query)?.map(|cursor| cursor.id).unwrap_or_default();
        let mut connection = self.db.reader().acquire().await?;
        let mut page = people::list(&mut connection, &sql_filter, &after, page_size + 1).await?;
        let next_page_token = pagination::finish_page(&mut page, page_size, &query, |last| Cursor {
            sort_key: String::new(),
            id: last.id.clone(),
        });
        Ok(pb::ListPeopleResponse {
            people: page.iter().map(|p| convert::person(p, access::sees_costs_of(principal, &p.id))).collect(),
            next_page_token,
        })
    }

    pub(super) async fn update_person(
        &self,
        principal: &Principal,
        request: pb::UpdatePersonRequest,
    ) -> ApiResult<pb::Person> {
        authorize(principal, Action::ManagePeople)?;
        let given = request.person.ok_or_else(|| ApiError::invalid("person", "is required"))?;
        let (id, etag) = (given.id.clone(), given.etag.clone());
        if id.is_empty() {
            return Err(ApiError::invalid("person.id", "is required"));
        }
        let fields = convert::person_fields(given)?;
        let paths = request.update_mask.map(|mask| mask.paths).unwrap_or_default();
        let mut transaction = self.db.begin().await?;
        let current = people::get(&mut transaction, &id).await?.ok_or_else(|| ApiError::not_found("person", &id))?;
        if !etag.is_empty() && etag != current.etag() {
            return Err(ApiError::stale_etag("person", &id));
        }
        let (next, changed, career) = current.update(&fields, &paths, &principal.subject, time::now_micros())?;
        if changed.is_empty() {
            return Ok(convert::person(&current, true));
        }
        check_references(&mut transaction, &next).await?;
        if !people::update(&mut transaction, &next, current.revision).await? {
            return Err(ApiError::Aborted {
                reason: "CONCURRENT_UPDATE",
                message: format!("person {id} changed meanwhile; retry"),
            });
        }
        self.person_event(&mut transaction, principal, "person.updated", &next, &changed).await?;
        if let Some(career) = career {
            people::insert_career_event(&mut transaction, &career).await?;
            self.career_event(&mut transaction, principal, &career).await?;
        }
        transaction.commit().await?;
        self.feed.committed();
        Ok(convert::person(&next, true))
    }

    pub(super) async fn list_career_events(
        &self,
        principal: &Principal,
        request: pb::ListCareerEventsRequest,
    ) -> ApiResult<pb::ListCareerEventsResponse> {
        authorize(principal, Action::ReadPeople)?;
        let mut connection = self.db.reader().acquire().await?;
        people::get(&mut connection, &request.person_id)
            .await?
            .ok_or_else(|| ApiError::not_found("person", &request.person_id))?;
        let events = people::career_events(&mut connection, &request.person_id).await?;
        Ok(pb::ListCareerEventsResponse { events: events.iter().map(convert::career_event).collect() })
    }

    pub(super) async fn create_department(
        &self,
        principal: &Principal,
        request: pb::CreateDepartmentRequest,
    ) -> ApiResult<pb::Department> {
        authorize(principal, Action::ManagePeople)?;
        let given = request.department.ok_or_else(|| ApiError::invalid("department", "is required"))?;
        let id = if given.id.is_empty() { slug(&given.name) } else { given.id.clone() };
        let department = Department::create(id, &given.name, &given.head_id, time::now_micros())?;
        let mut transaction = self.db.begin().await?;
        teams::insert_department(&mut transaction, &department).await.map_err(|error| {
            if is_unique_violation(&error) {
                ApiError::AlreadyExists {
                    reason: "DEPARTMENT_EXISTS",
                    message: format!("department {} exists", department.name),
                }
            } else {
                error.into()
            }
        })?;
        transaction.commit().await?;
        Ok(convert::department(&department))
    }

    pub(super) async fn list_departments(&self, principal: &Principal) -> ApiResult<pb::ListDepartmentsResponse> {
        authorize(principal, Action::ReadPeople)?;
        let mut connection = self.db.reader().acquire().await?;
        Ok(pb::ListDepartmentsResponse {
            departments: teams::departments(&mut connection).await?.iter().map(convert::department).collect(),
        })
    }

    pub(super) async fn create_team(
        &self,
        principal: &Principal,
        request: pb::CreateTeamRequest,
    ) -> ApiResult<pb::Team> {
        authorize(principal, Action::ManagePeople)?;
        let given = request.team.ok_or_else(|| ApiError::invalid("team", "is required"))?;
        let mut fields = convert::team_fields(given);
        if fields.id.is_empty() {
            fields.id = slug(&fields.name);
        }
        let team = Team::create(fields, time::now_micros())?;
        let mut transaction = self.db.begin().await?;
        if !team.department_id.is_empty() && !teams::department_exists(&mut transaction, &team.department_id).await? {
            return Err(ApiError::invalid(
                "team.department_id",
                format!("no department has id {}", team.department_id),
            ));
        }
        teams::insert(&mut transaction, &team).await.map_err(|error| {
            if is_unique_violation(&error) {
                ApiError::AlreadyExists {
                    reason: "TEAM_EXISTS",
                    message: format!("a team with id {} or name {} exists", team.id, team.name),
                }
            } else {
                error.into()
            }
        })?;
        self.team_event(&mut transaction, principal, &team).await?;
        transaction.commit().await?;
        self.feed.committed();
        Ok(convert::team(&team))
    }

    pub(super) async fn get_team(&self, principal: &Principal, request: pb::GetTeamRequest) -> ApiResult<pb::Team> {
        authorize(principal, Action::ReadPeople)?;
        let mut connection = self.db.reader().acquire().await?;
        let team =
            teams::get(&mut connection, &request.id).await?.ok_or_else(|| ApiError::not_found("team", &request.id))?;
        Ok(convert::team(&team))
    }

    pub(super) async fn list_teams(
        &self,
        principal: &Principal,
        request: pb::ListTeamsRequest,
    ) -> ApiResult<pb::ListTeamsResponse> {
        authorize(principal, Action::ReadPeople)?;
        let mut connection = self.db.reader().acquire().await?;
        Ok(pb::ListTeamsResponse {
            teams: teams::list(&mut connection, &request.department_id).await?.iter().map(convert::team).collect(),
        })
    }

    pub(super) async fn update_team(
        &self,
        principal: &Principal,
        request: pb::UpdateTeamRequest,
    ) -> ApiResult<pb::Team> {
        authorize(principal, Action::ManagePeople)?;
        let given = request.team.ok_or_else(|| ApiError::invalid("team", "is required"))?;
        let (id, etag) = (given.id.clone(), given.etag.clone());
        let paths = request.update_mask.map(|mask| mask.paths).unwrap_or_default();
        let mut transaction = self.db.begin().await?;
        let current = teams::get(&mut transaction, &id).await?.ok_or_else(|| ApiError::not_found("team", &id))?;
        if !etag.is_empty() && etag != current.etag() {
            return Err(ApiError::stale_etag("team", &id));
        }
        let next = current.update(&convert::team_fields(given), &paths, time::now_micros())?;
        if next != current {
            if !teams::update(&mut transaction, &next, current.revision).await? {
                return Err(ApiError::Aborted {
                    reason: "CONCURRENT_UPDATE",
                    message: format!("team {id} changed meanwhile; retry"),
                });
            }
            self.team_event(&mut transaction, principal, &next).await?;
        }
        transaction.commit().await?;
        self.feed.committed();
        Ok(convert::team(&next))
    }

    async fn person_event(
        &self,
        connection: &mut AnyConnection,
        principal: &Principal,
        event_type: &str,
        person: &Person,
        changed: &[&str],
    ) -> ApiResult<()> {
        feed::append(
            connection,
            NewEvent {
                event_type,
                aggregate_type: "person",
                aggregate_id: &person.id,
                actor: &principal.subject,
                payload: &pb::PersonChanged {
                    person: Some(convert::person(person, true)),
                    changed_fields: changed.iter().map(|f| f.to_string()).collect(),
                },
            },
        )
        .await?;
        Ok(())
    }

    async fn career_event(
        &self,
        connection: &mut AnyConnection,
        principal: &Principal,
        event: &crate::domain::person::CareerEvent,
    ) -> ApiResult<()> {
        feed::append(
            connection,
            NewEvent {
                event_type: "person.career_event",
                aggregate_type: "person",
                aggregate_id: &event.person_id,
                actor: &principal.subject,
                payload: &pb::CareerEventRecorded { event: Some(convert::career_event(event)) },
            },
        )
        .await?;
        Ok(())
    }

    async fn team_event(&self, connection: &mut AnyConnection, principal: &Principal, team: &Team) -> ApiResult<()> {
        feed::append(
            connection,
            NewEvent {
                event_type: "team.changed",
                aggregate_type: "team",
                aggregate_id: &team.id,
                actor: &principal.subject,
                payload: &pb::TeamChanged { team: Some(convert::team(team)) },
            },
        )
        .await?;
        Ok(())
    }
}

/// A person's team and manager must exist, and the reporting line must not loop.
async fn check_references(connection: &mut AnyConnection, person: &Person) -> ApiResult<()> {
    if !person.team_id.is_empty() && teams::get(connection, &person.team_id).await?.is_none() {
        return Err(ApiError::invalid("person.team_id", format!("no team has id {}", person.team_id)));
    }
    let mut manager_id = person.manager_id.clone();
    for _ in 0..MAX_REPORTING_DEPTH {
        if manager_id.is_empty() {
            return Ok(());
        }
        if manager_id == person.id {
            return Err(ApiError::invalid("person.manager_id", "the reporting line would loop back to this person"));
        }
        let manager = people::get(connection, &manager_id)
            .await?
            .ok_or_else(|| ApiError::invalid("person.manager_id", format!("no person has id {manager_id}")))?;
        manager_id = manager.manager_id;
    }
    Err(ApiError::invalid("person.manager_id", "the reporting line is deeper than 64 levels"))
}

/// An id from a name: lower-case letters and digits joined by dashes.
fn slug(name: &str) -> String {
    let words: Vec<String> =
        name.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).map(|w| w.to_lowercase()).collect();
    let slug = words.join("-").chars().filter(|c| c.is_ascii_alphanumeric() || *c == '-').collect::<String>();
    if slug.is_empty() { uuid::Uuid::now_v7().to_string() } else { slug.chars().take(64).collect() }
}
