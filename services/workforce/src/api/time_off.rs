//! Time off: people request their own; their team's lead (or management) decides.
use frontline_proto::workforce::v1 as pb;
use frontline_shared::{
    ApiError, ApiResult,
    auth::Principal,
    database::time,
    error::Violations,
    feed::{self, NewEvent},
};

use super::{WorkforceApi, convert};
use crate::{
    domain::{
        access::{self, Action, authorize},
        time_off::{self as rules, TimeOff, TimeOffKind, TimeOffStatus},
    },
    store::{people, teams, time_off},
};

impl WorkforceApi {
    pub(super) async fn request_time_off(
        &self,
        principal: &Principal,
        request: pb::RequestTimeOffRequest,
    ) -> ApiResult<pb::TimeOff> {
        authorize(principal, Action::ReadRoster)?;
        let given = request.time_off.ok_or_else(|| ApiError::invalid("time_off", "is required"))?;
        let person_id = if given.person_id.is_empty() { principal.subject.clone() } else { given.person_id.clone() };
        let mut violations = Violations::new();
        let kind = convert::enum_field(&mut violations, "time_off.kind", given.kind, TimeOffKind::from_number);
        let starts_at = convert::instant(&mut violations, "time_off.starts_at", &given.starts_at);
        let ends_at = convert::instant(&mut violations, "time_off.ends_at", &given.ends_at);
        violations.into_result()?;
        let mut transaction = self.db.begin().await?;
        let person = people::get(&mut transaction, &person_id)
            .await?
            .ok_or_else(|| ApiError::invalid("time_off.person_id", format!("no person has id {person_id}")))?;
        if person.id != principal.subject {
            access::check_manages_team(principal, &person.team_id)?;
        }
        let time_off = TimeOff::request(
            uuid::Uuid::now_v7().to_string(),
            &person.id,
            kind,
            starts_at,
            ends_at,
            &given.reason,
            time::now_micros(),
        )?;
        time_off::insert(&mut transaction, &time_off).await?;
        self.time_off_event(&mut transaction, principal, &time_off).await?;
        transaction.commit().await?;
        self.feed.committed();
        Ok(convert::time_off(&time_off))
    }

    pub(super) async fn approve_time_off(
        &self,
        principal: &Principal,
        request: pb::DecideTimeOffRequest,
    ) -> ApiResult<pb::TimeOff> {
        self.decide(principal, request, TimeOffStatus::Approved).await
    }

    pub(super) async fn reject_time_off(
        &self,
        principal: &Principal,
        request: pb::DecideTimeOffRequest,
    ) -> ApiResult<pb::TimeOff> {
        self.decide(principal, request, TimeOffStatus::Rejected).await
    }

    pub(super) async fn cancel_time_off(
        &self,
        principal: &Principal,
        request: pb::DecideTimeOffRequest,
    ) -> ApiResult<pb::TimeOff> {
        self.decide(principal, request, TimeOffStatus::Cancelled).await
    }

    async fn decide(
        &self,
        principal: &Principal,
        request: pb::DecideTimeOffRequest,
        next: TimeOffStatus,
    ) -> ApiResult<pb::TimeOff> {
        authorize(principal, Action::ReadRoster)?;
        let mut transaction = self.db.begin().await?;
        let current = time_off::get(&mut transaction, &request.id)
            .await?
            .ok_or_else(|| ApiError::not_found("time off", &request.id))?;
        let person = people::get(&mut transaction, &current.person_id)
            .await?
            .ok_or_else(|| ApiError::not_found("person", &current.person_id))?;
        // People may cancel their own; everything else is the team's lead's or management's call.
        let own_cancel = next == TimeOffStatus::Cancelled && person.id == principal.subject;
        if !own_cancel {
            access::check_manages_team(principal, &person.team_id)?;
        }
        if !request.etag.is_empty() && request.etag != current.etag() {
            return Err(ApiError::stale_etag("time off", &request.id));
        }
        let decided = current.decide(next, &principal.subject, &request.note, time::now_micros())?;
        if next == TimeOffStatus::Approved {
            let own = time_off::overlapping(
                &mut transaction,
                std::slice::from_ref(&person.id),
                Some(TimeOffStatus::Approved),
                current.starts_at,
                current.ends_at,
            )
            .await?;
            let (team_away, limit) = match teams::get(&mut transaction, &person.team_id).await? {
                Some(team) if team.max_concurrent_time_off > 0 => {
                    let members: Vec<String> =
                        people::of_team(&mut transaction, &team.id).await?.into_iter().map(|p| p.id).collect();
                    let away = time_off::overlapping(
                        &mut transaction,
                        &members,
                        Some(TimeOffStatus::Approved),
                        current.starts_at,
                        current.ends_at,
                    )
                    .await?;
                    (away, team.max_concurrent_time_off)
                }
                _ => (Vec::new(), 0),
            };
            rules::check_approval(&current, &own, &team_away, limit)?;
        }
        if !time_off::update(&mut transaction, &decided, current.revision).await? {
            return Err(ApiError::Aborted {
                reason: "CONCURRENT_UPDATE",
                message: format!("time off {} changed meanwhile; retry", current.id),
            });
        }
        self.time_off_event(&mut transaction, principal, &decided).await?;
        transaction.commit().await?;
        self.feed.committed();
        Ok(convert::time_off(&decided))
    }

    pub(super) async fn list_time_off(
        &self,
        principal: &Principal,
        request: pb::ListTimeOffRequest,
    ) -> ApiResult<pb::ListTimeOffResponse> {
        authorize(principal, Action::ReadRoster)?;
        let mut violations = Violations::new();
        let status = convert::enum_field(&mut violations, "status", request.status, TimeOffStatus::from_number);
        let from = request.from.as_ref().map(|t| time::from_timestamp(t).unwrap_or(i64::MIN)).unwrap_or(i64::MIN);
        let to = request.to.as_ref().map(|t| time::from_timestamp(t).unwrap_or(i64::MAX)).unwrap_or(i64::MAX);
        violations.into_result()?;
        let mut connection = self.db.reader().acquire().await?;
        let person_ids: Vec<String> = if !request.person_id.is_empty() {
            vec![request.person_id.clone()]
        } else if !request.team_id.is_empty() {
            people::of_team(&mut connection, &request.team_id).await?.into_iter().map(|p| p.id).collect()
        } else {
            return Err(ApiError::invalid("team_id", "name a team or a person"));
        };
        if person_ids.is_empty() {
            return Ok(pb::ListTimeOffResponse { time_off: vec![] });
        }
        let found = time_off::overlapping(&mut connection, &person_ids, status, from, to).await?;
        // Why someone is away (sick, parental) is theirs and their management's to know.
        let shown = found
            .iter()
            .map(|t| {
                let mut wire = convert::time_off(t);
                let sees_reason = t.person_id == principal.subject || people_manager(principal);
                if !sees_reason {
                    wire.reason.clear();
                    wire.kind = 0;
                }
                wire
            })
            .collect();
        Ok(pb::ListTimeOffResponse { time_off: shown })
    }

    async fn time_off_event(
        &self,
        connection: &mut sqlx::AnyConnection,
        principal: &Principal,
        time_off: &TimeOff,
    ) -> ApiResult<()> {
        feed::append(
            connection,
            NewEvent {
                event_type: "time_off.changed",
                aggregate_type: "time_off",
                aggregate_id: &time_off.id,
                actor: &principal.subject,
                payload: &pb::TimeOffChanged { time_off: Some(convert::time_off(time_off)) },
            },
        )
        .await?;
        Ok(())
    }
}

fn people_manager(principal: &Principal) -> bool {
    use frontline_shared::auth::Role;
    matches!(
        principal.role,
        Role::TeamLead | Role::Supervisor | Role::Manager | Role::Director | Role::Administrator | Role::Service
    )
}
