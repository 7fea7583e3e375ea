//! The CLIENT span of every call one Frontline service makes to another, named and tagged by
//! OpenTelemetry's RPC semantic conventions (`rpc.system`, `rpc.service`, `rpc.method`,
//! `server.address`, `rpc.grpc.status_code`), so that a trace viewer (Jaeger, Tempo) pairs it
//! with the callee's SERVER span and draws the service graph. The span lasts until the
//! response body ends: a watch stream's span covers the whole stream, and the status comes from
//! the trailers (or from the headers of a trailers-only error).
//!
//! Written here because tonic has no client tracing layer and tower-http's trace layer knows
//! HTTP, not gRPC status or the RPC conventions.
use std::{
    pin::Pin,
    sync::Arc,
    task::{Context, Poll},
};

use tower::Service;
use tracing::Instrument;

/// Wraps a channel so that each call runs inside its own CLIENT span.
#[derive(Clone)]
pub struct ClientTrace<S> {
    inner: S,
    /// `server.address` of every span: the peer's host, or "in-process".
    server_address: Arc<str>,
}

impl<S: Clone> ClientTrace<S> {
    pub fn new(inner: S, server_address: impl Into<Arc<str>>) -> Self {
        Self { inner, server_address: server_address.into() }
    }

    /// The same channel without spans, for calls nobody wants to see in a trace (health checks).
    pub fn untraced(&self) -> S {
        self.inner.clone()
    }
}

/// `/frontline.knowledge.v1.KnowledgeService/SuggestArticles` → its service and method.
pub fn service_and_method(path: &str) -> (&str, &str) {
    let path = path.trim_start_matches('/');
    path.rsplit_once('/').unwrap_or((path, ""))
}

/// The span's fields from a gRPC status code: the code itself, and ERROR for OpenTelemetry
/// when the call failed.
pub fn record_status(span: &tracing::Span, code: i64) {
    span.record("rpc.grpc.status_code", code);
    if code != 0 {
        span.record("otel.status_code", "ERROR");
    }
}

fn grpc_status(headers: &http::HeaderMap) -> Option<i64> {
    headers.get("grpc-status")?.to_str().ok()?.parse().ok()
}

impl<S, ResBody> Service<http::Request<tonic::body::Body>> for ClientTrace<S>
where
    S: Service<http::Request<tonic::body::Body>, Response = http::Response<ResBody>>,
    S::Future: Send + 'static,
    ResBody: http_body::Body<Data = bytes::Bytes> + Send + Unpin + 'static,
    ResBody::Error: Into<tower::BoxError>,
{
    type Response = http::Response<tonic::body::Body>;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: http::Request<tonic::body::Body>) -> Self::Future {
        let (service, method) = service_and_method(request.uri().path());
        let span = tracing::info_span!(
            "grpc.client",
            otel.name = %format!("{service}/{method}"),
            otel.kind = "client",
            otel.status_code = tracing::field::Empty,
            rpc.system = "grpc",
            rpc.service = %service,
            rpc.method = %method,
            server.address = %self.server_address,
            rpc.grpc.status_code = tracing::field::Empty,
        );
        crate::telemetry::inject_context(&span, request.headers_mut());
        // The call is handed on outside any span: tonic's channel spawns its connection tasks
        // in the span current at the time, and a connection outlives the call, so it would keep
        // the caller's spans open (and unexported) for as long as the connection lasts.
        let future = tracing::Span::none().in_scope(|| self.inner.call(request));
        Box::pin(
            async move {
                let response = future.await?;
                let span = tracing::Span::current();
                if let Some(code) = grpc_status(response.headers()) {
                    record_status(&span, code);
                }
                Ok(response.map(|body| tonic::body::Body::new(TracedBody { body, span })))
            }
            .instrument(span),
        )
    }
}

/// A response body that keeps its call's span open until it ends, and records the status its
/// trailers carry.
struct TracedBody<B> {
    body: B,
    span: tracing::Span,
}

impl<B: http_body::Body + Unpin> http_body::Body for TracedBody<B> {
    type Data = B::Data;
    type Error = B::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Self::Data>, Self::Error>>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.body).poll_frame(cx);
        if let Poll::Ready(Some(Ok(frame))) = &polled
            && let Some(code) = frame.trailers_ref().and_then(grpc_status)
        {
            record_status(&this.span, code);
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.body.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::service_and_method;

    #[test]
    fn a_grpc_path_names_its_service_and_method() {
        assert_eq!(
            service_and_method("/frontline.knowledge.v1.KnowledgeService/SuggestArticles"),
            ("frontline.knowledge.v1.KnowledgeService", "SuggestArticles")
        );
        assert_eq!(service_and_method("/odd"), ("odd", ""));
    }
}
