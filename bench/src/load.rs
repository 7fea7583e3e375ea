//! Fixed-duration load: N workers call an operation in a loop until the time is up, each
//! recording its latencies in an HDR histogram; the histograms are merged at the end.
use std::{
    future::Future,
    time::{Duration, Instant},
};

use hdrhistogram::Histogram;

pub struct Measurement {
    pub name: String,
    pub concurrency: usize,
    pub requests: u64,
    pub errors: u64,
    pub elapsed: Duration,
    pub latency: Histogram<u64>,
    /// The first error a worker met, so a scenario with errors says what they were.
    pub first_error: Option<String>,
}

impl Measurement {
    pub fn per_second(&self) -> f64 {
        self.requests as f64 / self.elapsed.as_secs_f64()
    }

    /// Milliseconds (the histogram holds nanoseconds).
    pub fn millis_at(&self, quantile: f64) -> f64 {
        self.latency.value_at_quantile(quantile) as f64 / 1_000_000.0
    }

    /// One line of the report: `scenario  concurrency  req/s  p50  p99  p99.9  errors`.
    pub fn line(&self) -> String {
        format!(
            "{:<48} {:>4} {:>10.0} {:>9.2} {:>9.2} {:>9.2} {:>6}",
            self.name,
            self.concurrency,
            self.per_second(),
            self.millis_at(0.5),
            self.millis_at(0.99),
            self.millis_at(0.999),
            self.errors
        )
    }
}

pub const HEADER: &str =
    "scenario                                         conc      req/s   p50 ms   p99 ms p99.9 ms errors";

/// Runs `operation` from `concurrency` workers for `duration`. `operation(worker, n)` makes one call.
pub async fn run<F, Fut>(name: &str, concurrency: usize, duration: Duration, operation: F) -> Measurement
where
    F: Fn(usize, u64) -> Fut + Clone + Send + 'static,
    Fut: Future<Output = Result<(), tonic::Status>> + Send,
{
    // Progress, so a long run shows where it is (and a profiler can be pointed at one scenario).
    eprintln!("running {name} ({concurrency} callers, {duration:?})");
    let started = Instant::now();
    let deadline = started + duration;
    let workers: Vec<_> = (0..concurrency)
        .map(|worker| {
            let operation = operation.clone();
            tokio::spawn(async move {
                // Nanosecond resolution up to a minute, three significant figures.
                let mut latency =
                    Histogram::<u64>::new_with_bounds(1_000, 60_000_000_000, 3).expect("histogram bounds");
                let (mut requests, mut errors, mut first_error) = (0u64, 0u64, None);
                while Instant::now() < deadline {
                    let call = Instant::now();
                    match operation(worker, requests + errors).await {
                        Ok(()) => requests += 1,
                        Err(status) => {
                            errors += 1;
                            first_error.get_or_insert_with(|| format!("{:?}: {}", status.code(), status.message()));
                        }
                    }
                    let _ = latency.record(call.elapsed().as_nanos().clamp(1_000, 60_000_000_000) as u64);
                }
                (latency, requests, errors, first_error)
            })
        })
        .collect();
    let mut merged = Histogram::<u64>::new_with_bounds(1_000, 60_000_000_000, 3).expect("histogram bounds");
    let (mut requests, mut errors, mut first_error) = (0, 0, None);
    for worker in workers {
        let (latency, done, failed, error) = worker.await.expect("a load worker panicked");
        merged.add(latency).expect("histograms share bounds");
        requests += done;
        errors += failed;
        first_error = first_error.or(error);
    }
    if let Some(error) = &first_error {
        eprintln!("{name}: {errors} errors, the first: {error}");
    }
    let measurement = Measurement {
        name: name.into(),
        concurrency,
        requests,
        errors,
        elapsed: started.elapsed(),
        latency: merged,
        first_error,
    };
    eprintln!("{}", measurement.line());
    measurement
}
