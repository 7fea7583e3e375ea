//! Volume forecasts: Holt-Winters exponential smoothing (additive seasonality, damped trend) over
//! ticket counts per fixed interval, with its own backtest on held-out history.
//!
//! Additive rather than multiplicative seasonality because support volume per interval is often
//! zero (nights, weekends): multiplicative seasonal factors divide by the level and blow up
//! there. The trend is damped (φ ≤ 1) because forecasts reach weeks ahead, and an undamped
//! trend fitted on a few busy weeks extrapolates without limit.
use std::fmt;

/// The intervals a forecast may be made at, in seconds.
pub const INTERVALS: [i64; 4] = [900, 1800, 3600, 86_400];

/// Plain Holt (no season) still needs a few points to estimate a level and a trend, and some
/// to hold out for the backtest.
pub const MIN_HISTORY: usize = 10;

/// Shortest training part for plain Holt: level, trend and a few errors to fit them on.
const MIN_TRAINING: usize = 8;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Parameters {
    /// Level smoothing.
    pub alpha: f64,
    /// Trend smoothing.
    pub beta: f64,
    /// Seasonal smoothing; 0 without a season.
    pub gamma: f64,
    /// Trend damping: 1 is Holt's linear trend, less flattens the trend out over the horizon.
    pub phi: f64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Backtest {
    /// Intervals held out.
    pub held_out: usize,
    /// Mean absolute percentage error over the held-out intervals whose actual volume was not
    /// zero (a percentage error of zero is undefined); None when every one was zero.
    pub mape_percent: Option<f64>,
    /// Mean absolute error over every held-out interval, in tickets.
    pub mean_absolute_error: f64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Forecast {
    /// Intervals per season; 1 means no seasonality (plain damped Holt).
    pub season_length: usize,
    pub parameters: Parameters,
    /// One volume per interval after the history, never negative.
    pub volumes: Vec<f64>,
    pub backtest: Backtest,
    pub history_intervals: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ForecastError {
    UnsupportedInterval(i64),
    NotEnoughHistory { have: usize, need: usize },
}

impl fmt::Display for ForecastError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ForecastError::UnsupportedInterval(seconds) => {
                write!(f, "{seconds}-second intervals are not supported; use 900, 1800, 3600 or 86400")
            }
            ForecastError::NotEnoughHistory { have, need } => {
                write!(f, "a forecast needs at least {need} intervals of history, there are {have}")
            }
        }
    }
}

impl std::error::Error for ForecastError {}

/// Intervals in a week and in a day at `interval_seconds`.
fn seasons_of(interval_seconds: i64) -> Result<[usize; 2], ForecastError> {
    if !INTERVALS.contains(&interval_seconds) {
        return Err(ForecastError::UnsupportedInterval(interval_seconds));
    }
    let day = (86_400 / interval_seconds) as usize;
    Ok([7 * day, day])
}

/// Intervals held out for the backtest: the last season when there are three (two stay to
/// initialise the seasonal indices from), else the last 20 %.
fn held_out(history: usize, season_length: usize) -> usize {
    if season_length > 1 && history >= 3 * season_length { season_length } else { history.div_ceil(5).max(1) }
}

/// The longest usable season: support volume repeats weekly (Mondays are busy, weekends quiet),
/// so a week is the season when its training part holds two full weeks — one to set the seasonal
/// indices, one to see them repeat and so tell season from trend. Else a day (the daily rhythm
/// of office hours), else none: a season seen once cannot be told from noise.
pub fn season_length(interval_seconds: i64, history: usize) -> Result<usize, ForecastError> {
    let candidates = seasons_of(interval_seconds)?;
    let usable = |m: usize| m > 1 && history.saturating_sub(held_out(history, m)) >= 2 * m;
    Ok(candidates.into_iter().find(|&m| usable(m)).unwrap_or(1))
}

/// The history needed for a season of `season_length` intervals (including its hold-out).
pub fn history_needed(season_length: usize) -> usize {
    if season_length <= 1 {
        MIN_HISTORY
    } else {
        // Two seasons to train on plus a 20 % hold-out: n − ⌈n/5⌉ ≥ 2m.
        (2 * season_length..).find(|&n| n - held_out(n, season_length) >= 2 * season_length).expect("finite")
    }
}

/// Smoothing state after some observations.
#[derive(Debug, Clone)]
struct State {
    level: f64,
    trend: f64,
    /// Indexed by t mod m: the latest estimate for that phase of the season.
    seasonal: Vec<f64>,
    observed: usize,
}

impl State {
    /// Classical initialisation from the first two seasons: the level from the first season's
    /// mean, the trend from the change between the two seasons' means, the seasonal indices from
    /// each phase's average deviation from its season's mean. Without a season: the first value
    /// and the average of the first few steps.
    fn initial(history: &[f64], m: usize) -> State {
        if m <= 1 {
            let steps = (history.len() - 1).min(3);
            let trend = (history[steps] - history[0]) / steps as f64;
            return State { level: history[0] - trend, trend, seasonal: vec![0.0], observed: 0 };
        }
        let mean = |part: &[f64]| part.iter().sum::<f64>() / part.len() as f64;
        let (first, second) = (mean(&history[..m]), mean(&history[m..2 * m]));
        let trend = (second - first) / m as f64;
        let seasonal = (0..m).map(|i| ((history[i] - first) + (history[m + i] - second)) / 2.0).collect();
        // The first season's mean is its level half-way through; step back to before t = 0.
        State { level: first - trend * (m as f64 + 1.0) / 2.0, trend, seasonal, observed: 0 }
    }

    /// Takes observation y, returning the one-step-ahead error made before seeing it.
    fn observe(&mut self, y: f64, p: &Parameters) -> f64 {
        let phase = self.observed % self.seasonal.len();
        let season = self.seasonal[phase];
        let (level, damped_trend) = (self.level, p.phi * self.trend);
        let error = y - (level + damped_trend + season);
        self.level = p.alpha * (y - season) + (1.0 - p.alpha) * (level + damped_trend);
        self.trend = p.beta * (self.level - level) + (1.0 - p.beta) * damped_trend;
        self.seasonal[phase] = p.gamma * (y - level - damped_trend) + (1.0 - p.gamma) * season;
        self.observed += 1;
        error
    }

    fn ahead(&self, horizon: usize, phi: f64) -> Vec<f64> {
        let mut damping = 0.0;
        let mut power = 1.0;
        (1..=horizon)
            .map(|h| {
                power *= phi;
                damping += power;
                let season = self.seasonal[(self.observed + h - 1) % self.seasonal.len()];
                // NaN.max(0) is 0, so a degenerate state still forecasts a number.
                (self.level + damping * self.trend + season).max(0.0)
            })
            .collect()
    }
}

/// Sum of squared one-step-ahead errors, and the state at the end.
fn run(history: &[f64], m: usize, p: &Parameters) -> (f64, State) {
    let mut state = State::initial(history, m);
    let sse = history.iter().map(|&y| state.observe(y, p).powi(2)).sum();
    (sse, state)
}

fn sse(history: &[f64], m: usize, p: &Parameters) -> f64 {
    let value = run(history, m, p).0;
    if value.is_finite() { value } else { f64::MAX }
}

const BOUNDS: [(f64, f64); 4] = [(0.001, 0.999), (0.0, 0.999), (0.0, 0.999), (0.8, 1.0)];

fn parameters(values: [f64; 4]) -> Parameters {
    Parameters { alpha: values[0], beta: values[1], gamma: values[2], phi: values[3] }
}

/// Parameters minimising the one-step-ahead squared error. The error surface of Holt-Winters is
/// not convex and has flat ridges, so a gradient method started anywhere can stall in a poor
/// local minimum: a coarse grid over the whole box finds the right basin (900 runs of O(n)),
/// then a pattern search — one parameter at a time, halving the step — refines inside it. It is
/// deterministic (same history, same model) and needs no derivatives.
fn fit(history: &[f64], m: usize) -> Parameters {
    let seasonal = m > 1;
    let gammas: &[f64] = if seasonal { &[0.01, 0.05, 0.1, 0.2, 0.4, 0.7] } else { &[0.0] };
    let mut best = ([0.3, 0.05, 0.0, 0.98], f64::MAX);
    for alpha in (0..10).map(|i| 0.05 + 0.1 * i as f64) {
        for beta in [0.0, 0.02, 0.05, 0.15, 0.4] {
            for &gamma in gammas {
                for phi in [0.8, 0.9, 0.98] {
                    let values = [alpha, beta, gamma, phi];
                    let error = sse(history, m, &parameters(values));
                    if error < best.1 {
                        best = (values, error);
                    }
                }
            }
        }
    }
    let (mut values, mut error) = best;
    let free = if seasonal { vec![0, 1, 2, 3] } else { vec![0, 1, 3] };
    let mut step = 0.05;
    while step >= 0.001 {
        let mut improved = false;
        for &index in &free {
            for direction in [-1.0, 1.0] {
                let mut candidate = values;
                let (low, high) = BOUNDS[index];
                candidate[index] = (candidate[index] + direction * step).clamp(low, high);
                let candidate_error = sse(history, m, &parameters(candidate));
                if candidate_error < error {
                    (values, error, improved) = (candidate, candidate_error, true);
                }
            }
        }
        if !improved {
            step /= 2.0;
        }
    }
    parameters(values)
}

fn backtest(history: &[f64], m: usize) -> Backtest {
    let held_out = held_out(history.len(), m);
    let (training, actual) = history.split_at(history.len() - held_out);
    let p = fit(training, m);
    let predicted = run(training, m, &p).1.ahead(held_out, p.phi);
    let pairs = || actual.iter().zip(&predicted);
    let mean_absolute_error = pairs().map(|(a, f)| (a - f).abs()).sum::<f64>() / held_out as f64;
    let percentage: Vec<f64> = pairs().filter(|(a, _)| **a > 0.0).map(|(a, f)| (a - f).abs() / a).collect();
    let mape_percent =
        (!percentage.is_empty()).then(|| 100.0 * percentage.iter().sum::<f64>() / percentage.len() as f64);
    Backtest { held_out, mape_percent, mean_absolute_error }
}

/// Forecasts `horizon` intervals after `history` (counts per interval of `interval_seconds`,
/// oldest first), reporting the backtest of the same model on the history's last part.
pub fn forecast(history: &[f64], interval_seconds: i64, horizon: usize) -> Result<Forecast, ForecastError> {
    let m = season_length(interval_seconds, history.len())?;
    if history.len() < MIN_HISTORY || history.len() - held_out(history.len(), m) < MIN_TRAINING {
        return Err(ForecastError::NotEnoughHistory { have: history.len(), need: MIN_HISTORY });
    }
    let backtest = backtest(history, m);
    let p = fit(history, m);
    let volumes = run(history, m, &p).1.ahead(horizon, p.phi);
    Ok(Forecast { season_length: m, parameters: p, volumes, backtest, history_intervals: history.len() })
}

/// The intervals of a forecast request, oldest first: the history's, any gap between the
/// history's end and the horizon, and the horizon's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grid {
    /// Interval starts, microseconds; interval i ends where i + 1 starts, the last at `end`.
    pub starts: Vec<i64>,
    pub end: i64,
    /// Intervals [0, history) are history: whole intervals that end by `history_to`.
    pub history: usize,
    /// Intervals [horizon, len) are the horizon.
    pub horizon: usize,
}

impl Grid {
    /// Whole intervals in [history_from, history_to), and intervals covering [from, to), all
    /// microseconds, with
    /// history_to ≤ from. Daily intervals are local days in `tz` (the horizon from the local
    /// midnight of `from`'s day); shorter ones are fixed-length, aligned on `from`.
    pub fn new(
        history_from: i64,
        history_to: i64,
        from: i64,
        to: i64,
        interval_seconds: i64,
        tz: chrono_tz::Tz,
    ) -> Grid {
        use super::series::{Granularity, bucket_start, next_start};
        let at = |micros: i64| chrono::DateTime::from_timestamp_micros(micros).unwrap_or_default();
        let mut starts = Vec::new();
        let (end, horizon_start) = if interval_seconds == 86_400 {
            // Whole days only: a day that began before history_from is not history.
            let mut start = bucket_start(at(history_from), Granularity::Day, tz);
            if start.timestamp_micros() < history_from {
                start = next_start(start, Granularity::Day, tz);
            }
            while start.timestamp_micros() < to {
                starts.push(start.timestamp_micros());
                start = next_start(start, Granularity::Day, tz);
            }
            (start.timestamp_micros(), bucket_start(at(from), Granularity::Day, tz).timestamp_micros())
        } else {
            let step = interval_seconds * 1_000_000;
            let mut start = from - (from - history_from).max(0) / step * step;
            while start < to {
                starts.push(start);
                start += step;
            }
            (start, from)
        };
        let end_of = |i: usize| starts.get(i + 1).copied().unwrap_or(end);
        let history = (0..starts.len()).take_while(|&i| end_of(i) <= history_to).count();
        let horizon = starts.partition_point(|&start| start < horizon_start);
        Grid { starts, end, history, horizon }
    }

    /// The interval holding instant `at`, if any.
    pub fn index_of(&self, at: i64) -> Option<usize> {
        if at < *self.starts.first()? || at >= self.end {
            return None;
        }
        Some(self.starts.partition_point(|&start| start <= at) - 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Four weeks of daily volume: busy Mondays, quiet weekends, a slow upward trend and noise
    /// of ±5 % from a fixed sequence (so the test is the same every run).
    fn weekly_series(weeks: usize) -> Vec<f64> {
        let pattern = [120.0, 100.0, 95.0, 90.0, 80.0, 30.0, 20.0];
        (0..weeks * 7)
            .map(|day| {
                let noise = ((day * 7919 % 101) as f64 / 100.0 - 0.5) * 0.1;
                (pattern[day % 7] + 0.5 * day as f64) * (1.0 + noise)
            })
            .collect()
    }

    #[test]
    fn a_weekly_pattern_with_trend_and_noise_is_forecast_within_ten_percent() {
        let series = weekly_series(10);
        let (history, future) = series.split_at(8 * 7);
        let forecast = forecast(history, 86_400, 14).unwrap();
        assert_eq!(forecast.season_length, 7);
        assert_eq!(forecast.backtest.held_out, 7);
        let backtest_mape = forecast.backtest.mape_percent.unwrap();
        assert!(backtest_mape < 10.0, "backtest MAPE {backtest_mape:.1} %");
        let future_mape = future.iter().zip(&forecast.volumes).map(|(a, f)| (a - f).abs() / a).sum::<f64>()
            / future.len() as f64
            * 100.0;
        assert!(future_mape < 10.0, "MAPE on the two weeks after the history {future_mape:.1} %");
        assert_eq!(forecast.history_intervals, 56);
    }

    #[test]
    fn daily_grids_follow_local_days_and_sub_daily_ones_align_on_from() {
        use chrono::TimeZone;
        let warsaw: chrono_tz::Tz = "Europe/Warsaw".parse().unwrap();
        let micros = |d: u32, h: u32| chrono::Utc.with_ymd_and_hms(2026, 3, d, h, 0, 0).unwrap().timestamp_micros();
        // Local midnight is 23:00 UTC in March before the change on the 29th, 22:00 after.
        let grid = Grid::new(micros(20, 12), micros(27, 23), micros(27, 23), micros(31, 22), 86_400, warsaw);
        assert_eq!(grid.starts[0], micros(20, 23), "the 20th began before history_from: the 21st is the first day");
        assert_eq!((grid.history, grid.horizon, grid.starts.len()), (7, 7, 11));
        assert_eq!(grid.starts[9] - grid.starts[8], 23 * 3_600_000_000, "the 29th has 23 hours");
        assert_eq!(grid.index_of(micros(28, 12)), Some(7));
        let hourly =
            Grid::new(micros(1, 0) + 1, micros(2, 0), micros(2, 0) + 1_800_000_000, micros(3, 0), 3600, warsaw);
        assert_eq!(hourly.starts[0], micros(1, 0) + 1_800_000_000);
        assert_eq!((hourly.history, hourly.horizon), (23, 24));
        assert_eq!(hourly.index_of(micros(1, 0)), None);
    }

    #[test]
    fn a_constant_series_forecasts_that_constant() {
        let forecast = forecast(&[12.0; 30], 86_400, 10).unwrap();
        for volume in &forecast.volumes {
            assert!((volume - 12.0).abs() < 1e-6, "{volume}");
        }
        assert_eq!(forecast.backtest.mape_percent, Some(0.0));
        assert!(forecast.backtest.mean_absolute_error < 1e-6);
    }

    #[test]
    fn too_little_history_is_a_clear_error() {
        let error = forecast(&[3.0, 4.0, 5.0], 86_400, 7).unwrap_err();
        assert_eq!(error, ForecastError::NotEnoughHistory { have: 3, need: MIN_HISTORY });
        assert!(error.to_string().contains("at least 10 intervals"), "{error}");
        assert_eq!(forecast(&[1.0; 100], 600, 7).unwrap_err(), ForecastError::UnsupportedInterval(600));
    }

    #[test]
    fn the_season_is_a_week_with_two_weeks_to_train_on_else_a_day_else_none() {
        assert_eq!(season_length(86_400, 21).unwrap(), 7);
        assert_eq!(season_length(86_400, 17).unwrap(), 1, "14 days less a 20 % hold-out is under two weeks");
        assert_eq!(season_length(3600, 14 * 24).unwrap(), 24);
        assert_eq!(season_length(3600, 21 * 24).unwrap(), 168);
        assert_eq!(season_length(900, 30).unwrap(), 1);
        assert_eq!(history_needed(7), 18);
        assert_eq!(season_length(86_400, history_needed(7)).unwrap(), 7);
    }

    #[test]
    fn an_all_zero_hold_out_has_no_mape_but_a_mean_absolute_error() {
        let mut series = vec![5.0; 30];
        series.extend([0.0; 7]);
        let forecast = forecast(&series, 86_400, 3).unwrap();
        assert_eq!(forecast.backtest.held_out, 7);
        assert_eq!(forecast.backtest.mape_percent, None);
        assert!(forecast.backtest.mean_absolute_error > 1.0);
    }

    #[test]
    fn an_hourly_daily_rhythm_is_forecast_with_a_daily_season() {
        let series: Vec<f64> = (0..14 * 24).map(|h| if (9..17).contains(&(h % 24)) { 10.0 } else { 1.0 }).collect();
        let forecast = forecast(&series, 3600, 24).unwrap();
        assert_eq!(forecast.season_length, 24);
        for (hour, volume) in forecast.volumes.iter().enumerate() {
            let expected = if (9..17).contains(&hour) { 10.0 } else { 1.0 };
            assert!((volume - expected).abs() < 0.5, "hour {hour}: {volume}");
        }
    }

    mod properties {
        use proptest::prelude::*;

        use super::*;

        proptest! {
            #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

            #[test]
            fn forecasts_are_finite_and_never_negative(
                history in proptest::collection::vec(prop_oneof![Just(0.0), 0.0f64..20.0, 0.0f64..1e6], 10..120),
                interval in 0usize..4,
                horizon in 1usize..60,
            ) {
                let forecast = forecast(&history, INTERVALS[interval], horizon).unwrap();
                prop_assert_eq!(forecast.volumes.len(), horizon);
                prop_assert!(forecast.volumes.iter().all(|v| v.is_finite() && *v >= 0.0), "{:?}", forecast.volumes);
                prop_assert!(forecast.backtest.mean_absolute_error.is_finite());
                prop_assert!(forecast.backtest.mape_percent.is_none_or(f64::is_finite));
            }
        }
    }
}
