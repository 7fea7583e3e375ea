//! Staffing: Erlang C / A for one interval, and plans for a team and date range.
use std::collections::HashMap;

use frontline_proto::{
    analytics::v1::{ForecastVolumeRequest, analytics_service_client::AnalyticsServiceClient},
    common::v1::Money as WireMoney,
    workforce::v1 as pb,
};
use frontline_shared::{
    ApiError, ApiResult,
    auth::{Principal, Role},
    database::time,
    error::Violations,
    peers::{self, PeerChannel},
};

use super::{WorkforceApi, convert};
use crate::{
    domain::{
        access::{self, Action, authorize},
        erlang::{self, Performance, StaffingInput},
        shift::ShiftKind,
        staffing::{self, ForecastInterval, Goal},
    },
    store::{people, shifts, teams},
};

pub type AnalyticsClient = AnalyticsServiceClient<PeerChannel>;

fn goal(given: Option<pb::ServiceGoal>) -> Goal {
    let given = given.unwrap_or_default();
    let or = |value: f64, default: f64| if value == 0.0 { default } else { value };
    Goal {
        service_level: or(given.service_level, 0.8),
        target_answer_seconds: or(given.target_answer_seconds, 20.0),
        max_occupancy: or(given.max_occupancy, 0.85),
        shrinkage: given.shrinkage,
        average_patience_seconds: (given.average_patience_seconds > 0.0).then_some(given.average_patience_seconds),
    }
}

fn performance(p: &Performance) -> pb::StaffingPerformance {
    pb::StaffingPerformance {
        agents: p.agents as i32,
        traffic_intensity: p.traffic_intensity,
        probability_of_waiting: p.probability_of_waiting,
        service_level: p.service_level,
        average_speed_of_answer: if p.average_speed_of_answer.is_finite() { p.average_speed_of_answer } else { 0.0 },
        occupancy: p.occupancy,
        abandonment_rate: p.abandonment_rate,
    }
}

impl WorkforceApi {
    pub(super) async fn compute_staffing(
        &self,
        principal: &Principal,
        request: pb::ErlangRequest,
    ) -> ApiResult<pb::ErlangResponse> {
        authorize(principal, Action::ReadRoster)?;
        let goal = goal(request.goal);
        let input = StaffingInput {
            volume: request.volume,
            interval_seconds: if request.interval_seconds == 0.0 { 1800.0 } else { request.interval_seconds },
            average_handle_seconds: request.average_handle_seconds,
            service_level_target: goal.service_level,
            target_answer_seconds: goal.target_answer_seconds,
            max_occupancy: goal.max_occupancy,
            shrinkage: goal.shrinkage,
            average_patience_seconds: goal.average_patience_seconds,
        };
        let requirement =
            erlang::requirement(&input).map_err(|error| ApiError::invalid("volume", error.to_string()))?;
        let at_given_agents = if request.agents > 0 {
            Some(performance(
                &erlang::performance(&input, request.agents as u32)
                    .map_err(|error| ApiError::invalid("agents", error.to_string()))?,
            ))
        } else {
            None
        };
        Ok(pb::ErlangResponse {
            required_agents: requirement.agents as i32,
            required_agents_with_shrinkage: requirement.agents_with_shrinkage as i32,
            at_requirement: Some(performance(&requirement.performance)),
            at_given_agents,
        })
    }

    pub(super) async fn plan_staffing(
        &self,
        principal: &Principal,
        request: pb::PlanStaffingRequest,
    ) -> ApiResult<pb::PlanStaffingResponse> {
        authorize(principal, Action::PlanStaffing)?;
        if principal.role != Role::BiReader {
            access::check_manages_team(principal, &request.team_id)?;
        }
        let mut violations = Violations::new();
        let from = convert::instant(&mut violations, "from", &request.from);
        let to = convert::instant(&mut violations, "to", &request.to);
        let mut forecast: Vec<ForecastInterval> = request
            .forecast
            .iter()
            .enumerate()
            .map(|(index, entry)| ForecastInterval {
                starts_at: convert::instant(&mut violations, &format!("forecast[{index}].starts_at"), &entry.starts_at),
                volume: entry.volume,
                average_handle_seconds: entry.average_handle_seconds,
            })
            .collect();
        if request.forecast_from_analytics {
            if !request.forecast.is_empty() {
                violations.add("forecast_from_analytics", "give forecast entries or ask analytics for them, not both");
            }
            if !(request.average_handle_seconds > 0.0 && request.average_handle_seconds.is_finite()) {
                violations.add("average_handle_seconds", "must be a positive number of seconds");
            }
        }
        violations.into_result()?;
        if request.forecast_from_analytics {
            forecast = self.forecast_from_analytics(principal, &request).await?;
        } else if request.forecast.is_empty() {
            return Err(ApiError::FailedPrecondition {
                reason: "NO_FORECAST",
                message: "give the forecast per interval, or set forecast_from_analytics (with average_handle_seconds)"
                    .into(),
            });
        }
        let mut connection = self.db.reader().acquire().await?;
        let team = teams::get(&mut connection, &request.team_id)
            .await?
            .ok_or_else(|| ApiError::not_found("team", &request.team_id))?;
        let roster = shifts::roster(&mut connection, &team.id, from, to, false, "").await?;
        let members = people::of_team(&mut connection, &team.id).await?;
        let currency = request
            .budget
            .as_ref()
            .map(|b| b.currency_code.clone())
            .filter(|c| !c.is_empty())
            .or_else(|| members.iter().map(|p| p.hourly_cost.currency.clone()).find(|c| !c.is_empty()))
            .unwrap_or_else(|| "EUR".into());
        if let Some(other) =
            members.iter().find(|p| !p.hourly_cost.currency.is_empty() && p.hourly_cost.currency != currency)
        {
            return Err(ApiError::FailedPrecondition {
                reason: "MIXED_CURRENCIES",
                message: format!(
                    "{} is paid in {}, the plan is in {currency}; plan teams paid in one currency",
                    other.id, other.hourly_cost.currency
                ),
            });
        }
        let costs: HashMap<String, i64> = members.iter().map(|p| (p.id.clone(), p.hourly_cost.minor_units)).collect();
        let paid: Vec<_> = roster.into_iter().filter(|s| s.kind == ShiftKind::Work || s.kind.is_activity()).collect();
        // Erlang arithmetic for up to 31 days of intervals at up to a million erlangs each: on the
        // blocking pool, so a large plan never holds up the workers other calls need.
        let (interval_seconds, goal) = (i64::from(request.interval_seconds), goal(request.goal));
        let plan = frontline_shared::blocking::run(move |_| {
            staffing::plan(from, to, interval_seconds, goal, &forecast, &paid, &costs)
                .map_err(|error| ApiError::invalid(error.field, error.reason))
        })
        .await?;
        let money = |minor_units: i64| WireMoney { currency_code: currency.clone(), minor_units };
        let budget = request.budget.as_ref().map_or(0, |b| b.minor_units);
        Ok(pb::PlanStaffingResponse {
            intervals: plan
                .intervals
                .iter()
                .map(|i| pb::StaffingInterval {
                    starts_at: Some(time::to_timestamp(i.starts_at)),
                    volume: i.volume,
                    required_agents: i.required as i32,
                    required_agents_with_shrinkage: i.required_with_shrinkage as i32,
                    scheduled_agents: i.scheduled,
                    gap: i.gap,
                    expected_service_level: i.expected_service_level,
                })
                .collect(),
            understaffed_intervals: plan.understaffed as i32,
            overstaffed_intervals: plan.overstaffed as i32,
            scheduled_cost: Some(money(plan.scheduled_cost)),
            required_cost: Some(money(plan.required_cost)),
            budget: request.budget.is_some().then(|| money(budget)),
            budget_remaining: request.budget.is_some().then(|| money(budget - plan.scheduled_cost)),
        })
    }

    /// The team's volume forecast for the plan's period and intervals, from analytics' history.
    async fn forecast_from_analytics(
        &self,
        principal: &Principal,
        request: &pb::PlanStaffingRequest,
    ) -> ApiResult<Vec<ForecastInterval>> {
        let Some((mut analytics, deadline)) = self.analytics.clone() else {
            return Err(ApiError::FailedPrecondition {
                reason: "ANALYTICS_NOT_CONFIGURED",
                message: "analytics is not reachable from here (peers.analytics is not set); give the forecast".into(),
            });
        };
        let mut call = peers::for_caller(
            principal,
            ForecastVolumeRequest {
                team_id: request.team_id.clone(),
                interval_seconds: request.interval_seconds,
                from: request.from,
                to: request.to,
                ..Default::default()
            },
        );
        call.set_timeout(deadline);
        let answer = peers::answer("analytics", deadline, analytics.forecast_volume(call)).await?;
        Ok(answer
            .points
            .iter()
            .filter_map(|point| {
                Some(ForecastInterval {
                    starts_at: time::from_timestamp(point.starts_at.as_ref()?)?,
                    volume: point.volume,
                    average_handle_seconds: request.average_handle_seconds,
                })
            })
            .collect())
    }
}
