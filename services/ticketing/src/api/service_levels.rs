//! Administering service levels: business-hours calendars (with iCalendar holiday import) and
//! the ordered SLA policies. Every change reaches the feed. A changed policy applies to a
//! ticket from its next event, or at its next deadline, whichever comes first (the scheduler
//! recomputes a ticket's clocks before it fires anything for it).
use frontline_proto::ticketing::v1 as pb;
use frontline_shared::{
    ApiError, ApiResult,
    auth::Principal,
    error::Violations,
    feed::{self, NewEvent},
    field_mask,
};
use sqlx::AnyConnection;

use super::{TicketingApi, service_level_convert as convert};
use crate::{
    domain::{
        access::{Action, authorize},
        calendar::holidays_from_icalendar,
        service_level::{BusinessCalendar, MAX_HOLIDAYS, SlaPolicy},
    },
    store::{calendars, sla_policies},
};

const CALENDAR_FIELDS: &[&str] = &["name", "time_zone", "intervals", "holidays"];
const POLICY_FIELDS: &[&str] = &["name", "description", "conditions", "targets", "calendar_id", "warning_lead_seconds"];

async fn append_event<M: prost::Name>(
    api: &TicketingApi,
    connection: &mut AnyConnection,
    principal: &Principal,
    event_type: &str,
    aggregate_type: &str,
    id: &str,
    payload: &M,
) -> ApiResult<()> {
    api.rules.invalidate();
    feed::append(
        connection,
        NewEvent { event_type, aggregate_type, aggregate_id: id, actor: &principal.subject, payload },
    )
    .await?;
    Ok(())
}

fn check_etag(given: &str, revision: i64, resource: &'static str, id: &str) -> ApiResult<()> {
    if !given.is_empty() && given != revision.to_string() {
        return Err(ApiError::stale_etag(resource, id));
    }
    Ok(())
}

fn lost_race(resource: &str, id: &str) -> ApiError {
    ApiError::Aborted {
        reason: "CONCURRENT_UPDATE",
        message: format!("{resource} {id} was changed by another request at the same moment; re-read it and retry"),
    }
}

impl TicketingApi {
    pub(super) async fn create_business_calendar(
        &self,
        principal: &Principal,
        request: pb::CreateBusinessCalendarRequest,
    ) -> ApiResult<pb::BusinessCalendar> {
        authorize(principal, Action::ConfigureRules)?;
        let given = request.calendar.ok_or_else(|| ApiError::invalid("calendar", "is required"))?;
        let mut violations = Violations::new();
        let mut calendar = convert::calendar_fields(given, &mut violations);
        violations.into_result()?;
        calendar.check()?;
        let now = self.clock.now_micros();
        calendar.id = uuid::Uuid::now_v7().to_string();
        (calendar.revision, calendar.created_at, calendar.updated_at) = (1, now, now);
        let wire = convert::calendar(&calendar);
        let mut transaction = self.db.begin().await?;
        calendars::insert(&mut transaction, &calendar).await?;
        append_event(self, &mut transaction, principal, "calendar.created", "calendar", &calendar.id, &wire).await?;
        transaction.commit().await?;
        self.rules_changed();
        Ok(wire)
    }

    async fn calendar(&self, connection: &mut AnyConnection, id: &str) -> ApiResult<BusinessCalendar> {
        if id.is_empty() {
            return Err(ApiError::invalid("id", "is required"));
        }
        calendars::get(connection, id).await?.ok_or_else(|| ApiError::not_found("calendar", id))
    }

    pub(super) async fn get_business_calendar(
        &self,
        principal: &Principal,
        request: pb::GetBusinessCalendarRequest,
    ) -> ApiResult<pb::BusinessCalendar> {
        authorize(principal, Action::ReadRules)?;
        let mut connection = self.db.reader().acquire().await?;
        Ok(convert::calendar(&self.calendar(&mut connection, &request.id).await?))
    }

    pub(super) async fn list_business_calendars(
        &self,
        principal: &Principal,
        _request: pb::ListBusinessCalendarsRequest,
    ) -> ApiResult<pb::ListBusinessCalendarsResponse> {
        authorize(principal, Action::ReadRules)?;
        let mut connection = self.db.reader().acquire().await?;
        let all = calendars::all(&mut connection).await?;
        Ok(pb::ListBusinessCalendarsResponse { calendars: all.iter().map(convert::calendar).collect() })
    }

    pub(super) async fn update_business_calendar(
        &self,
        principal: &Principal,
        request: pb::UpdateBusinessCalendarRequest,
    ) -> ApiResult<pb::BusinessCalendar> {
        authorize(principal, Action::ConfigureRules)?;
        let given = request.calendar.ok_or_else(|| ApiError::invalid("calendar", "is required"))?;
        let (id, etag) = (given.id.clone(), given.etag.clone());
        let populated = |path: &str| match path {
            "name" => !given.name.is_empty(),
            "time_zone" => !given.time_zone.is_empty(),
            "intervals" => !given.intervals.is_empty(),
            "holidays" => !given.holidays.is_empty(),
            _ => false,
        };
        let paths = request.update_mask.map(|mask| mask.paths).unwrap_or_default();
        let paths = field_mask::resolve(&paths, CALENDAR_FIELDS, populated)?;
        let mut violations = Violations::new();
        let fields = convert::calendar_fields(given, &mut violations);
        violations.into_result()?;
        let mut transaction = self.db.begin().await?;
        let current = self.calendar(&mut transaction, &id).await?;
        check_etag(&etag, current.revision, "calendar", &id)?;
        let mut next = current.clone();
        for path in paths {
            match path {
                "name" => next.name = fields.name.clone(),
                "time_zone" => next.time_zone = fields.time_zone.clone(),
                "intervals" => next.intervals = fields.intervals.clone(),
                "holidays" => next.holidays = fields.holidays.clone(),
                _ => {}
            }
        }
        next.check()?;
        let calendar = self.save_calendar(&mut transaction, principal, &current, next).await?;
        transaction.commit().await?;
        self.rules_changed();
        Ok(calendar)
    }

    async fn save_calendar(
        &self,
        connection: &mut AnyConnection,
        principal: &Principal,
        current: &BusinessCalendar,
        mut next: BusinessCalendar,
    ) -> ApiResult<pb::BusinessCalendar> {
        next.revision = current.revision + 1;
        next.updated_at = self.clock.now_micros();
        if !calendars::update(connection, &next, current.revision).await? {
            return Err(lost_race("calendar", &next.id));
        }
        let wire = convert::calendar(&next);
        append_event(self, connection, principal, "calendar.updated", "calendar", &next.id, &wire).await?;
        Ok(wire)
    }

    pub(super) async fn delete_business_calendar(
        &self,
        principal: &Principal,
        request: pb::DeleteBusinessCalendarRequest,
    ) -> ApiResult<pb::DeleteBusinessCalendarResponse> {
        authorize(principal, Action::ConfigureRules)?;
        let mut transaction = self.db.begin().await?;
        let calendar = self.calendar(&mut transaction, &request.id).await?;
        let users = sla_policies::using_calendar(&mut transaction, &calendar.id).await?;
        if !users.is_empty() {
            return Err(ApiError::FailedPrecondition {
                reason: "CALENDAR_IN_USE",
                message: format!("SLA policies use this calendar: {}; move them to another first", users.join(", ")),
            });
        }
        calendars::delete(&mut transaction, &calendar.id).await?;
        let wire = convert::calendar(&calendar);
        append_event(self, &mut transaction, principal, "calendar.deleted", "calendar", &calendar.id, &wire).await?;
        transaction.commit().await?;
        self.rules_changed();
        Ok(pb::DeleteBusinessCalendarResponse {})
    }

    pub(super) async fn import_holidays(
        &self,
        principal: &Principal,
        request: pb::ImportHolidaysRequest,
    ) -> ApiResult<pb::ImportHolidaysResponse> {
        authorize(principal, Action::ConfigureRules)?;
        if request.calendar_id.is_empty() {
            return Err(ApiError::invalid("calendar_id", "is required"));
        }
        let days = holidays_from_icalendar(&request.icalendar)
            .map_err(|error| ApiError::invalid("icalendar", error.to_string()))?;
        let mut transaction = self.db.begin().await?;
        let current = self.calendar(&mut transaction, &request.calendar_id).await?;
        let mut next = current.clone();
        if request.replace {
            next.holidays.clear();
        }
        let before = next.holidays.len();
        next.holidays.extend(days);
        next.holidays.sort();
        next.holidays.dedup();
        let added = next.holidays.len() - before;
        if next.holidays.len() > MAX_HOLIDAYS {
            return Err(ApiError::invalid("icalendar", format!("a calendar holds at most {MAX_HOLIDAYS} holidays")));
        }
        let calendar = self.save_calendar(&mut transaction, principal, &current, next).await?;
        transaction.commit().await?;
        self.rules_changed();
        Ok(pb::ImportHolidaysResponse { calendar: Some(calendar), added: added as i32 })
    }

    /// A policy's calendar must exist when its targets need one.
    async fn check_policy(&self, connection: &mut AnyConnection, policy: &SlaPolicy) -> ApiResult<()> {
        policy.check()?;
        if !policy.calendar_id.is_empty() && calendars::get(connection, &policy.calendar_id).await?.is_none() {
            return Err(ApiError::invalid(
                "policy.calendar_id",
                format!("no business calendar has id {}", policy.calendar_id),
            ));
        }
        Ok(())
    }

    pub(super) async fn create_sla_policy(
        &self,
        principal: &Principal,
        request: pb::CreateSlaPolicyRequest,
    ) -> ApiResult<pb::SlaPolicy> {
        authorize(principal, Action::ConfigureRules)?;
        let given = request.policy.ok_or_else(|| ApiError::invalid("policy", "is required"))?;
        let mut violations = Violations::new();
        let mut policy = convert::policy_fields(given, &mut violations);
        if request.position < 0 {
            violations.add("position", "must be 0 (last) or a position from 1");
        }
        violations.into_result()?;
        let mut transaction = self.db.begin().await?;
        self.check_policy(&mut transaction, &policy).await?;
        let now = self.clock.now_micros();
        policy.id = uuid::Uuid::now_v7().to_string();
        (policy.revision, policy.created_at, policy.updated_at) = (1, now, now);
        let mut order: Vec<String> = sla_policies::all(&mut transaction).await?.into_iter().map(|p| p.id).collect();
        let at = match request.position {
            0 => order.len(),
            position => (position as usize - 1).min(order.len()),
        };
        order.insert(at, policy.id.clone());
        policy.position = at as i64 + 1;
        sla_policies::insert(&mut transaction, &policy).await?;
        renumber(&mut transaction, &order).await?;
        let wire = convert::policy(&policy);
        append_event(self, &mut transaction, principal, "sla_policy.created", "sla_policy", &policy.id, &wire).await?;
        transaction.commit().await?;
        self.rules_changed();
        Ok(wire)
    }

    async fn policy(&self, connection: &mut AnyConnection, id: &str) -> ApiResult<SlaPolicy> {
        if id.is_empty() {
            return Err(ApiError::invalid("id", "is required"));
        }
        sla_policies::get(connection, id).await?.ok_or_else(|| ApiError::not_found("SLA policy", id))
    }

    pub(super) async fn get_sla_policy(
        &self,
        principal: &Principal,
        request: pb::GetSlaPolicyRequest,
    ) -> ApiResult<pb::SlaPolicy> {
        authorize(principal, Action::ReadRules)?;
        let mut connection = self.db.reader().acquire().await?;
        Ok(convert::policy(&self.policy(&mut connection, &request.id).await?))
    }

    pub(super) async fn list_sla_policies(
        &self,
        principal: &Principal,
        _request: pb::ListSlaPoliciesRequest,
    ) -> ApiResult<pb::ListSlaPoliciesResponse> {
        authorize(principal, Action::ReadRules)?;
        let mut connection = self.db.reader().acquire().await?;
        let all = sla_policies::all(&mut connection).await?;
        Ok(pb::ListSlaPoliciesResponse { policies: all.iter().map(convert::policy).collect() })
    }

    pub(super) async fn update_sla_policy(
        &self,
        principal: &Principal,
        request: pb::UpdateSlaPolicyRequest,
    ) -> ApiResult<pb::SlaPolicy> {
        authorize(principal, Action::ConfigureRules)?;
        let given = request.policy.ok_or_else(|| ApiError::invalid("policy", "is required"))?;
        let (id, etag) = (given.id.clone(), given.etag.clone());
        let populated = |path: &str| match path {
            "name" => !given.name.is_empty(),
            "description" => !given.description.is_empty(),
            "conditions" => given.conditions.is_some(),
            "targets" => !given.targets.is_empty(),
            "calendar_id" => !given.calendar_id.is_empty(),
            "warning_lead_seconds" => given.warning_lead_seconds != 0,
            _ => false,
        };
        let paths = request.update_mask.map(|mask| mask.paths).unwrap_or_default();
        let paths = field_mask::resolve(&paths, POLICY_FIELDS, populated)?;
        let mut violations = Violations::new();
        let fields = convert::policy_fields(given, &mut violations);
        violations.into_result()?;
        let mut transaction = self.db.begin().await?;
        let current = self.policy(&mut transaction, &id).await?;
        check_etag(&etag, current.revision, "SLA policy", &id)?;
        let mut next = current.clone();
        for path in paths {
            match path {
                "name" => next.name = fields.name.clone(),
                "description" => next.description = fields.description.clone(),
                "conditions" => next.conditions = fields.conditions.clone(),
                "targets" => next.targets = fields.targets.clone(),
                "calendar_id" => next.calendar_id = fields.calendar_id.clone(),
                "warning_lead_seconds" => next.warning_lead_minutes = fields.warning_lead_minutes,
                _ => {}
            }
        }
        self.check_policy(&mut transaction, &next).await?;
        next.revision = current.revision + 1;
        next.updated_at = self.clock.now_micros();
        if !sla_policies::update(&mut transaction, &next, current.revision).await? {
            return Err(lost_race("SLA policy", &id));
        }
        let wire = convert::policy(&next);
        append_event(self, &mut transaction, principal, "sla_policy.updated", "sla_policy", &id, &wire).await?;
        transaction.commit().await?;
        self.rules_changed();
        Ok(wire)
    }

    pub(super) async fn delete_sla_policy(
        &self,
        principal: &Principal,
        request: pb::DeleteSlaPolicyRequest,
    ) -> ApiResult<pb::DeleteSlaPolicyResponse> {
        authorize(principal, Action::ConfigureRules)?;
        let mut transaction = self.db.begin().await?;
        let policy = self.policy(&mut transaction, &request.id).await?;
        sla_policies::delete(&mut transaction, &policy.id).await?;
        let order: Vec<String> = sla_policies::all(&mut transaction).await?.into_iter().map(|p| p.id).collect();
        renumber(&mut transaction, &order).await?;
        let wire = convert::policy(&policy);
        append_event(self, &mut transaction, principal, "sla_policy.deleted", "sla_policy", &policy.id, &wire).await?;
        transaction.commit().await?;
        self.rules_changed();
        Ok(pb::DeleteSlaPolicyResponse {})
    }

    pub(super) async fn reorder_sla_policies(
        &self,
        principal: &Principal,
        request: pb::ReorderSlaPoliciesRequest,
    ) -> ApiResult<pb::ReorderSlaPoliciesResponse> {
        authorize(principal, Action::ConfigureRules)?;
        let mut transaction = self.db.begin().await?;
        let current = sla_policies::all(&mut transaction).await?;
        let mut given = request.policy_ids.clone();
        given.sort();
        let mut known: Vec<String> = current.iter().map(|p| p.id.clone()).collect();
        known.sort();
        if given != known {
            return Err(ApiError::invalid(
                "policy_ids",
                format!("must name every SLA policy exactly once ({} policies exist)", known.len()),
            ));
        }
        renumber(&mut transaction, &request.policy_ids).await?;
        let policies = sla_policies::all(&mut transaction).await?;
        let wire: Vec<pb::SlaPolicy> = policies.iter().map(convert::policy).collect();
        let payload = pb::ReorderSlaPoliciesResponse { policies: wire.clone() };
        append_event(self, &mut transaction, principal, "sla_policy.reordered", "sla_policy", "", &payload).await?;
        transaction.commit().await?;
        self.rules_changed();
        Ok(payload)
    }
}

/// Positions 1..n in the given order.
async fn renumber(connection: &mut AnyConnection, order: &[String]) -> ApiResult<()> {
    for (index, id) in order.iter().enumerate() {
        sla_policies::set_position(connection, id, index as i64 + 1).await?;
    }
    Ok(())
}
