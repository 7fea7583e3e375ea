//! The one gRPC server every shape of Frontline runs: the enabled services behind health,
//! reflection, gRPC-Web with CORS, a request timeout that honours the caller's grpc-timeout,
//! and a concurrency limit shared by all connections that sheds excess calls with
//! RESOURCE_EXHAUSTED instead of queueing them until they time out, and drains before it stops.
mod deadline;
mod drain;
mod in_process;
pub mod lifecycle;
mod outcome;

use std::{sync::Arc, time::Duration};

use http::{HeaderName, Method};
use tokio::sync::Semaphore;
use tonic::{Status, service::Routes, transport::Server};
use tonic_health::{ServingStatus, server::HealthReporter};
use tower::{BoxError, ServiceBuilder};
use tower_http::cors::{AllowOrigin, CorsLayer};

pub use drain::Drain;
pub use in_process::{InProcessConnector, in_process};

use crate::config::ServerSettings;

/// Health statuses: "" for the process (liveness), one per service (readiness), which turn
/// NOT_SERVING as soon as shutdown starts so load balancers stop sending new calls, and one per
/// peer service this process calls ([`peer_health_name`]), SERVING while it answers. A peer
/// that is down degrades this process (no suggestions, queued routing) but never its readiness.
#[derive(Clone)]
pub struct Health {
    reporter: HealthReporter,
    services: Vec<&'static str>,
}

impl Health {
    pub fn new(reporter: HealthReporter, services: Vec<&'static str>) -> Self {
        Self { reporter, services }
    }

    pub async fn serving(&self) {
        self.reporter.set_service_status("", ServingStatus::Serving).await;
        for service in &self.services {
            self.reporter.set_service_status(*service, ServingStatus::Serving).await;
        }
    }

    pub async fn draining(&self) {
        for service in &self.services {
            self.reporter.set_service_status(*service, ServingStatus::NotServing).await;
        }
    }

    /// Whether `peer` (a service name such as "knowledge") answers this process's calls.
    pub async fn peer(&self, peer: &str, reachable: bool) {
        let status = if reachable { ServingStatus::Serving } else { ServingStatus::NotServing };
        self.reporter.set_service_status(peer_health_name(peer), status).await;
    }
}

/// The health-check name under which a process reports whether it reaches `peer`:
/// `grpcurl -d '{"service": "frontline.peers.knowledge"}' … grpc.health.v1.Health/Check`.
pub fn peer_health_name(peer: &str) -> String {
    format!("frontline.peers.{peer}")
}

/// Adds gRPC health and reflection (every Frontline contract) to `routes`.
pub fn add_health_and_reflection(routes: &mut tonic::service::RoutesBuilder) -> anyhow::Result<HealthReporter> {
    let (reporter, health_service) = tonic_health::server::health_reporter();
    let reflection = tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(frontline_proto::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
        .build_v1()?;
    let reflection_v1alpha = tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(frontline_proto::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
        .build_v1alpha()?;
    routes.add_service(health_service).add_service(reflection).add_service(reflection_v1alpha);
    Ok(reporter)
}

/// Serves `routes` on `incoming` until `shutdown` resolves, then closes the listener and lets
/// the calls still running finish. Calls arriving once `drain` has started are refused with
/// UNAVAILABLE; start it, and wait for it, before `shutdown` to stop with no call cut off.
pub async fn serve<I, IO, IE>(
    routes: Routes,
    settings: &ServerSettings,
    limit: Arc<Semaphore>,
    drain: Drain,
    incoming: I,
    shutdown: impl Future<Output = ()>,
) -> anyhow::Result<()>
where
    I: futures::Stream<Item = Result<IO, IE>>,
    IO: tokio::io::AsyncRead + tokio::io::AsyncWrite + tonic::transport::server::Connected + Unpin + Send + 'static,
    IE: Into<BoxError>,
{
    let layers = ServiceBuilder::new()
        .layer(cors(settings))
        .layer(tonic_web::GrpcWebLayer::new())
        .layer(shed_beyond(limit))
        .layer(outcome::OutcomeLayer)
        .layer(drain)
        .layer(deadline::DeadlineLayer::new(settings.request_timeout))
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(PanicIsInternal))
        .into_inner();
    Server::builder()
        .accept_http1(true) // gRPC-Web arrives over HTTP/1.1
        // No `.timeout()`: the deadline layer bounds each call, except the client streams it
        // must not cut off.
        .http2_keepalive_interval(Some(Duration::from_secs(30)))
        .trace_fn(crate::telemetry::server_span)
        .layer(layers)
        .add_routes(routes)
        .serve_with_incoming_shutdown(incoming, shutdown)
        .await?;
    Ok(())
}

/// A panic in one call's handler becomes INTERNAL for that call alone: the connection, the
/// other calls on it and the process go on. The panic's message is logged, never sent.
#[derive(Clone, Copy)]
struct PanicIsInternal;

impl tower_http::catch_panic::ResponseForPanic for PanicIsInternal {
    type ResponseBody = tonic::body::Body;

    fn response_for_panic(
        &mut self,
        panic: Box<dyn std::any::Any + Send + 'static>,
    ) -> http::Response<Self::ResponseBody> {
        let message = panic
            .downcast_ref::<&str>()
            .map(|text| text.to_string())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "a panic without a message".into());
        tracing::error!(panic = %message, "a call panicked; it was answered INTERNAL and the server goes on");
        Status::from(crate::ApiError::Internal(anyhow::anyhow!("panic: {message}"))).into_http()
    }
}

type ShedLayers = tower::layer::util::Stack<
    tower::limit::GlobalConcurrencyLimitLayer,
    tower::layer::util::Stack<
        tower::load_shed::LoadShedLayer,
        tower::layer::util::Stack<tower::util::MapErrLayer<fn(BoxError) -> BoxError>, tower::layer::util::Identity>,
    >,
>;

/// At most as many calls in flight as `limit` has permits, across every connection; a call
/// beyond that fails at once with RESOURCE_EXHAUSTED rather than queueing towards its deadline.
pub fn shed_beyond(limit: Arc<Semaphore>) -> ServiceBuilder<ShedLayers> {
    ServiceBuilder::new()
        .map_err(shed_to_status as fn(BoxError) -> BoxError)
        .load_shed()
        .layer(tower::limit::GlobalConcurrencyLimitLayer::with_semaphore(limit))
}

/// The semaphore behind the process-wide concurrency limit (one for TCP and in-process calls).
pub fn concurrency_limit(settings: &ServerSettings) -> Arc<Semaphore> {
    Arc::new(Semaphore::new(settings.concurrency_limit))
}

fn shed_to_status(error: BoxError) -> BoxError {
    if error.is::<tower::load_shed::error::Overloaded>() {
        Box::new(Status::resource_exhausted(
            "the server is at its concurrency limit (server.concurrency_limit); retry with backoff",
        ))
    } else {
        error
    }
}

/// Browsers calling through gRPC-Web must be able to read the gRPC status trailers-as-headers.
fn cors(settings: &ServerSettings) -> CorsLayer {
    let origins = if settings.cors_allowed_origins.is_empty() {
        AllowOrigin::mirror_request()
    } else {
        AllowOrigin::list(settings.cors_allowed_origins.iter().filter_map(|origin| origin.parse().ok()))
    };
    let header = HeaderName::from_static;
    CorsLayer::new()
        .allow_origin(origins)
        .allow_methods([Method::POST, Method::OPTIONS])
        .allow_headers([
            header("authorization"),
            header("content-type"),
            header("x-grpc-web"),
            header("x-user-agent"),
            header("grpc-timeout"),
            header("traceparent"),
            header("tracestate"),
        ])
        .expose_headers([header("grpc-status"), header("grpc-message"), header("grpc-status-details-bin")])
        .max_age(Duration::from_secs(86400))
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    /// A health service that panics when asked about "boom": any handler's panic would do.
    struct Panicky;

    #[tonic::async_trait]
    impl tonic_health::pb::health_server::Health for Panicky {
        async fn check(
            &self,
            request: tonic::Request<tonic_health::pb::HealthCheckRequest>,
        ) -> Result<tonic::Response<tonic_health::pb::HealthCheckResponse>, Status> {
            assert_ne!(request.get_ref().service, "boom", "a bug in a handler");
            Ok(tonic::Response::new(tonic_health::pb::HealthCheckResponse { status: 1 }))
        }

        type WatchStream = futures::stream::Empty<Result<tonic_health::pb::HealthCheckResponse, Status>>;

        async fn watch(
            &self,
            _: tonic::Request<tonic_health::pb::HealthCheckRequest>,
        ) -> Result<tonic::Response<Self::WatchStream>, Status> {
            Err(Status::unimplemented("not in this test"))
        }
    }

    #[tokio::test]
    async fn a_panic_in_a_call_fails_that_call_alone() {
        use tonic_health::pb::{HealthCheckRequest, health_client::HealthClient, health_server::HealthServer};
        let settings = crate::config::Settings::load_from(None, Vec::<(String, String)>::new()).unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let routes = tonic::service::Routes::new(HealthServer::new(Panicky));
        let stop = tokio_util::sync::CancellationToken::new();
        let limit = super::concurrency_limit(&settings.server);
        let incoming = tonic::transport::server::TcpIncoming::from(listener);
        let stopped = stop.clone().cancelled_owned();
        let served = tokio::spawn(async move {
            super::serve(routes, &settings.server, limit, super::Drain::default(), incoming, stopped).await
        });
        let channel =
            tonic::transport::Endpoint::from_shared(format!("http://{addr}")).unwrap().connect().await.unwrap();
        let mut client = HealthClient::new(channel);
        let ask = |service: &str| HealthCheckRequest { service: service.into() };

        for _ in 0..2 {
            let panicked = client.check(ask("boom")).await.unwrap_err();
            assert_eq!(panicked.code(), tonic::Code::Internal);
            assert!(!panicked.message().contains("a bug in a handler"), "the panic's text is logged, not sent");
        }
        // The same connection, and the server, go on.
        assert_eq!(client.check(ask("")).await.unwrap().into_inner().status, 1);
        stop.cancel();
        served.await.unwrap().unwrap();
    }

    use tokio::sync::{Notify, Semaphore};
    use tonic::{Code, Status};
    use tower::{BoxError, Service, ServiceExt};

    use super::shed_beyond;

    #[tokio::test]
    async fn calls_beyond_the_shared_limit_are_shed_with_resource_exhausted() {
        let release = Arc::new(Notify::new());
        let inner = {
            let release = release.clone();
            tower::service_fn(move |_: ()| {
                let release = release.clone();
                async move {
                    release.notified().await;
                    Ok::<_, BoxError>("done")
                }
            })
        };
        let limit = Arc::new(Semaphore::new(1));
        let mut first = shed_beyond(limit.clone()).service(inner.clone());
        let mut second = shed_beyond(limit).service(inner); // another connection, same limit

        let in_flight = first.ready().await.unwrap().call(());
        let error = second.ready().await.unwrap().call(()).await.unwrap_err();
        let status = error.downcast::<Status>().expect("a gRPC status");
        assert_eq!(status.code(), Code::ResourceExhausted);
        assert!(status.message().contains("server.concurrency_limit"));

        release.notify_one();
        assert_eq!(in_flight.await.unwrap(), "done");
        let next = second.ready().await.unwrap().call(());
        release.notify_one();
        assert_eq!(next.await.unwrap(), "done", "capacity returns when the call finishes");
    }
}
