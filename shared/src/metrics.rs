//! Metrics: per-method RPC latency histograms and error counts, feed lag per follower and
//! database pool use. OpenTelemetry instruments, read by a Prometheus registry (served on
//! `telemetry.metrics_addr` for clusters that scrape) and pushed over OTLP when an endpoint is
//! configured. Until `init` runs, recording is a no-op, so tests and tools pay nothing.
use std::{
    net::SocketAddr,
    sync::{Arc, OnceLock},
    time::Duration,
};

use anyhow::Context;
use bytes::Bytes;
use http_body_util::Full;
use opentelemetry::{
    KeyValue,
    metrics::{Counter, Gauge, Histogram, Meter, MeterProvider as _},
};
use opentelemetry_otlp::WithExportConfig;
use opentelemetry_sdk::{
    Resource,
    metrics::{PeriodicReader, SdkMeterProvider},
};
use prometheus::{Encoder, TextEncoder};
use tokio_util::sync::CancellationToken;

use crate::{
    config::Settings,
    database::{Backend, Database},
};

struct Instruments {
    meter: Meter,
    rpc_duration: Histogram<f64>,
    rpc_errors: Counter<u64>,
    feed_lag: Gauge<i64>,
    sla_timers: Gauge<i64>,
}

static INSTRUMENTS: OnceLock<Instruments> = OnceLock::new();

/// The process's metrics: keep it for the scrape endpoint and flush it at exit.
#[derive(Clone)]
pub struct Metrics {
    provider: SdkMeterProvider,
    registry: prometheus::Registry,
}

impl Metrics {
    /// The current values in Prometheus' text format.
    pub fn render(&self) -> String {
        let mut text = Vec::new();
        if let Err(error) = TextEncoder::new().encode(&self.registry.gather(), &mut text) {
            tracing::warn!(%error, "encoding metrics failed");
        }
        String::from_utf8(text).unwrap_or_default()
    }

    pub fn shutdown(&self) {
        let _ = self.provider.shutdown();
    }

    /// Serves `GET /metrics` (any path, in fact) on `listener` until `shutdown`.
    pub async fn serve(self, listener: tokio::net::TcpListener, shutdown: CancellationToken) {
        let metrics = Arc::new(self);
        loop {
            let (stream, _) = tokio::select! {
                accepted = listener.accept() => match accepted {
                    Ok(accepted) => accepted,
                    Err(error) => {
                        tracing::warn!(%error, "accepting a metrics scrape failed");
                        continue;
                    }
                },
                _ = shutdown.cancelled() => return,
            };
            let metrics = metrics.clone();
            tokio::spawn(async move {
                let service = hyper::service::service_fn(move |_request: http::Request<hyper::body::Incoming>| {
                    let body = metrics.render();
                    async move {
                        http::Response::builder()
                            .header("content-type", "text/plain; version=0.0.4")
                            .body(Full::new(Bytes::from(body)))
                    }
                });
                let io = hyper_util::rt::TokioIo::new(stream);
                if let Err(error) = hyper::server::conn::http1::Builder::new().serve_connection(io, service).await {
                    tracing::debug!(%error, "a metrics scrape connection ended with an error");
                }
            });
        }
    }
}

/// Installs the meter provider and the instruments. Once per process: later calls return a
/// handle on a fresh registry that nothing records into, so call it where telemetry starts.
pub fn init(settings: &Settings) -> anyhow::Result<Metrics> {
    let registry = prometheus::Registry::new();
    let prometheus = opentelemetry_prometheus::exporter().with_registry(registry.clone()).build()?;
    let mut builder = SdkMeterProvider::builder()
        .with_reader(prometheus)
        .with_resource(Resource::builder().with_service_name(settings.telemetry.resource_name()).build());
    if let Some(endpoint) = settings.otlp_endpoint() {
        let exporter = opentelemetry_otlp::MetricExporter::builder()
            .with_tonic()
            .with_endpoint(endpoint.clone())
            .build()
            .with_context(|| format!("telemetry.otlp_endpoint {endpoint}: metrics exporter"))?;
        builder = builder.with_reader(PeriodicReader::builder(exporter).with_interval(Duration::from_secs(30)).build());
    }
    let provider = builder.build();
    let meter = provider.meter("frontline");
    let instruments = Instruments {
        rpc_duration: meter
            .f64_histogram("rpc.server.duration")
            .with_unit("ms")
            .with_description("Time to answer each call, by method and gRPC status code")
            .with_boundaries(vec![0.5, 1.0, 2.5, 5.0, 10.0, 25.0, 50.0, 100.0, 250.0, 500.0, 1000.0, 2500.0, 10000.0])
            .build(),
        rpc_errors: meter
            .u64_counter("rpc.server.errors")
            .with_description("Calls that ended with a gRPC status other than OK, by method and code")
            .build(),
        feed_lag: meter
            .i64_gauge("frontline.feed.lag")
            .with_description("Events a feed follower has still to apply (head minus its position)")
            .build(),
        sla_timers: meter
            .i64_gauge("frontline.sla.timers.pending")
            .with_description("SLA warnings and breaches scheduled and not yet fired, as of the scheduler's last pass")
            .build(),
        meter,
    };
    let _ = INSTRUMENTS.set(instruments);
    Ok(Metrics { provider, registry })
}

/// How many SLA warnings and breaches wait for their time.
pub fn record_sla_timers_pending(pending: i64) {
    if let Some(instruments) = INSTRUMENTS.get() {
        instruments.sla_timers.record(pending.max(0), &[]);
    }
}

/// One finished call.
pub fn record_rpc(method: &str, code: i64, elapsed: Duration) {
    let Some(instruments) = INSTRUMENTS.get() else { return };
    let attributes = [KeyValue::new("rpc.method", method.to_owned()), KeyValue::new("rpc.grpc.status_code", code)];
    instruments.rpc_duration.record(elapsed.as_secs_f64() * 1000.0, &attributes);
    if code != 0 {
        instruments.rpc_errors.add(1, &attributes);
    }
}

/// How far a follower is behind the feed it follows.
pub fn record_feed_lag(follower: &str, lag: i64) {
    if let Some(instruments) = INSTRUMENTS.get() {
        instruments.feed_lag.record(lag.max(0), &[KeyValue::new("follower", follower.to_owned())]);
    }
}

/// Reports `db`'s connection pools (in use, idle, the limit) whenever metrics are read.
pub fn observe_pools(db: &Database) {
    let Some(instruments) = INSTRUMENTS.get() else { return };
    let name = db.name().to_owned();
    // SQLite has a one-connection writer pool beside the readers; Postgres one shared pool.
    let pools = match db.backend() {
        Backend::Sqlite => vec![("writer", db.writer().clone()), ("reader", db.reader().clone())],
        Backend::Postgres => vec![("shared", db.writer().clone())],
    };
    instruments
        .meter
        .i64_observable_gauge("frontline.db.pool.connections")
        .with_description("Database connections of each service's pools: in use, idle, and the limit")
        .with_callback(move |observer| {
            for (role, pool) in &pools {
                let (size, idle) = (i64::from(pool.size()), pool.num_idle() as i64);
                let labels = |state: &'static str| {
                    [
                        KeyValue::new("database", name.clone()),
                        KeyValue::new("pool", *role),
                        KeyValue::new("state", state),
                    ]
                };
                observer.observe(size - idle, &labels("in_use"));
                observer.observe(idle, &labels("idle"));
                observer.observe(i64::from(pool.options().get_max_connections()), &labels("max"));
            }
        })
        .build();
}

/// Where to serve scrapes: `telemetry.metrics_addr`, when set.
pub fn scrape_address(settings: &Settings) -> anyhow::Result<Option<SocketAddr>> {
    let addr = settings.telemetry.metrics_addr.trim();
    if addr.is_empty() {
        return Ok(None);
    }
    addr.parse().map(Some).with_context(|| format!("telemetry.metrics_addr `{addr}` is not HOST:PORT"))
}
