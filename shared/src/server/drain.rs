//! Draining before the connections close. Once draining starts, a call that arrives is
//! answered UNAVAILABLE at once — a status every gRPC client treats as "try again, elsewhere"
//! — while the calls already running, streams included, finish; shutdown waits for them and
//! only then closes the listener and sends GOAWAY, on connections that are idle by then.
//! Closing under running calls instead makes tonic's client fail the next call it puts on
//! such a connection with CANCELLED ("connection closed"), which no retry policy retries,
//! although the server never saw it.
use std::{
    future::Future,
    pin::Pin,
    sync::{
        Arc,
        atomic::{AtomicBool, AtomicUsize, Ordering},
    },
    task::{Context, Poll},
};

use http_body_util::BodyExt;
use tokio::sync::Notify;
use tonic::Status;
use tower::{BoxError, Layer, Service};

/// Shared by every connection of one server: whether it is draining, and how many calls run.
#[derive(Clone, Default)]
pub struct Drain(Arc<State>);

#[derive(Default)]
struct State {
    draining: AtomicBool,
    running: AtomicUsize,
    idle: Notify,
}

impl Drain {
    /// From now on, new calls are refused with UNAVAILABLE.
    pub fn start(&self) {
        self.0.draining.store(true, Ordering::SeqCst);
    }

    /// Resolves when no call is running (after [`Drain::start`], when the last one finishes).
    pub async fn finished(&self) {
        loop {
            let idle = self.0.idle.notified();
            tokio::pin!(idle);
            idle.as_mut().enable();
            if self.0.running.load(Ordering::SeqCst) == 0 {
                return;
            }
            idle.await;
        }
    }

    /// Counts the call as running, unless draining has started.
    fn enter(&self) -> Option<Running> {
        // Counted before the check, so `finished` never misses a call that got past it.
        self.0.running.fetch_add(1, Ordering::SeqCst);
        let running = Running(self.0.clone());
        (!self.0.draining.load(Ordering::SeqCst)).then_some(running)
    }
}

/// One running call; it stops counting when dropped.
struct Running(Arc<State>);

impl Drop for Running {
    fn drop(&mut self) {
        if self.0.running.fetch_sub(1, Ordering::SeqCst) == 1 {
            self.0.idle.notify_waiters();
        }
    }
}

impl<S> Layer<S> for Drain {
    type Service = Draining<S>;

    fn layer(&self, inner: S) -> Self::Service {
        Draining { inner, drain: self.clone() }
    }
}

#[derive(Clone)]
pub struct Draining<S> {
    inner: S,
    drain: Drain,
}

impl<S, ReqBody, ResBody> Service<http::Request<ReqBody>> for Draining<S>
where
    S: Service<http::Request<ReqBody>, Response = http::Response<ResBody>>,
    S::Future: Send + 'static,
    S::Error: Send + 'static,
    ResBody: hyper::body::Body<Data = bytes::Bytes> + Send + 'static,
    ResBody::Error: Into<BoxError>,
{
    type Response = http::Response<tonic::body::Body>;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<ReqBody>) -> Self::Future {
        let Some(running) = self.drain.enter() else {
            let refused = Status::unavailable("Frontline is shutting down; retry the call (on another replica)");
            return Box::pin(std::future::ready(Ok(refused.into_http())));
        };
        let future = self.inner.call(request);
        Box::pin(async move {
            let response = future.await?;
            // A streamed response runs until its body ends, so the body carries the count.
            Ok(response.map(|body| {
                tonic::body::Body::new(body.map_frame(move |frame| {
                    let _still_running = &running;
                    frame
                }))
            }))
        })
    }
}

#[cfg(test)]
mod tests {
    use std::{sync::Arc, time::Duration};

    use tokio::sync::Notify;
    use tonic::Code;
    use tower::{BoxError, Service, ServiceExt};

    use super::Drain;

    #[tokio::test]
    async fn once_draining_new_calls_are_refused_and_running_ones_are_waited_for() {
        let release = Arc::new(Notify::new());
        let inner = {
            let release = release.clone();
            tower::service_fn(move |_: http::Request<()>| {
                let release = release.clone();
                async move {
                    release.notified().await;
                    Ok::<_, BoxError>(http::Response::new(tonic::body::Body::empty()))
                }
            })
        };
        let drain = Drain::default();
        let mut service = tower::Layer::layer(&drain, inner);
        let running = tokio::spawn(service.ready().await.unwrap().call(http::Request::new(())));
        tokio::time::sleep(Duration::from_millis(20)).await;

        drain.start();
        let refused = service.ready().await.unwrap().call(http::Request::new(())).await.unwrap();
        let status = tonic::Status::from_header_map(refused.headers()).expect("a gRPC status");
        assert_eq!(status.code(), Code::Unavailable);
        let finished = drain.finished();
        tokio::pin!(finished);
        assert!(tokio::time::timeout(Duration::from_millis(50), finished.as_mut()).await.is_err(), "a call still runs");

        release.notify_one();
        let response = running.await.unwrap().unwrap();
        drop(response); // the body ends: the call is over
        tokio::time::timeout(Duration::from_secs(1), finished).await.expect("drained once the call ended");
    }
}
