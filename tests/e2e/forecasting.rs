//! Forecasting and staffing: analytics forecasts a team's ticket volume from three weeks of
//! history with a weekly pattern, workforce plans staffing from that forecast through gRPC, and
//! analytics sets the plan beside the volume that arrived.
use std::time::Duration;

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use frontline::ServiceKind;
use frontline_proto::{
    analytics::v1::{self as pb, GetMetricSeriesRequest, MetricFilter},
    common::v1::Money,
    ticketing::v1 as ticketing_pb,
    workforce::v1::{self as workforce_pb, ShiftKind},
};
use frontline_shared::{auth::Role, database::time::to_timestamp};
use tonic::Code;

use crate::{
    support::{Backend, TestApp, error_reason, eventually, expect_error, violated_fields},
    tickets, workforce,
};

/// Tickets per day, Monday first: busy early in the week, quiet at the weekend.
const WEEK: [i64; 7] = [6, 5, 5, 4, 4, 1, 1];
const WEEKS: i64 = 3;

/// Monday 1 June 2026, 09:00 UTC: the history's first ticket.
fn history_start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 6, 1, 9, 0, 0).unwrap()
}

fn day(offset: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 6, 1, 0, 0, 0).unwrap() + TimeDelta::days(offset)
}

fn at(instant: DateTime<Utc>) -> Option<prost_types::Timestamp> {
    Some(to_timestamp(instant.timestamp_micros()))
}

/// Three weeks of tier 1's tickets, each day's from 09:00 ten minutes apart, created through
/// ticketing on the manual clock; returns their requester once analytics has counted them all.
async fn ticket_history(app: &TestApp, clock: &frontline_shared::clock::ManualClock) -> String {
    let mut gateway = app.ticketing(Role::Service).await;
    let requester = tickets::requester(&mut gateway).await;
    for offset in 0..WEEKS * 7 {
        for n in 0..WEEK[(offset % 7) as usize] {
            clock.set(history_start() + TimeDelta::days(offset) + TimeDelta::minutes(10 * n));
            let ticket = ticketing_pb::Ticket {
                team_id: "tier1".into(),
                ..tickets::ticket(&requester, "Gdzie jest moja paczka?")
            };
            tickets::create(&mut gateway, ticket).await;
        }
    }
    clock.set(day(WEEKS * 7) + TimeDelta::hours(8));
    ingested(app, WEEKS * WEEK.iter().sum::<i64>()).await;
    requester
}

/// Waits until analytics counts `expected` tickets for tier 1.
async fn ingested(app: &TestApp, expected: i64) {
    let analytics = app.analytics(Role::Manager).await;
    eventually(Duration::from_secs(30), || {
        let mut analytics = analytics.clone();
        async move {
            let series = analytics
                .get_metric_series(GetMetricSeriesRequest {
                    metric: "tickets_created".into(),
                    from: at(day(0)),
                    to: at(day(WEEKS * 7 + 1)),
                    granularity: "month".into(),
                    filter: Some(MetricFilter { team_id: "tier1".into(), ..Default::default() }),
                    ..Default::default()
                })
                .await
                .ok()?
                .into_inner();
            let counted: i64 = series.groups.iter().flat_map(|g| &g.points).map(|p| p.count).sum();
            (counted == expected).then_some(())
        }
    })
    .await;
}

fn daily_forecast() -> pb::ForecastVolumeRequest {
    pb::ForecastVolumeRequest {
        team_id: "tier1".into(),
        interval_seconds: 86_400,
        history_from: at(day(0)),
        from: at(day(WEEKS * 7)),
        to: at(day(WEEKS * 7 + 14)),
        time_zone: "UTC".into(),
        ..Default::default()
    }
}

crate::on_both_backends_at! {
    history_start();
    /// Three weeks of a weekly pattern forecast two weeks ahead, per day: Mondays busy, weekends
    /// quiet, and a backtest on the third week that is nearly exact.
    async fn ticket_volume_is_forecast_from_history_with_its_backtest_error(app, clock) {
        ticket_history(&app, &clock).await;
        let mut analytics = app.analytics(Role::TeamLead).await;
        let forecast = analytics.forecast_volume(daily_forecast()).await.unwrap().into_inner();
        assert_eq!(forecast.points.len(), 14);
        assert_eq!(forecast.points[0].starts_at, at(day(21)));
        let model = forecast.model.unwrap();
        assert_eq!(model.season_length, 7, "a weekly season: three weeks hold two to train on");
        assert_eq!((forecast.history_intervals, forecast.backtest_intervals), (21, 7));
        let mape = forecast.backtest_mape_percent.unwrap();
        assert!(mape < 10.0, "backtest MAPE {mape:.2} %");
        assert!(forecast.backtest_mean_absolute_error < 0.5, "{}", forecast.backtest_mean_absolute_error);
        for (index, point) in forecast.points.iter().enumerate() {
            let expected = WEEK[index % 7] as f64;
            assert!((point.volume - expected).abs() < 0.5, "day {index}: {} against {expected}", point.volume);
        }

        // Too little history is a precondition, saying how much is needed.
        let short = pb::ForecastVolumeRequest { history_from: at(day(WEEKS * 7 - 4)), ..daily_forecast() };
        let status = expect_error(analytics.forecast_volume(short).await);
        assert_eq!(status.code(), Code::FailedPrecondition);
        assert_eq!(error_reason(&status), "NOT_ENOUGH_HISTORY");
        assert!(status.message().contains("at least 10 intervals"), "{}", status.message());

        // Every bad field is named at once.
        let bad = pb::ForecastVolumeRequest {
            interval_seconds: 600,
            channel: -1,
            time_zone: "Mars/Olympus_Mons".into(),
            from: None,
            history_from: at(day(30)),
            history_to: at(day(29)),
            ..daily_forecast()
        };
        let status = expect_error(analytics.forecast_volume(bad).await);
        assert_eq!(status.code(), Code::InvalidArgument);
        let mut fields = violated_fields(&status);
        fields.sort();
        assert_eq!(fields, ["channel", "from", "history_from", "history_to", "interval_seconds", "time_zone"]);
        let long = pb::ForecastVolumeRequest { to: at(day(WEEKS * 7 + 60)), ..daily_forecast() };
        assert_eq!(violated_fields(&expect_error(analytics.forecast_volume(long).await)), ["to"]);

        for role in [Role::CrmSync, Role::Portal, Role::Scheduler] {
            let mut denied = app.analytics(role).await;
            let status = expect_error(denied.forecast_volume(daily_forecast()).await);
            assert_eq!(status.code(), Code::PermissionDenied, "{role}");
        }
    }
}

/// Monday 22 June, 09:00–10:00 UTC: the hour after the history, which all three of tier 1 work.
fn staffed_hour() -> (DateTime<Utc>, DateTime<Utc>) {
    (day(WEEKS * 7) + TimeDelta::hours(9), day(WEEKS * 7) + TimeDelta::hours(10))
}

fn goal() -> workforce_pb::ServiceGoal {
    workforce_pb::ServiceGoal { service_level: 0.8, target_answer_seconds: 60.0, ..Default::default() }
}

crate::on_both_backends_at! {
    history_start();
    /// Workforce asks analytics for the forecast (half-hour intervals, a weekly season learnt
    /// from three weeks), and analytics sets the resulting plan beside the tickets that arrived.
    async fn staffing_is_planned_from_the_analytics_forecast_and_measured_against_actual_volume(app, clock) {
        let mut admin = workforce::client(&app, Role::Administrator, "admin", None).await;
        workforce::warsaw_team(&mut admin).await;
        let (from, to) = staffed_hour();
        for person in ["lead-ewa", "agent-ola", "agent-tom"] {
            let shift = workforce::shift(person, ShiftKind::Work, &from.to_rfc3339(), &to.to_rfc3339());
            admin.create_shift(shift).await.unwrap();
        }
        let requester = ticket_history(&app, &clock).await;

        let mut lead = workforce::client(&app, Role::TeamLead, "lead-ewa", Some("tier1")).await;
        let request = workforce_pb::PlanStaffingRequest {
            team_id: "tier1".into(),
            from: at(from),
            to: at(to),
            interval_seconds: 1800,
            goal: Some(goal()),
            forecast_from_analytics: true,
            average_handle_seconds: 300.0,
            ..Default::default()
        };
        let plan = lead.plan_staffing(request.clone()).await.unwrap().into_inner();
        assert_eq!(plan.intervals.len(), 2);
        for interval in &plan.intervals {
            // Mondays: six tickets from 09:00 ten minutes apart, three in each half hour.
            assert!((interval.volume - 3.0).abs() < 0.5, "forecast {}", interval.volume);
            assert!(interval.required_agents >= 1);
            assert_eq!(interval.scheduled_agents, 3.0);
        }
        let without = workforce_pb::PlanStaffingRequest { average_handle_seconds: 0.0, ..request.clone() };
        assert_eq!(violated_fields(&expect_error(lead.plan_staffing(without).await)), ["average_handle_seconds"]);

        // Two tickets arrive in the first half hour.
        let mut gateway = app.ticketing(Role::Service).await;
        for minutes in [5, 15] {
            clock.set(from + TimeDelta::minutes(minutes));
            tickets::create(&mut gateway, ticketing_pb::Ticket { team_id: "tier1".into(), ..tickets::ticket(&requester, "Zwrot") }).await;
        }
        ingested(&app, WEEKS * WEEK.iter().sum::<i64>() + 2).await;

        let metrics_request = pb::GetStaffingMetricsRequest {
            team_id: "tier1".into(),
            from: at(from),
            to: at(to),
            interval_seconds: 1800,
            average_handle_seconds: 300.0,
            goal: Some(goal()),
            budget: Some(Money { currency_code: "PLN".into(), minor_units: 50_000 }),
            ..Default::default()
        };
        let mut analytics = app.analytics(Role::Manager).await;
        let metrics = analytics.get_staffing_metrics(metrics_request.clone()).await.unwrap().into_inner();
        let actual: Vec<i64> = metrics.intervals.iter().map(|i| i.actual_volume).collect();
        assert_eq!(actual, [2, 0]);
        for (interval, planned) in metrics.intervals.iter().zip(&plan.intervals) {
            assert_eq!(interval.starts_at, planned.starts_at);
            assert!((interval.forecast_volume - planned.volume).abs() < 1e-9, "the same forecast both ways");
            assert_eq!((interval.required_agents, interval.scheduled_agents), (planned.required_agents, 3.0));
            assert_eq!(interval.gap, 3.0 - f64::from(interval.required_agents));
        }
        // Ten minutes of work in 90 agent-minutes, then none.
        let occupancy: Vec<f64> = metrics.intervals.iter().map(|i| i.occupancy.unwrap()).collect();
        assert!((occupancy[0] - 600.0 / 5400.0).abs() < 1e-9 && occupancy[1] == 0.0, "{occupancy:?}");
        assert!((metrics.occupancy.unwrap() - 600.0 / 10_800.0).abs() < 1e-9);
        assert_eq!(metrics.scheduled_cost.unwrap().minor_units, 3 * 6000, "three people for an hour at 60 PLN");
        assert_eq!(metrics.budget_remaining.unwrap().minor_units, 50_000 - 18_000);
        assert!(metrics.required_cost.unwrap().minor_units > 0);
        assert_eq!(metrics.model.unwrap().season_length, 336, "a week of half hours");

        let bad = pb::GetStaffingMetricsRequest { interval_seconds: 3600, average_handle_seconds: -1.0, to: None, ..metrics_request.clone() };
        let mut fields = violated_fields(&expect_error(analytics.get_staffing_metrics(bad).await));
        fields.sort();
        assert_eq!(fields, ["average_handle_seconds", "interval_seconds", "to"]);
        let other_team = pb::GetStaffingMetricsRequest { team_id: "tier2".into(), ..metrics_request.clone() };
        for role in [Role::Agent, Role::CrmSync] {
            let status = expect_error(app.analytics(role).await.get_staffing_metrics(metrics_request.clone()).await);
            assert_eq!(status.code(), Code::PermissionDenied, "{role}");
        }
        let mut lead_analytics = frontline_proto::analytics::v1::analytics_service_client::AnalyticsServiceClient::new(
            app.authed(crate::support::Bearer::token(&app.token_for(Role::TeamLead, "lead-ewa", Some("tier1")))).await,
        );
        assert!(lead_analytics.get_staffing_metrics(metrics_request.clone()).await.is_ok(), "a lead reads their own team");
        let status = expect_error(lead_analytics.get_staffing_metrics(other_team).await);
        assert_eq!(status.code(), Code::PermissionDenied);
    }
}

/// Workforce alone, told analytics lives where nothing listens: a plan that needs the forecast
/// fails as Unavailable, saying so, and one with its own forecast still works.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plan_that_needs_analytics_says_so_when_analytics_is_unreachable() {
    let app = TestApp::spawn_services(Backend::Sqlite, &[ServiceKind::Workforce], |settings| {
        settings.peers.analytics = "http://127.0.0.1:9".into();
    })
    .await;
    let mut admin = workforce::client(&app, Role::Administrator, "admin", None).await;
    workforce::warsaw_team(&mut admin).await;
    let (from, to) = staffed_hour();
    let request = workforce_pb::PlanStaffingRequest {
        team_id: "tier1".into(),
        from: at(from),
        to: at(to),
        interval_seconds: 1800,
        forecast_from_analytics: true,
        average_handle_seconds: 300.0,
        ..Default::default()
    };
    let status = expect_error(admin.plan_staffing(request.clone()).await);
    assert_eq!(status.code(), Code::Unavailable, "{status:?}");
    assert!(status.message().contains("analytics"), "{}", status.message());
    let given = workforce_pb::PlanStaffingRequest {
        forecast_from_analytics: false,
        forecast: vec![workforce_pb::IntervalForecast {
            starts_at: at(from),
            volume: 3.0,
            average_handle_seconds: 300.0,
        }],
        ..request
    };
    assert_eq!(admin.plan_staffing(given).await.unwrap().into_inner().intervals.len(), 2);
    app.stop().await;
}
