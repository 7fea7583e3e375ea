//! Gives each call's handler its deadline ([`crate::deadline`]): the caller's `grpc-timeout`
//! or `server.request_timeout`, whichever ends first — the same bound tonic's own timeout
//! enforces by dropping the handler, which it applies outside this layer.
use std::{
    pin::Pin,
    task::{Context, Poll},
    time::Duration,
};

use tokio::time::Instant;
use tower::{Layer, Service};

use crate::deadline;

#[derive(Clone, Copy)]
pub struct DeadlineLayer {
    pub request_timeout: Duration,
}

impl<S> Layer<S> for DeadlineLayer {
    type Service = Deadline<S>;

    fn layer(&self, inner: S) -> Self::Service {
        Deadline { inner, request_timeout: self.request_timeout }
    }
}

#[derive(Clone)]
pub struct Deadline<S> {
    inner: S,
    request_timeout: Duration,
}

impl<S, ReqBody> Service<http::Request<ReqBody>> for Deadline<S>
where
    S: Service<http::Request<ReqBody>>,
    S::Future: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<S::Response, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<ReqBody>) -> Self::Future {
        let asked = request
            .headers()
            .get("grpc-timeout")
            .and_then(|value| value.to_str().ok())
            .and_then(deadline::parse_grpc_timeout);
        let timeout = asked.map_or(self.request_timeout, |asked| asked.min(self.request_timeout));
        let future = self.inner.call(request);
        Box::pin(deadline::within(Instant::now() + timeout, future))
    }
}
