//! An identity provider's JWKS, kept fresh. Read from a file (`auth.jwks_file`) or fetched over
//! http(s) (`auth.jwks_url`) at start — start fails when that yields no usable key — then again
//! every `auth.jwks_refresh`, and early when a token names a `kid` the set lacks (a key rotation),
//! at most once per `auth.jwks_refetch_cooldown` so made-up `kid`s cannot make Frontline hammer
//! the provider. A failed refresh keeps the keys already held. Only the configured location is
//! ever fetched: a token's `jku` or `x5u` header is never looked at.
use std::{
    path::PathBuf,
    sync::{Arc, RwLock},
    time::{Duration, Instant},
};

use anyhow::Context as _;
use http_body_util::{BodyExt as _, Empty, Limited};
use hyper::{Request, body::Bytes, client::conn::http1};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;
use tokio_rustls::{
    TlsConnector,
    rustls::{ClientConfig, pki_types::ServerName},
};
use tokio_util::sync::CancellationToken;

use super::keys::KeySet;

/// Where the JWKS document is.
#[derive(Debug, Clone)]
pub enum JwksSource {
    File(PathBuf),
    Url(http::Uri),
}

impl JwksSource {
    /// `url` as configured: http:// or https:// with a host.
    pub fn url(url: &str) -> Result<Self, String> {
        let uri: http::Uri = url.parse().map_err(|error| format!("is not a URL ({error})"))?;
        if !matches!(uri.scheme_str(), Some("http" | "https")) || uri.host().is_none() {
            return Err("must be an http:// or https:// URL with a host".into());
        }
        Ok(Self::Url(uri))
    }

    fn describe(&self) -> String {
        match self {
            JwksSource::File(path) => format!("auth.jwks_file {}", path.display()),
            JwksSource::Url(uri) => format!("auth.jwks_url {uri}"),
        }
    }
}

/// A JWKS document larger than this is not an identity provider's key set.
const MAX_DOCUMENT_BYTES: usize = 1 << 20;
/// Bounds one fetch, from connecting to the last byte of the body.
const FETCH_TIMEOUT: Duration = Duration::from_secs(10);

/// The identity provider's keys as last read, and how to read them again.
pub struct JwksKeys {
    source: JwksSource,
    current: RwLock<Arc<KeySet>>,
    refresh_every: Duration,
    cooldown: Duration,
    /// When a token's unknown `kid` last prompted a fetch; held across that fetch so concurrent
    /// callers wait for it rather than fetch again.
    last_early_fetch: tokio::sync::Mutex<Option<Instant>>,
    /// For https URLs; None when rustls refused its own defaults (start then fails).
    tls: Option<Arc<ClientConfig>>,
}

impl JwksKeys {
    /// A file is read now (an unreadable file or one without a usable key is an error); a URL
    /// is fetched by [`JwksKeys::load`], which the server awaits before it serves.
    pub fn new(source: JwksSource, refresh_every: Duration, cooldown: Duration) -> anyhow::Result<Self> {
        let tls = match &source {
            JwksSource::Url(uri) if uri.scheme_str() == Some("https") => Some(Arc::new(
                crate::web_tls::client_config()
                    .context("auth.jwks_url is https, but no TLS configuration could be built")?,
            )),
            _ => None,
        };
        let keys = Self {
            source,
            current: RwLock::default(),
            refresh_every,
            cooldown,
            last_early_fetch: tokio::sync::Mutex::new(None),
            tls,
        };
        if let JwksSource::File(path) = &keys.source {
            let document = std::fs::read(path).with_context(|| {
                format!("reading auth.jwks_file {}: mount the file or fix the path", path.display())
            })?;
            keys.install(&document)?;
        }
        Ok(keys)
    }

    /// The keys held now.
    pub fn keys(&self) -> Arc<KeySet> {
        self.current.read().unwrap_or_else(|poisoned| poisoned.into_inner()).clone()
    }

    /// Reads the document again and, if it has a usable key, trusts its keys from now on.
    pub async fn load(&self) -> anyhow::Result<()> {
        let document = match &self.source {
            JwksSource::File(path) => {
                tokio::fs::read(path).await.with_context(|| format!("reading auth.jwks_file {}", path.display()))?
            }
            JwksSource::Url(uri) => tokio::time::timeout(FETCH_TIMEOUT, fetch(uri, self.tls.as_ref()))
                .await
                .map_err(|_| anyhow::anyhow!("no answer within {FETCH_TIMEOUT:?}"))
                .and_then(|fetched| fetched.map_err(anyhow::Error::msg))
                .with_context(|| format!("fetching auth.jwks_url {uri}"))?,
        };
        self.install(&document)
    }

    fn install(&self, document: &[u8]) -> anyhow::Result<()> {
        let (keys, skipped) =
            KeySet::from_jwks(document).map_err(|why| anyhow::anyhow!("{} {why}", self.source.describe()))?;
        for why in &skipped {
            tracing::debug!(source = %self.source.describe(), "JWKS key left out: {why}");
        }
        let mut current = self.current.write().unwrap_or_else(|poisoned| poisoned.into_inner());
        if current.kids() != keys.kids() {
            tracing::info!(source = %self.source.describe(), kids = ?keys.kids(), "trusting the identity provider's keys");
        }
        *current = Arc::new(keys);
        Ok(())
    }

    /// A token named a `kid` the set lacks: fetch again unless one such fetch happened within
    /// the cooldown. Callers look the key up again afterwards either way.
    pub async fn refetch_for_unknown_kid(&self) {
        let mut last = self.last_early_fetch.lock().await;
        if last.is_some_and(|at| at.elapsed() < self.cooldown) {
            return;
        }
        *last = Some(Instant::now());
        if let Err(error) = self.load().await {
            tracing::warn!(
                error = format!("{error:#}"),
                "a token named an unknown key, and refetching the JWKS failed"
            );
        }
    }

    /// Rereads the document every `auth.jwks_refresh` until `shutdown`.
    pub async fn refresh_until(self: Arc<Self>, shutdown: CancellationToken) {
        loop {
            tokio::select! {
                () = shutdown.cancelled() => return,
                () = tokio::time::sleep(self.refresh_every) => {}
            }
            if let Err(error) = self.load().await {
                tracing::warn!(
                    error = format!("{error:#}"),
                    "refreshing the identity provider's keys failed; keeping those held"
                );
            }
        }
    }
}

/// GETs `uri` over HTTP/1.1 and returns the body of a 200 answer. Redirects are not followed:
/// the configured URL is the one trusted.
async fn fetch(uri: &http::Uri, tls: Option<&Arc<ClientConfig>>) -> Result<Vec<u8>, String> {
    let https = uri.scheme_str() == Some("https");
    let host = uri.host().ok_or("the URL has no host")?.trim_start_matches('[').trim_end_matches(']');
    let port = uri.port_u16().unwrap_or(if https { 443 } else { 80 });
    let stream = TcpStream::connect((host, port))
        .await
        .map_err(|error| format!("could not connect to {host}:{port}: {error}"))?;
    let _ = stream.set_nodelay(true);
    let authority = uri.authority().map(|authority| authority.as_str()).unwrap_or(host);
    let request = Request::get(uri.path_and_query().map_or("/", |path| path.as_str()))
        .header(http::header::HOST, authority)
        .header(http::header::ACCEPT, "application/json")
        .header(http::header::USER_AGENT, concat!("frontline/", env!("CARGO_PKG_VERSION")))
        .body(Empty::<Bytes>::new())
        .map_err(|error| format!("the request could not be built: {error}"))?;
    if https {
        let tls = tls.ok_or("https is unavailable (no TLS configuration)")?;
        let name =
            ServerName::try_from(host.to_string()).map_err(|error| format!("{host} is not a TLS name: {error}"))?;
        let stream = TlsConnector::from(tls.clone())
            .connect(name, stream)
            .await
            .map_err(|error| format!("TLS with {host} failed: {error}"))?;
        exchange(TokioIo::new(stream), request).await
    } else {
        exchange(TokioIo::new(stream), request).await
    }
}

async fn exchange<I>(io: I, request: Request<Empty<Bytes>>) -> Result<Vec<u8>, String>
where
    I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    let (mut sender, connection) =
        http1::handshake(io).await.map_err(|error| format!("the HTTP connection failed: {error}"))?;
    // The connection is driven beside the request and dropped with it.
    let driver = tokio::spawn(connection);
    let outcome = async {
        let response =
            sender.send_request(request).await.map_err(|error| format!("no valid HTTP response: {error}"))?;
        if response.status() != http::StatusCode::OK {
            return Err(format!(
                "answered {} (redirects are not followed: configure the final URL)",
                response.status()
            ));
        }
        let body = Limited::new(response.into_body(), MAX_DOCUMENT_BYTES)
            .collect()
            .await
            .map_err(|error| format!("reading the JWKS (at most {MAX_DOCUMENT_BYTES} bytes) failed: {error}"))?;
        Ok(body.to_bytes().to_vec())
    }
    .await;
    driver.abort();
    outcome
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use jsonwebtoken::Algorithm;
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

    use super::*;
    use crate::auth::keys::tests::jwk;

    /// A loopback HTTP server answering every request with the current `document`; counts requests.
    async fn serve(document: Arc<RwLock<Vec<u8>>>, requests: Arc<AtomicUsize>) -> String {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/.well-known/jwks.json", listener.local_addr().unwrap());
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                let (document, requests) = (document.clone(), requests.clone());
                tokio::spawn(async move {
                    let mut seen = Vec::new();
                    let mut buffer = [0; 1024];
                    while !seen.windows(4).any(|window| window == b"\r\n\r\n") {
                        match socket.read(&mut buffer).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => seen.extend_from_slice(&buffer[..n]),
                        }
                    }
                    requests.fetch_add(1, Ordering::SeqCst);
                    let body = document.read().unwrap().clone();
                    let head = format!(
                        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                        body.len()
                    );
                    let _ = socket.write_all(head.as_bytes()).await;
                    let _ = socket.write_all(&body).await;
                });
            }
        });
        url
    }

    fn document(kid: &str) -> Vec<u8> {
        serde_json::to_vec(&serde_json::json!({ "keys": [jwk("es256-private.pem", Algorithm::ES256, kid)] })).unwrap()
    }

    #[tokio::test]
    async fn an_unknown_kid_refetches_the_jwks_at_most_once_per_cooldown() {
        let served = Arc::new(RwLock::new(document("k1")));
        let requests = Arc::new(AtomicUsize::new(0));
        let url = serve(served.clone(), requests.clone()).await;
        let keys =
            JwksKeys::new(JwksSource::url(&url).unwrap(), Duration::from_secs(300), Duration::from_secs(60)).unwrap();
        assert!(keys.keys().is_empty(), "a URL is fetched when the server starts, not when configured");
        keys.load().await.unwrap();
        assert_eq!(keys.keys().kids(), ["k1"]);

        *served.write().unwrap() = document("k2");
        keys.refetch_for_unknown_kid().await;
        assert_eq!(keys.keys().kids(), ["k2"], "the rotated key is fetched on its first token");
        keys.refetch_for_unknown_kid().await;
        keys.refetch_for_unknown_kid().await;
        assert_eq!(requests.load(Ordering::SeqCst), 2, "made-up kids within the cooldown fetch nothing");
    }

    #[tokio::test]
    async fn a_failed_refresh_keeps_the_keys_held() {
        let served = Arc::new(RwLock::new(document("k1")));
        let url = serve(served.clone(), Arc::default()).await;
        let keys = JwksKeys::new(JwksSource::url(&url).unwrap(), Duration::from_secs(300), Duration::ZERO).unwrap();
        keys.load().await.unwrap();
        *served.write().unwrap() = b"{\"keys\": []}".to_vec();
        assert!(keys.load().await.unwrap_err().to_string().contains("no RS256 or ES256"));
        assert_eq!(keys.keys().kids(), ["k1"]);
    }

    #[tokio::test]
    async fn an_unreachable_url_says_which_setting_failed() {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let url = format!("http://127.0.0.1:{port}/jwks");
        let keys = JwksKeys::new(JwksSource::url(&url).unwrap(), Duration::from_secs(300), Duration::ZERO).unwrap();
        let error = format!("{:#}", keys.load().await.unwrap_err());
        assert!(error.contains("auth.jwks_url") && error.contains("could not connect"), "{error}");
    }

    #[test]
    fn a_jwks_url_must_be_http_or_https() {
        assert!(JwksSource::url("https://idp.example/.well-known/jwks.json").is_ok());
        assert!(JwksSource::url("ftp://idp.example/jwks").is_err());
        assert!(JwksSource::url("/etc/jwks.json").is_err());
    }

    #[test]
    fn a_jwks_file_is_read_when_configured() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("jwks.json");
        let missing = JwksKeys::new(JwksSource::File(path.clone()), Duration::from_secs(300), Duration::ZERO);
        assert!(format!("{:#}", missing.err().unwrap()).contains("auth.jwks_file"));
        std::fs::write(&path, document("file-1")).unwrap();
        let keys = JwksKeys::new(JwksSource::File(path), Duration::from_secs(300), Duration::ZERO).unwrap();
        assert_eq!(keys.keys().kids(), ["file-1"]);
    }
}
