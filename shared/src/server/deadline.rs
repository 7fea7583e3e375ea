//! Gives each call its deadline and holds it to it: the caller's `grpc-timeout` or
//! `server.request_timeout`, whichever ends first. The handler learns it ([`crate::deadline`]),
//! and a handler still running when it passes is dropped and the call answered
//! DEADLINE_EXCEEDED.
//!
//! A client-streaming call (an import) is the exception: it runs for as long as its records
//! keep arriving, so `server.request_timeout` does not bound it — only a `grpc-timeout` its
//! caller sets does, and the handler closes a stream that goes idle (see
//! [`crate::deadline::next_message`], which allows `server.request_timeout` between records). tonic's own request timeout cannot tell the two apart,
//! which is why this layer enforces the bound instead.
use std::{
    collections::HashSet,
    pin::Pin,
    sync::Arc,
    task::{Context, Poll},
    time::Duration,
};

use prost::Message;
use tokio::time::Instant;
use tonic::Status;
use tower::{BoxError, Layer, Service};

use crate::deadline;

#[derive(Clone)]
pub struct DeadlineLayer {
    request_timeout: Duration,
    /// The paths (`/package.Service/Method`) of client-streaming calls.
    open_ended: Arc<HashSet<String>>,
}

impl DeadlineLayer {
    pub fn new(request_timeout: Duration) -> Self {
        Self { request_timeout, open_ended: Arc::new(client_streaming_paths()) }
    }
}

/// Every client-streaming method of the contracts, by path.
fn client_streaming_paths() -> HashSet<String> {
    let set = prost_types::FileDescriptorSet::decode(frontline_proto::FILE_DESCRIPTOR_SET)
        .expect("the built-in descriptor set decodes");
    let mut paths = HashSet::new();
    for file in &set.file {
        for service in &file.service {
            for method in service.method.iter().filter(|m| m.client_streaming()) {
                paths.insert(format!("/{}.{}/{}", file.package(), service.name(), method.name()));
            }
        }
    }
    paths
}

impl<S> Layer<S> for DeadlineLayer {
    type Service = Deadline<S>;

    fn layer(&self, inner: S) -> Self::Service {
        Deadline { inner, request_timeout: self.request_timeout, open_ended: self.open_ended.clone() }
    }
}

#[derive(Clone)]
pub struct Deadline<S> {
    inner: S,
    request_timeout: Duration,
    open_ended: Arc<HashSet<String>>,
}

impl<S, ReqBody> Service<http::Request<ReqBody>> for Deadline<S>
where
    S: Service<http::Request<ReqBody>>,
    S::Error: Into<BoxError>,
    S::Future: Send + 'static,
{
    type Response = S::Response;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<S::Response, BoxError>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, request: http::Request<ReqBody>) -> Self::Future {
        let asked = request
            .headers()
            .get("grpc-timeout")
            .and_then(|value| value.to_str().ok())
            .and_then(deadline::parse_grpc_timeout);
        let open_ended = self.open_ended.contains(request.uri().path());
        let timeout = if open_ended {
            asked
        } else {
            Some(asked.map_or(self.request_timeout, |asked| asked.min(self.request_timeout)))
        };
        let idle = self.request_timeout;
        let future = self.inner.call(request);
        Box::pin(async move {
            let Some(timeout) = timeout else {
                return deadline::streaming(idle, future).await.map_err(Into::into);
            };
            let deadline = Instant::now() + timeout;
            let future = deadline::streaming(idle, deadline::within(deadline, future));
            match tokio::time::timeout_at(deadline, future).await {
                Ok(answer) => answer.map_err(Into::into),
                Err(_) => Err(Box::new(Status::deadline_exceeded(format!(
                    "the call did not finish within its deadline ({timeout:?}: grpc-timeout or server.request_timeout)"
                ))) as BoxError),
            }
        })
    }
}
