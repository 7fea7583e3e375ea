//! Logs and traces. `tracing` everywhere, pretty for people or JSON for machines; OpenTelemetry
//! spans exported over OTLP/gRPC when an endpoint is configured; W3C trace context extracted
//! from every incoming call and injected into every outgoing one, so one request can be
//! followed across services.
use opentelemetry::{
    global,
    propagation::{Extractor, Injector},
    trace::TracerProvider as _,
};
use opentelemetry_otlp::WithExportConfig;
use opentelemetry_sdk::{Resource, propagation::TraceContextPropagator, trace::SdkTracerProvider};
use tracing_opentelemetry::OpenTelemetrySpanExt;
use tracing_subscriber::{EnvFilter, Layer, Registry, layer::SubscriberExt};

use crate::config::{LogFormat, Settings};

/// Flushes exported spans when dropped at exit.
pub struct Telemetry {
    provider: Option<SdkTracerProvider>,
}

impl Telemetry {
    /// Exports the spans finished so far (tests, and before a planned exit).
    pub fn flush(&self) {
        if let Some(provider) = &self.provider
            && let Err(error) = provider.force_flush()
        {
            eprintln!("flushing traces failed: {error}");
        }
    }

    pub fn shutdown(mut self) {
        if let Some(provider) = self.provider.take()
            && let Err(error) = provider.shutdown()
        {
            eprintln!("flushing traces failed: {error}");
        }
    }
}

/// Installs the global subscriber. Safe to call more than once (tests do): later calls keep
/// the first subscriber.
pub fn init(settings: &Settings) -> anyhow::Result<Telemetry> {
    global::set_text_map_propagator(TraceContextPropagator::new());
    let filter = EnvFilter::try_from_default_env()
        .or_else(|_| EnvFilter::try_new(&settings.telemetry.log_filter))
        .map_err(|error| anyhow::anyhow!("telemetry.log_filter: {error}"))?;
    let logs: Box<dyn Layer<Registry> + Send + Sync> = match settings.telemetry.log_format {
        LogFormat::Pretty => Box::new(tracing_subscriber::fmt::layer().compact()),
        LogFormat::Json => {
            Box::new(tracing_subscriber::fmt::layer().json().flatten_event(true).with_current_span(true))
        }
    };
    let mut layers = vec![logs.with_filter(filter).boxed()];
    let mut provider = None;
    if let Some(endpoint) = settings.otlp_endpoint() {
        let exporter = opentelemetry_otlp::SpanExporter::builder()
            .with_tonic()
            .with_endpoint(endpoint.clone())
            .build()
            .map_err(|error| anyhow::anyhow!("telemetry.otlp_endpoint {endpoint}: {error}"))?;
        let sdk = SdkTracerProvider::builder()
            .with_batch_exporter(exporter)
            .with_resource(Resource::builder().with_service_name(settings.telemetry.resource_name()).build())
            .build();
        let tracer = sdk.tracer("frontline");
        global::set_tracer_provider(sdk.clone());
        let spans = tracing_opentelemetry::layer()
            .with_tracer(tracer)
            .with_filter(EnvFilter::new("info,h2=off,hyper=off,tower=off"));
        layers.push(spans.boxed());
        provider = Some(sdk);
    }
    if tracing::subscriber::set_global_default(tracing_subscriber::registry().with(layers)).is_ok() {
        // Records of crates that log through `log` (tantivy, sqlx) become events too, but only
        // from INFO up. A `log::log_enabled!(Debug)` that asks the subscriber and then logs
        // nothing (sqlx does, for every statement on PostgreSQL) left the per-layer filters'
        // state stale, and the next span was lost to the OpenTelemetry layer: with any debug
        // directive in the log filter, no trace was exported at all.
        let _ = tracing_log::LogTracer::builder().with_max_level(tracing_log::log::LevelFilter::Info).init();
    }
    Ok(Telemetry { provider })
}

struct HeaderExtractor<'a>(&'a http::HeaderMap);

impl Extractor for HeaderExtractor<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|value| value.to_str().ok())
    }

    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(|key| key.as_str()).collect()
    }
}

/// The SERVER span of one incoming call, parented on the caller's W3C trace context (tonic's
/// trace_fn), named and tagged by OpenTelemetry's RPC semantic conventions like the callers'
/// CLIENT spans ([`crate::client_trace`]), so trace viewers pair the two.
pub fn server_span(request: &http::Request<()>) -> tracing::Span {
    let (service, method) = crate::client_trace::service_and_method(request.uri().path());
    // Probes every few seconds from the kubelet and from peers would drown the traces.
    if service == "grpc.health.v1.Health" {
        return tracing::Span::none();
    }
    let span = tracing::info_span!(
        "grpc.server",
        otel.name = %format!("{service}/{method}"),
        otel.kind = "server",
        otel.status_code = tracing::field::Empty,
        rpc.system = "grpc",
        rpc.service = %service,
        rpc.method = %method,
        // Filled in as the call goes: by the authenticator, by the first feed event it writes,
        // and from the response's grpc-status.
        enduser.role = tracing::field::Empty,
        frontline.resource = tracing::field::Empty,
        rpc.grpc.status_code = tracing::field::Empty,
        trace_id = tracing::field::Empty,
        span_id = tracing::field::Empty,
    );
    let parent = global::get_text_map_propagator(|propagator| propagator.extract(&HeaderExtractor(request.headers())));
    let _ = span.set_parent(parent);
    record_ids(&span);
    span
}

/// Puts the OpenTelemetry trace and span ids on the span as fields, so JSON log lines written
/// inside it carry them and logs join traces. Without an exporter there are no ids to record.
fn record_ids(span: &tracing::Span) {
    use opentelemetry::trace::TraceContextExt;
    let context = span.context();
    let ids = context.span().span_context().clone();
    if ids.is_valid() {
        span.record("trace_id", ids.trace_id().to_string());
        span.record("span_id", ids.span_id().to_string());
    }
}

/// The current span's W3C `traceparent`, or "" outside a sampled trace: stored with each feed
/// event so followers continue the writer's trace.
pub fn current_traceparent() -> String {
    let context = tracing::Span::current().context();
    let mut carrier = std::collections::HashMap::new();
    global::get_text_map_propagator(|propagator| propagator.inject_context(&context, &mut carrier));
    carrier.remove("traceparent").unwrap_or_default()
}

/// A span for applying one feed event, parented on the trace of the write that made it.
pub fn feed_event_span(follower: &str, event_type: &str, position: i64, traceparent: &str) -> tracing::Span {
    let span = tracing::info_span!(
        "feed.apply",
        otel.name = %format!("apply {event_type}"),
        feed.follower = %follower,
        feed.position = position,
        trace_id = tracing::field::Empty,
        span_id = tracing::field::Empty,
    );
    if !traceparent.is_empty() {
        let carrier = std::collections::HashMap::from([("traceparent".to_string(), traceparent.to_string())]);
        let parent = global::get_text_map_propagator(|propagator| propagator.extract(&carrier));
        let _ = span.set_parent(parent);
    }
    record_ids(&span);
    span
}

/// Writes `span`'s trace context into an outgoing request's headers (W3C `traceparent`).
pub fn inject_context(span: &tracing::Span, headers: &mut http::HeaderMap) {
    let context = span.context();
    global::get_text_map_propagator(|propagator| propagator.inject_context(&context, &mut HeaderInjector(headers)));
}

struct HeaderInjector<'a>(&'a mut http::HeaderMap);

impl Injector for HeaderInjector<'_> {
    fn set(&mut self, key: &str, value: String) {
        if let (Ok(key), Ok(value)) =
            (http::HeaderName::from_bytes(key.as_bytes()), http::HeaderValue::from_str(&value))
        {
            self.0.insert(key, value);
        }
    }
}

#[cfg(test)]
mod tests {
    use opentelemetry::{global, trace::TracerProvider as _};
    use opentelemetry_sdk::{propagation::TraceContextPropagator, trace::SdkTracerProvider};
    use tracing_subscriber::layer::SubscriberExt;

    use super::{inject_context, server_span};

    #[test]
    fn trace_context_flows_from_an_incoming_call_to_the_calls_it_makes() {
        global::set_text_map_propagator(TraceContextPropagator::new());
        let provider = SdkTracerProvider::builder().build();
        let subscriber =
            tracing_subscriber::registry().with(tracing_opentelemetry::layer().with_tracer(provider.tracer("test")));
        tracing::subscriber::with_default(subscriber, || {
            let caller = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
            let request = http::Request::builder().header("traceparent", caller).body(()).unwrap();
            let span = server_span(&request);
            let mut outgoing = http::HeaderMap::new();
            inject_context(&span, &mut outgoing);
            let traceparent = outgoing.get("traceparent").expect("context injected").to_str().unwrap().to_string();
            assert!(traceparent.starts_with("00-4bf92f3577b34da6a3ce929d0e0e4736-"), "same trace: {traceparent}");
            assert!(!traceparent.contains("00f067aa0ba902b7"), "parented on this server's span, not the caller's");
        });
    }
}
