//! Sending one webhook request out of the building, safely. The URL is vetted again, its host
//! resolved and every address checked by the address guard, and the connection goes to the
//! checked address itself — a second lookup could be answered differently (DNS rebinding). https
//! is verified against Mozilla's roots with the URL's host as SNI; redirects are never followed;
//! one timeout bounds the whole attempt, from the lookup to the response's status line.
use std::{
    net::{IpAddr, SocketAddr},
    sync::Arc,
    time::Duration,
};

use http_body_util::Full;
use hyper::{
    Method,
    body::Bytes,
    client::conn::http1,
    header::{CONTENT_LENGTH, HOST},
};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;
use tokio_rustls::{
    TlsConnector,
    rustls::{ClientConfig, pki_types::ServerName},
};

use crate::domain::webhook::{Attempt, Host, Scheme, Target, check_resolved, parse_target};

/// Sends webhook requests. Cheap to clone.
#[derive(Clone)]
pub struct WebhookClient {
    /// None only if rustls refuses its own defaults; https deliveries then fail and say why.
    tls: Option<Arc<ClientConfig>>,
    timeout: Duration,
}

impl WebhookClient {
    pub fn new(timeout: Duration) -> Self {
        let tls = frontline_shared::web_tls::client_config()
            .inspect_err(|error| tracing::error!(%error, "webhooks cannot use https: no TLS configuration"))
            .ok()
            .map(Arc::new);
        Self { tls, timeout }
    }

    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// POSTs `body` to `url` with `headers`, and says what came of it.
    pub async fn post(&self, url: &str, allow_private: bool, headers: &[(&str, &str)], body: &str) -> Attempt {
        match tokio::time::timeout(self.timeout, self.attempt(url, allow_private, headers, body)).await {
            Ok(attempt) => attempt,
            Err(_) => Attempt::NoAnswer(format!("no answer within {}", humanize(self.timeout))),
        }
    }

    async fn attempt(&self, url: &str, allow_private: bool, headers: &[(&str, &str)], body: &str) -> Attempt {
        let target = match parse_target(url) {
            Ok(target) => target,
            Err(error) => return Attempt::Refused(error.to_string()),
        };
        let addresses = match &target.host {
            Host::Ip(address) => vec![*address],
            Host::Domain(name) => match tokio::net::lookup_host((name.as_str(), target.port)).await {
                Ok(found) => found.map(|socket| socket.ip()).collect(),
                Err(error) => return Attempt::NoAnswer(format!("{name} could not be resolved: {error}")),
            },
        };
        // Every address must pass, not just the one connected to; then they are tried in the
        // resolver's order.
        if let Err(error) = check_resolved(&addresses, allow_private) {
            return Attempt::Refused(format!("{} {error}", host_name(&target)));
        }
        let stream = match connect(&addresses, target.port).await {
            Ok(stream) => stream,
            Err(error) => return Attempt::NoAnswer(error),
        };
        let _ = stream.set_nodelay(true);
        let request = match request(&target, headers, body) {
            Ok(request) => request,
            Err(error) => return Attempt::Refused(format!("the request could not be built: {error}")),
        };
        match target.scheme {
            Scheme::Http => exchange(TokioIo::new(stream), request).await,
            Scheme::Https => {
                let Some(tls) = &self.tls else {
                    return Attempt::NoAnswer("https is unavailable on this server (no TLS configuration)".into());
                };
                let name = match &target.host {
                    Host::Ip(address) => ServerName::IpAddress((*address).into()),
                    Host::Domain(name) => match ServerName::try_from(name.clone()) {
                        Ok(name) => name,
                        Err(error) => return Attempt::Refused(format!("{name} is not a TLS server name: {error}")),
                    },
                };
                match TlsConnector::from(tls.clone()).connect(name, stream).await {
                    Ok(stream) => exchange(TokioIo::new(stream), request).await,
                    Err(error) => Attempt::NoAnswer(format!("TLS with {} failed: {error}", host_name(&target))),
                }
            }
        }
    }
}

async fn connect(addresses: &[IpAddr], port: u16) -> Result<TcpStream, String> {
    let mut failures = Vec::new();
    for &address in addresses {
        match TcpStream::connect((address, port)).await {
            Ok(stream) => return Ok(stream),
            Err(error) => failures.push(format!("{}: {error}", SocketAddr::new(address, port))),
        }
    }
    Err(format!("could not connect to {}", failures.join("; ")))
}

fn request(target: &Target, headers: &[(&str, &str)], body: &str) -> hyper::http::Result<hyper::Request<Full<Bytes>>> {
    // HTTP/1.1's origin form: the path and query only; the host travels in its own header.
    let path_and_query = &target.url[url::Position::BeforePath..url::Position::AfterQuery];
    let host = match target.url.port() {
        Some(port) => format!("{}:{port}", host_name(target)),
        None => host_name(target).to_string(),
    };
    let mut builder = hyper::Request::builder()
        .method(Method::POST)
        .uri(path_and_query)
        .header(HOST, host)
        .header(CONTENT_LENGTH, body.len());
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    builder.body(Full::new(Bytes::from(body.to_string())))
}

/// Sends the request and waits for the response's status, driving the connection meanwhile.
/// Everything is dropped on return, which closes the connection: the response body is not
/// read, since only the status decides what happens next.
async fn exchange<I>(io: I, request: hyper::Request<Full<Bytes>>) -> Attempt
where
    I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    let (mut sender, connection) = match http1::handshake(io).await {
        Ok(parts) => parts,
        Err(error) => return Attempt::NoAnswer(format!("the HTTP connection failed: {error}")),
    };
    let response = sender.send_request(request);
    tokio::pin!(response, connection);
    let response = tokio::select! {
        biased;
        response = &mut response => response,
        // The connection ended first (the receiver closed it); the response is settled now.
        _ = &mut connection => response.await,
    };
    match response {
        Ok(response) => Attempt::Answered(response.status().as_u16()),
        Err(error) => Attempt::NoAnswer(format!("no valid HTTP response: {error}")),
    }
}

fn host_name(target: &Target) -> &str {
    target.url.host_str().unwrap_or_default()
}

fn humanize(duration: Duration) -> String {
    if duration.subsec_millis() == 0 { format!("{}s", duration.as_secs()) } else { format!("{duration:?}") }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// A one-shot server on loopback answering `response` to the first request; returns its
    /// URL and the request it received.
    async fn answer_once(response: &'static str) -> (String, tokio::task::JoinHandle<String>) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hooks/frontline?x=1", listener.local_addr().unwrap());
        let server = tokio::spawn(async move {
            let (mut socket, _) = listener.accept().await.unwrap();
            let mut received = vec![0; 4096];
            let n = socket.read(&mut received).await.unwrap();
            socket.write_all(response.as_bytes()).await.unwrap();
            String::from_utf8_lossy(&received[..n]).into_owned()
        });
        (url, server)
    }

    #[tokio::test]
    async fn posts_to_the_checked_address_and_reports_the_status() {
        let (url, server) = answer_once("HTTP/1.1 202 Accepted\r\ncontent-length: 0\r\n\r\n").await;
        let client = WebhookClient::new(Duration::from_secs(5));
        let attempt = client.post(&url, true, &[("frontline-event", "ticket.created")], "{}").await;
        assert_eq!(attempt, Attempt::Answered(202));
        let request = server.await.unwrap().to_lowercase();
        assert!(request.starts_with("post /hooks/frontline?x=1 http/1.1\r\n"), "{request}");
        assert!(request.contains("host: 127.0.0.1:"), "{request}");
        assert!(request.contains("frontline-event: ticket.created"), "{request}");
        assert!(request.ends_with("\r\n\r\n{}"), "{request}");
    }

    #[tokio::test]
    async fn redirects_are_reported_not_followed() {
        let (url, _server) =
            answer_once("HTTP/1.1 302 Found\r\nlocation: http://169.254.169.254/\r\ncontent-length: 0\r\n\r\n").await;
        let attempt = WebhookClient::new(Duration::from_secs(5)).post(&url, true, &[], "{}").await;
        assert_eq!(attempt, Attempt::Answered(302));
    }

    #[tokio::test]
    async fn private_addresses_are_refused_before_connecting() {
        let client = WebhookClient::new(Duration::from_secs(5));
        let Attempt::Refused(why) = client.post("http://localhost:9/", false, &[], "{}").await else {
            panic!("localhost was not refused")
        };
        assert!(why.starts_with("localhost resolves to"), "{why}");
        assert!(matches!(client.post("http://10.0.0.1:9/", false, &[], "").await, Attempt::Refused(_)));
    }

    #[tokio::test]
    async fn https_to_a_plain_server_fails_without_an_answer() {
        let (url, _server) = answer_once("HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n").await;
        let url = url.replace("http://", "https://");
        let attempt = WebhookClient::new(Duration::from_secs(5)).post(&url, true, &[], "{}").await;
        assert!(
            matches!(&attempt, Attempt::NoAnswer(why) if why.starts_with("TLS with 127.0.0.1 failed")),
            "{attempt:?}"
        );
    }

    #[tokio::test]
    async fn a_silent_receiver_times_out() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/", listener.local_addr().unwrap());
        let _held = tokio::spawn(async move {
            let (socket, _) = listener.accept().await.unwrap();
            tokio::time::sleep(Duration::from_secs(30)).await;
            drop(socket);
        });
        let attempt = WebhookClient::new(Duration::from_millis(200)).post(&url, true, &[], "{}").await;
        assert_eq!(attempt, Attempt::NoAnswer("no answer within 200ms".into()));
    }
}
