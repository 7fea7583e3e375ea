//! ForecastVolume and GetStaffingMetrics: count the tickets created per interval of the history,
//! forecast the horizon with Holt-Winters, and — for staffing — set workforce's plan for that
//! forecast beside the volume that actually arrived.
use std::time::Duration;

use chrono_tz::Tz;
use frontline_proto::{
    analytics::v1 as pb,
    workforce::v1::{self as workforce_pb, workforce_service_client::WorkforceServiceClient},
};
use frontline_shared::{
    ApiError, ApiResult,
    auth::{Principal, Role},
    database::{Database, time},
    error::Violations,
    peers::{self, PeerChannel},
};

use crate::{
    domain::forecast::{self, Forecast, ForecastError, Grid},
    store::metric_facts,
};

pub type WorkforceClient = WorkforceServiceClient<PeerChannel>;

const MICROS_PER_SECOND: i64 = 1_000_000;
const MICROS_PER_DAY: i64 = 86_400 * MICROS_PER_SECOND;
/// The default history: eight weeks hold four weekly seasons, enough to fit and to backtest.
const DEFAULT_HISTORY: i64 = 56 * MICROS_PER_DAY;
/// Longer history barely changes an exponentially weighted model, and costs fitting time.
const MAX_HISTORY: i64 = 182 * MICROS_PER_DAY;
const MAX_HORIZON: i64 = 56 * MICROS_PER_DAY;
/// A staffing plan's limit (workforce's, 31 days of 15-minute intervals).
const MAX_STAFFING_PERIOD: i64 = 31 * MICROS_PER_DAY;
/// Every zone's offset is a whole number of quarter hours, so 15-minute slots from any interval
/// start tile both local days and fixed intervals: the database counts per slot, Rust sums slots.
const SLOT_MICROS: i64 = 900 * MICROS_PER_SECOND;

/// What a forecast is asked for, checked.
struct Query {
    team_id: String,
    channel: i64,
    interval_seconds: i64,
    history_from: i64,
    history_to: i64,
    from: i64,
    to: i64,
    tz: Tz,
}

/// Checks the history range, filling its defaults from `from`, adding a violation per bad field.
fn history_range(
    violations: &mut Violations,
    history_from: &Option<prost_types::Timestamp>,
    history_to: &Option<prost_types::Timestamp>,
    from: Option<i64>,
) -> (i64, i64) {
    let given = |field: &str, value: &Option<prost_types::Timestamp>, violations: &mut Violations| match value {
        None => None,
        Some(value) => {
            let micros = time::from_timestamp(value);
            if micros.is_none() {
                violations.add(field, "is not a valid timestamp");
            }
            micros
        }
    };
    let from = from.unwrap_or_default();
    let history_to = given("history_to", history_to, violations).unwrap_or(from);
    let history_from = given("history_from", history_from, violations).unwrap_or(history_to - DEFAULT_HISTORY);
    if history_to > from {
        violations.add("history_to", "must not be after from");
    }
    if history_from >= history_to {
        violations.add("history_from", "must be before history_to");
    } else if history_to - history_from > MAX_HISTORY {
        violations.add("history_from", "the history covers at most 26 weeks");
    }
    (history_from, history_to)
}

fn required_instant(violations: &mut Violations, field: &str, value: &Option<prost_types::Timestamp>) -> Option<i64> {
    let micros = value.as_ref().and_then(time::from_timestamp);
    if micros.is_none() {
        violations.add(field, "is required");
    }
    micros
}

/// The required `from` and `to`, `to` after `from` by at most `longest` (named in `limit`).
fn period(
    violations: &mut Violations,
    from: &Option<prost_types::Timestamp>,
    to: &Option<prost_types::Timestamp>,
    longest: i64,
    limit: &str,
) -> (Option<i64>, Option<i64>) {
    let (from, to) = (required_instant(violations, "from", from), required_instant(violations, "to", to));
    if let (Some(from), Some(to)) = (from, to) {
        if to <= from {
            violations.add("to", "must be after from");
        } else if to - from > longest {
            violations.add("to", limit);
        }
    }
    (from, to)
}

fn not_enough_history(error: ForecastError, interval_seconds: i64) -> ApiError {
    let day = (86_400 / interval_seconds) as usize;
    let seasons = if day > 1 {
        format!(
            "; a weekly season needs {} intervals, a daily one {}",
            forecast::history_needed(7 * day),
            forecast::history_needed(day)
        )
    } else {
        format!("; a weekly season needs {} days", forecast::history_needed(7))
    };
    ApiError::FailedPrecondition {
        reason: "NOT_ENOUGH_HISTORY",
        message: format!(
            "{error} (from the first interval with a ticket){seasons}; move history_from earlier or wait for more tickets"
        ),
    }
}

/// The horizon's interval starts and the forecast behind them.
async fn forecast_horizon(db: &Database, query: &Query) -> ApiResult<(Vec<i64>, Forecast)> {
    let grid = Grid::new(query.history_from, query.history_to, query.from, query.to, query.interval_seconds, query.tz);
    let mut history = vec![0.0; grid.history];
    if let Some(&first) = grid.starts.first() {
        let history_end = grid.starts.get(grid.history).copied().unwrap_or(grid.end);
        let mut connection = db.reader().acquire().await?;
        let slots = metric_facts::created_per_slot(
            &mut connection,
            &query.team_id,
            query.channel,
            first,
            history_end,
            SLOT_MICROS,
        )
        .await?;
        for (slot, tickets) in slots {
            if let Some(index) = grid.index_of(first + slot * SLOT_MICROS) {
                history[index] += tickets as f64;
            }
        }
    }
    // Before the first ticket there was no traffic to learn from (the team or channel did not
    // exist yet), not a run of quiet intervals.
    let first_ticket = history.iter().position(|&tickets| tickets > 0.0).unwrap_or(history.len());
    let steps = grid.starts.len() - grid.history;
    let model =
        forecast::forecast(&history[first_ticket..], query.interval_seconds, steps).map_err(|error| match error {
            ForecastError::UnsupportedInterval(_) => ApiError::invalid("interval_seconds", error.to_string()),
            ForecastError::NotEnoughHistory { .. } => not_enough_history(error, query.interval_seconds),
        })?;
    let skip = grid.horizon - grid.history;
    let starts = grid.starts[grid.horizon..].to_vec();
    let model = Forecast { volumes: model.volumes[skip..].to_vec(), ..model };
    Ok((starts, model))
}

fn wire_model(forecast: &Forecast) -> pb::ForecastModel {
    let p = forecast.parameters;
    pb::ForecastModel {
        season_length: forecast.season_length as i32,
        alpha: p.alpha,
        beta: p.beta,
        gamma: p.gamma,
        phi: p.phi,
    }
}

pub async fn forecast_volume(
    db: &Database,
    principal: &Principal,
    request: pb::ForecastVolumeRequest,
) -> ApiResult<pb::ForecastVolumeResponse> {
    crate::ticket_metrics_api::check_reader(principal)?;
    let mut violations = Violations::new();
    let interval_seconds = i64::from(request.interval_seconds);
    if !forecast::INTERVALS.contains(&interval_seconds) {
        violations.add("interval_seconds", "must be 900, 1800, 3600 or 86400");
    }
    if request.channel < 0 {
        violations.add("channel", "must be a ticketing Channel number, or 0 for every channel");
    }
    let zone = if request.time_zone.trim().is_empty() { "UTC" } else { request.time_zone.trim() };
    let tz: Option<Tz> = zone.parse().ok();
    if tz.is_none() {
        violations.add("time_zone", format!("`{zone}` is not an IANA time zone"));
    }
    let (from, to) = period(&mut violations, &request.from, &request.to, MAX_HORIZON, "the horizon is at most 8 weeks");
    let (history_from, history_to) = history_range(&mut violations, &request.history_from, &request.history_to, from);
    violations.into_result()?;
    let query = Query {
        team_id: request.team_id.trim().to_string(),
        channel: i64::from(request.channel),
        interval_seconds,
        history_from,
        history_to,
        from: from.expect("checked"),
        to: to.expect("checked"),
        tz: tz.expect("checked"),
    };
    let (starts, forecast) = forecast_horizon(db, &query).await?;
    Ok(pb::ForecastVolumeResponse {
        points: starts
            .iter()
            .zip(&forecast.volumes)
            .map(|(&start, &volume)| pb::VolumePoint { starts_at: Some(time::to_timestamp(start)), volume })
            .collect(),
        model: Some(wire_model(&forecast)),
        backtest_mape_percent: forecast.backtest.mape_percent,
        backtest_mean_absolute_error: forecast.backtest.mean_absolute_error,
        backtest_intervals: forecast.backtest.held_out as i32,
        history_intervals: forecast.history_intervals as i32,
    })
}

/// Staffing costs and rosters are the business of the team's leads and of those above them.
fn check_staffing_reader(principal: &Principal, team_id: &str) -> ApiResult<()> {
    let allowed = match principal.role {
        Role::Administrator | Role::Manager | Role::Director | Role::BiReader | Role::Service => true,
        Role::TeamLead | Role::Supervisor => principal.team_id.as_deref() == Some(team_id),
        _ => false,
    };
    if allowed {
        Ok(())
    } else {
        Err(ApiError::permission_denied(format!(
            "the {} role may not read team {team_id}'s staffing; its lead or supervisor, or a manager, may",
            principal.role
        )))
    }
}

/// Share of scheduled productive time that `tickets` × `handle_seconds` of work needed.
fn occupancy(tickets: i64, handle_seconds: f64, scheduled_agents: f64, interval_seconds: f64) -> Option<f64> {
    (scheduled_agents > 0.0).then(|| tickets as f64 * handle_seconds / (scheduled_agents * interval_seconds))
}

pub async fn get_staffing_metrics(
    db: &Database,
    workforce: Option<(WorkforceClient, Duration)>,
    principal: &Principal,
    request: pb::GetStaffingMetricsRequest,
) -> ApiResult<pb::StaffingMetrics> {
    let team_id = request.team_id.trim().to_string();
    if team_id.is_empty() {
        return Err(ApiError::invalid("team_id", "is required"));
    }
    check_staffing_reader(principal, &team_id)?;
    let mut violations = Violations::new();
    let interval_seconds = i64::from(request.interval_seconds);
    if interval_seconds != 900 && interval_seconds != 1800 {
        violations.add("interval_seconds", "must be 900 (15 minutes) or 1800 (30 minutes)");
    }
    if !(request.average_handle_seconds > 0.0 && request.average_handle_seconds.is_finite()) {
        violations.add("average_handle_seconds", "must be a positive number of seconds");
    }
    let (from, to) =
        period(&mut violations, &request.from, &request.to, MAX_STAFFING_PERIOD, "the period is at most 31 days");
    if let (Some(from), Some(to)) = (from, to)
        && interval_seconds > 0
        && to > from
        && (to - from) % (interval_seconds * MICROS_PER_SECOND) != 0
    {
        violations.add("to", "the period must be a whole number of intervals");
    }
    if request.budget.as_ref().is_some_and(|budget| budget.minor_units < 0) {
        violations.add("budget.minor_units", "must not be negative");
    }
    let (history_from, history_to) = history_range(&mut violations, &request.history_from, &request.history_to, from);
    violations.into_result()?;
    let (from, to) = (from.expect("checked"), to.expect("checked"));
    let Some((mut workforce, deadline)) = workforce else {
        return Err(ApiError::FailedPrecondition {
            reason: "WORKFORCE_NOT_CONFIGURED",
            message: "workforce is not reachable from here (peers.workforce is not set)".into(),
        });
    };
    let query = Query {
        team_id: team_id.clone(),
        channel: 0,
        interval_seconds,
        history_from,
        history_to,
        from,
        to,
        tz: Tz::UTC,
    };
    let (starts, forecast) = forecast_horizon(db, &query).await?;
    let step = interval_seconds * MICROS_PER_SECOND;
    let mut actual = vec![0i64; starts.len()];
    {
        let mut connection = db.reader().acquire().await?;
        for (slot, tickets) in metric_facts::created_per_slot(&mut connection, &team_id, 0, from, to, step).await? {
            if let Some(count) = actual.get_mut(slot as usize) {
                *count += tickets;
            }
        }
    }
    let handle_seconds = request.average_handle_seconds;
    let mut call = peers::for_caller(
        principal,
        workforce_pb::PlanStaffingRequest {
            team_id: team_id.clone(),
            from: request.from,
            to: request.to,
            interval_seconds: request.interval_seconds,
            goal: request.goal,
            forecast: starts
                .iter()
                .zip(&forecast.volumes)
                .map(|(&start, &volume)| workforce_pb::IntervalForecast {
                    starts_at: Some(time::to_timestamp(start)),
                    volume,
                    average_handle_seconds: handle_seconds,
                })
                .collect(),
            budget: request.budget,
            ..Default::default()
        },
    );
    call.set_timeout(deadline);
    let plan = peers::answer("workforce", deadline, workforce.plan_staffing(call)).await?;
    let interval = interval_seconds as f64;
    let intervals: Vec<pb::StaffingMetricsInterval> = plan
        .intervals
        .iter()
        .enumerate()
        .map(|(index, planned)| {
            let actual_volume = actual.get(index).copied().unwrap_or(0);
            pb::StaffingMetricsInterval {
                starts_at: planned.starts_at,
                forecast_volume: planned.volume,
                actual_volume,
                required_agents: planned.required_agents,
                required_agents_with_shrinkage: planned.required_agents_with_shrinkage,
                scheduled_agents: planned.scheduled_agents,
                gap: planned.gap,
                occupancy: occupancy(actual_volume, handle_seconds, planned.scheduled_agents, interval),
            }
        })
        .collect();
    let scheduled_agent_intervals: f64 = plan.intervals.iter().map(|i| i.scheduled_agents).sum();
    Ok(pb::StaffingMetrics {
        occupancy: occupancy(actual.iter().sum(), handle_seconds, scheduled_agent_intervals, interval),
        intervals,
        understaffed_intervals: plan.understaffed_intervals,
        overstaffed_intervals: plan.overstaffed_intervals,
        scheduled_cost: plan.scheduled_cost,
        required_cost: plan.required_cost,
        budget: plan.budget,
        budget_remaining: plan.budget_remaining,
        model: Some(wire_model(&forecast)),
        backtest_mape_percent: forecast.backtest.mape_percent,
    })
}

#[cfg(test)]
mod tests {
    use super::occupancy;

    #[test]
    fn occupancy_is_the_work_over_the_scheduled_time_and_unset_without_anyone_scheduled() {
        // Six 10-minute tickets in half an hour are an hour of work: all of two agents' time.
        assert_eq!(occupancy(6, 600.0, 2.0, 1800.0), Some(1.0));
        assert_eq!(occupancy(3, 600.0, 2.0, 1800.0), Some(0.5));
        assert_eq!(occupancy(3, 600.0, 0.0, 1800.0), None);
    }
}
