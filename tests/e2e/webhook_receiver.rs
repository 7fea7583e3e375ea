//! A webhook receiver for the tests: a real HTTP/1.1 server on 127.0.0.1 that records every
//! request and answers with the statuses it was scripted with.
use std::{
    collections::VecDeque,
    convert::Infallible,
    sync::{Arc, Mutex},
    time::Duration,
};

use http_body_util::{BodyExt, Full};
use hyper::{Request, Response, body::Bytes, server::conn::http1, service::service_fn};
use hyper_util::rt::TokioIo;

use crate::support::eventually;

/// One request as the receiver got it.
#[derive(Debug, Clone)]
pub struct Received {
    pub path: String,
    pub headers: hyper::HeaderMap,
    pub body: Vec<u8>,
}

impl Received {
    pub fn header(&self, name: &str) -> &str {
        self.headers.get(name).and_then(|value| value.to_str().ok()).unwrap_or_default()
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).expect("a JSON body")
    }
}

struct Script {
    answers: VecDeque<u16>,
    then: u16,
    received: Vec<Received>,
}

pub struct Receiver {
    /// Where to point a webhook: `http://127.0.0.1:PORT/hooks/frontline`.
    pub url: String,
    script: Arc<Mutex<Script>>,
    server: tokio::task::JoinHandle<()>,
}

impl Receiver {
    /// Answers `answers` in order, then `then` to every later request.
    pub async fn start(answers: &[u16], then: u16) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("a loopback port");
        let url = format!("http://{}/hooks/frontline", listener.local_addr().unwrap());
        let script =
            Arc::new(Mutex::new(Script { answers: answers.iter().copied().collect(), then, received: Vec::new() }));
        let shared = script.clone();
        let server = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let script = shared.clone();
                tokio::spawn(async move {
                    let service = service_fn(move |request| answer(script.clone(), request));
                    let _ = http1::Builder::new().serve_connection(TokioIo::new(stream), service).await;
                });
            }
        });
        Self { url, script, server }
    }

    /// Always answers `status`.
    pub async fn answering(status: u16) -> Self {
        Self::start(&[], status).await
    }

    pub fn received(&self) -> Vec<Received> {
        self.script.lock().unwrap().received.clone()
    }

    /// Waits until at least `count` requests arrived; returns them all.
    pub async fn wait_for(&self, count: usize) -> Vec<Received> {
        eventually(Duration::from_secs(20), || async move {
            let received = self.received();
            (received.len() >= count).then_some(received)
        })
        .await
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.server.abort();
    }
}

async fn answer(
    script: Arc<Mutex<Script>>,
    request: Request<hyper::body::Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let (parts, body) = request.into_parts();
    let body = body.collect().await.map(|collected| collected.to_bytes().to_vec()).unwrap_or_default();
    let status = {
        let mut script = script.lock().unwrap();
        script.received.push(Received { path: parts.uri.to_string(), headers: parts.headers, body });
        let then = script.then;
        script.answers.pop_front().unwrap_or(then)
    };
    let mut response = Response::new(Full::new(Bytes::from_static(b"ok")));
    *response.status_mut() = hyper::StatusCode::from_u16(status).unwrap();
    Ok(response)
}
