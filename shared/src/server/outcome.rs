//! Records each call's outcome on its span and in the RPC metrics: the gRPC status code, read from the response
//! headers (tonic sends a failed unary call as a trailers-only response, so its status is a
//! header; a call that succeeded carries `grpc-status: 0` in trailers we do not wait for, and
//! a stream that fails midway is reported as OK here — its own span events say otherwise).
use std::{
    future::Future,
    pin::Pin,
    task::{Context, Poll},
};

use tower::{Layer, Service};

#[derive(Clone, Copy, Default)]
pub struct OutcomeLayer;

impl<S> Layer<S> for OutcomeLayer {
    type Service = Outcome<S>;

    fn layer(&self, inner: S) -> Self::Service {
        Outcome { inner }
    }
}

#[derive(Clone)]
pub struct Outcome<S> {
    inner: S,
}

/// The numeric gRPC status of a response: its `grpc-status` header, or 0 (OK) without one.
pub fn status_code<B>(response: &http::Response<B>) -> i64 {
    response
        .headers()
        .get("grpc-status")
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse().ok())
        .unwrap_or(0)
}

impl<S, ReqBody, ResBody> Service<http::Request<ReqBody>> for Outcome<S>
where
    S: Service<http::Request<ReqBody>, Response = http::Response<ResBody>>,
    S::Future: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<S::Response, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<ReqBody>) -> Self::Future {
        let method = request.uri().path().to_owned();
        let started = std::time::Instant::now();
        let future = self.inner.call(request);
        // tonic enters the call's span around polling the response future, not around `call`.
        Box::pin(async move {
            let response = future.await?;
            let code = status_code(&response);
            tracing::Span::current().record("rpc.grpc.status_code", code);
            crate::metrics::record_rpc(&method, code, started.elapsed());
            Ok(response)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::status_code;

    #[test]
    fn a_trailers_only_error_carries_its_status_in_the_headers() {
        let failed = http::Response::builder().header("grpc-status", "5").body(()).unwrap();
        assert_eq!(status_code(&failed), 5);
        assert_eq!(status_code(&http::Response::new(())), 0);
    }
}
