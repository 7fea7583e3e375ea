//! Tokens as identity providers issue them, against the real binary: `frontline serve`
//! (ticketing alone, SQLite, port 0) trusting its own HS256 secret, an RS256 PEM key, an ES256
//! PEM key, a JWKS file, and a JWKS URL served by a small in-test HTTP server, where a key
//! rotation is seen through. In every mode a good token lists tickets, and each of RFC 8725's
//! pitfalls is UNAUTHENTICATED. Token checks do not touch the database, so SQLite is enough.
use std::{
    net::SocketAddr,
    path::{Path, PathBuf},
    sync::{
        Arc, RwLock,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};

use base64::Engine as _;
use frontline_proto::ticketing::v1::{ListTicketsRequest, ticketing_service_client::TicketingServiceClient};
use jsonwebtoken::{Algorithm, EncodingKey, Header, jwk::Jwk};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tonic::{Code, transport::Endpoint};

use crate::{
    e2e_support::Bearer,
    process::{Launch, Process},
};

const SECRET: &str = "a-test-secret-of-more-than-thirty-two-bytes";

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("shared/tests/fixtures").join(name)
}

fn pem(name: &str) -> Vec<u8> {
    std::fs::read(fixture(name)).expect("fixture")
}

/// A key a token is signed with, and the `kid` its header names.
#[derive(Clone)]
struct Signer {
    algorithm: Algorithm,
    key: EncodingKey,
    kid: Option<&'static str>,
}

impl Signer {
    fn rsa(private: &str, kid: Option<&'static str>) -> Self {
        Self { algorithm: Algorithm::RS256, key: EncodingKey::from_rsa_pem(&pem(private)).unwrap(), kid }
    }

    fn ec(private: &str, kid: Option<&'static str>) -> Self {
        Self { algorithm: Algorithm::ES256, key: EncodingKey::from_ec_pem(&pem(private)).unwrap(), kid }
    }

    fn hmac(secret: &[u8], kid: Option<&'static str>) -> Self {
        Self { algorithm: Algorithm::HS256, key: EncodingKey::from_secret(secret), kid }
    }

    fn header(&self) -> Header {
        let mut header = Header::new(self.algorithm);
        header.kid = self.kid.map(Into::into);
        header
    }

    fn sign(&self, claims: &Value) -> String {
        self.sign_with(self.header(), claims)
    }

    fn sign_with(&self, header: Header, claims: &Value) -> String {
        jsonwebtoken::encode(&header, claims, &self.key).expect("a token")
    }
}

/// The public JWK of a fixture's private key.
fn jwk(private: &str, algorithm: Algorithm, kid: &str) -> Value {
    let key = match algorithm {
        Algorithm::RS256 => EncodingKey::from_rsa_pem(&pem(private)).unwrap(),
        _ => EncodingKey::from_ec_pem(&pem(private)).unwrap(),
    };
    let mut jwk = Jwk::from_encoding_key(&key, algorithm).unwrap();
    jwk.common.key_id = Some(kid.into());
    serde_json::to_value(jwk).unwrap()
}

fn jwks(keys: &[Value]) -> Vec<u8> {
    serde_json::to_vec(&json!({ "keys": keys })).unwrap()
}

fn now() -> u64 {
    jsonwebtoken::get_current_timestamp()
}

fn claims() -> Value {
    json!({ "sub": "idp-admin", "role": "administrator", "iss": "frontline", "aud": "frontline",
            "iat": now(), "exp": now() + 600 })
}

fn with(changes: &[(&str, Value)]) -> Value {
    let mut claims = claims();
    for (name, value) in changes {
        claims[*name] = value.clone();
    }
    claims
}

/// A loopback HTTP server answering every request with `document`; counts the requests.
struct JwksServer {
    url: String,
    document: Arc<RwLock<Vec<u8>>>,
    requests: Arc<AtomicUsize>,
}

impl JwksServer {
    async fn start(document: Vec<u8>) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/.well-known/jwks.json", listener.local_addr().unwrap());
        let (document, requests) = (Arc::new(RwLock::new(document)), Arc::new(AtomicUsize::new(0)));
        let (served, counted) = (document.clone(), requests.clone());
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                let (served, counted) = (served.clone(), counted.clone());
                tokio::spawn(async move {
                    let mut seen = Vec::new();
                    let mut buffer = [0; 1024];
                    while !seen.windows(4).any(|window| window == b"\r\n\r\n") {
                        match socket.read(&mut buffer).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => seen.extend_from_slice(&buffer[..n]),
                        }
                    }
                    counted.fetch_add(1, Ordering::SeqCst);
                    let body = served.read().unwrap().clone();
                    let head = format!(
                        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                        body.len()
                    );
                    let _ = socket.write_all(head.as_bytes()).await;
                    let _ = socket.write_all(&body).await;
                });
            }
        });
        Self { url, document, requests }
    }
}

/// A listener that only counts who connects: where `jku` and `x5u` headers point.
async fn trap() -> (String, Arc<AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/keys.json", listener.local_addr().unwrap());
    let connections = Arc::new(AtomicUsize::new(0));
    let counted = connections.clone();
    tokio::spawn(async move {
        while let Ok((_socket, _)) = listener.accept().await {
            counted.fetch_add(1, Ordering::SeqCst);
        }
    });
    (url, connections)
}

/// `frontline serve --service ticketing` trusting the keys `auth` configures.
struct Server {
    process: Process,
    addr: SocketAddr,
    _data_dir: Option<tempfile::TempDir>,
}

impl Server {
    async fn start(name: &str, auth: &[(&str, String)]) -> Self {
        let data_dir = tempfile::tempdir().expect("a data directory");
        let mut server = Self::start_in(name, data_dir.path(), auth).await;
        server._data_dir = Some(data_dir);
        server
    }

    /// Like [`Server::start`], on an existing data directory (whose secret `frontline token` used).
    async fn start_in(name: &str, data_dir: &Path, auth: &[(&str, String)]) -> Self {
        let mut env = vec![("FRONTLINE__TELEMETRY__LOG_FILTER".to_string(), "warn".to_string())];
        env.extend(auth.iter().map(|(key, value)| (key.to_string(), value.clone())));
        let args = ["serve", "--service", "ticketing", "--addr", "127.0.0.1:0", "--data-dir"]
            .map(String::from)
            .into_iter()
            .chain([data_dir.display().to_string()])
            .collect();
        let mut process = Process::start(Launch { name: format!("tokens/{name}"), args, env });
        let addr = process.announced_addr(Duration::from_secs(90)).await;
        Self { process, addr, _data_dir: None }
    }

    /// What ListTickets answers with `token`: Ok, or the status code.
    async fn list_tickets(&self, token: &str) -> Result<(), Code> {
        let channel =
            Endpoint::from_shared(format!("http://{}", self.addr)).unwrap().connect().await.expect("connects");
        let mut client = TicketingServiceClient::with_interceptor(channel, Bearer::token(token));
        client.list_tickets(ListTicketsRequest::default()).await.map(|_| ()).map_err(|status| status.code())
    }

    async fn assert_accepts(&self, what: &str, token: &str) {
        assert_eq!(self.list_tickets(token).await, Ok(()), "{}: {what} must be accepted", self.process.name());
    }

    /// Every `(pitfall, token)` must be UNAUTHENTICATED; all are tried before failing.
    async fn assert_refuses_all(&self, pitfalls: Vec<(&str, String)>) {
        let mut wrong = Vec::new();
        for (pitfall, token) in pitfalls {
            match self.list_tickets(&token).await {
                Err(Code::Unauthenticated) => {}
                other => wrong.push(format!("{pitfall}: {other:?}")),
            }
        }
        assert!(wrong.is_empty(), "{} let through (or mis-answered): {wrong:#?}", self.process.name());
    }

    fn assert_never_panicked(&self) {
        assert!(!self.process.log().contains("panicked"), "{}:\n{}", self.process.name(), self.process.log());
    }
}

/// The pitfalls every mode must refuse, for a server whose good tokens `good` signs.
/// `foreign` is another issuer's key of the same kind; `public_pem` the key an attacker would
/// use as an HMAC secret (alg confusion); `other_algorithm` signs with a key of another type
/// (naming, where the keys have ids, a `kid` the server has — of the wrong type).
fn pitfalls(
    good: &Signer,
    foreign: &Signer,
    public_pem: &[u8],
    other_algorithm: &Signer,
    trap_url: &str,
) -> Vec<(&'static str, String)> {
    let encode = |json: &Value| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(json.to_string());
    let unsigned = format!("{}.{}.", encode(&json!({ "alg": "none", "typ": "JWT" })), encode(&claims()));
    let confusion = Signer::hmac(public_pem, good.kid);
    let mut crit = good.header();
    crit.crit = Some(vec!["exp-policy".into()]);
    let mut jku = foreign.header();
    jku.jku = Some(trap_url.into());
    let mut x5u = foreign.header();
    x5u.x5u = Some(trap_url.into());
    let tampered = {
        let token = good.sign(&with(&[("role", json!("agent"))]));
        let parts: Vec<&str> = token.split('.').collect();
        format!("{}.{}.{}", parts[0], encode(&claims()), parts[2])
    };
    let mut unknown_kid = foreign.clone();
    unknown_kid.kid = Some("no-such-key");
    vec![
        ("alg none", unsigned),
        ("HS256 keyed with the public key (alg confusion)", confusion.sign(&claims())),
        ("another issuer's key", foreign.sign(&claims())),
        ("wrong iss", good.sign(&with(&[("iss", json!("https://elsewhere.example"))]))),
        ("wrong aud", good.sign(&with(&[("aud", json!("another-api"))]))),
        ("expired", good.sign(&with(&[("iat", json!(now() - 7200)), ("exp", json!(now() - 3600))]))),
        ("nbf in the future", good.sign(&with(&[("nbf", json!(now() + 3600)), ("exp", json!(now() + 7200))]))),
        ("iat in the future", good.sign(&with(&[("iat", json!(now() + 3600)), ("exp", json!(now() + 7200))]))),
        ("lifetime over the maximum", good.sign(&with(&[("exp", json!(now() + 25 * 3600))]))),
        ("a crit header", good.sign_with(crit, &claims())),
        ("an unknown kid", unknown_kid.sign(&claims())),
        ("a key of another type than the token's alg", other_algorithm.sign(&claims())),
        ("jku pointing elsewhere", foreign.sign_with(jku, &claims())),
        ("x5u pointing elsewhere", foreign.sign_with(x5u, &claims())),
        ("a tampered payload", tampered),
    ]
}

async fn check_mode(
    name: &str,
    auth: &[(&str, String)],
    good: &[Signer],
    pitfalls: Vec<(&'static str, String)>,
) -> Server {
    let server = Server::start(name, auth).await;
    for signer in good {
        server.assert_accepts(&format!("a good {:?} token", signer.algorithm), &signer.sign(&claims())).await;
    }
    server.assert_refuses_all(pitfalls).await;
    server.assert_accepts("a good token, still", &good[0].sign(&claims())).await;
    server
}

#[tokio::test]
async fn hs256_refuses_every_token_pitfall() {
    let (trap_url, trapped) = trap().await;
    let good = Signer::hmac(SECRET.as_bytes(), None);
    let pitfalls = pitfalls(
        &good,
        &Signer::hmac(b"another-issuers-secret-of-thirty-two-bytes", None),
        &pem("rs256-public.pem"),
        &Signer::rsa("rs256-private.pem", None),
        &trap_url,
    );
    let server = check_mode("hs256", &[("FRONTLINE__AUTH__HS256_SECRET", SECRET.into())], &[good], pitfalls).await;
    assert_eq!(trapped.load(Ordering::SeqCst), 0, "jku and x5u are never fetched");
    server.assert_never_panicked();
}

#[tokio::test]
async fn rs256_pem_refuses_every_token_pitfall() {
    let (trap_url, trapped) = trap().await;
    // An identity provider names its key even when Frontline is given it as a PEM file.
    let good = Signer::rsa("rs256-private.pem", Some("idp-2025"));
    let pitfalls = pitfalls(
        &good,
        &Signer::rsa("rs256-other-private.pem", Some("idp-2025")),
        &pem("rs256-public.pem"),
        &Signer::ec("es256-private.pem", Some("idp-2025")),
        &trap_url,
    );
    let auth = [("FRONTLINE__AUTH__RS256_PUBLIC_KEY_FILE", fixture("rs256-public.pem").display().to_string())];
    let server = check_mode("rs256-pem", &auth, &[good], pitfalls).await;
    assert_eq!(trapped.load(Ordering::SeqCst), 0, "jku and x5u are never fetched");
    server.assert_never_panicked();
}

#[tokio::test]
async fn es256_pem_refuses_every_token_pitfall() {
    let (trap_url, trapped) = trap().await;
    let good = Signer::ec("es256-private.pem", None);
    let pitfalls = pitfalls(
        &good,
        &Signer::ec("es256-other-private.pem", None),
        &pem("es256-public.pem"),
        &Signer::rsa("rs256-private.pem", None),
        &trap_url,
    );
    let auth = [("FRONTLINE__AUTH__ES256_PUBLIC_KEY_FILE", fixture("es256-public.pem").display().to_string())];
    let server = check_mode("es256-pem", &auth, &[good], pitfalls).await;
    assert_eq!(trapped.load(Ordering::SeqCst), 0, "jku and x5u are never fetched");
    server.assert_never_panicked();
}

/// The identity provider's JWKS: an RSA key and a P-256 key.
fn provider_keys() -> Vec<Value> {
    vec![jwk("rs256-private.pem", Algorithm::RS256, "rsa-1"), jwk("es256-private.pem", Algorithm::ES256, "ec-1")]
}

fn jwks_pitfalls(trap_url: &str) -> Vec<(&'static str, String)> {
    let good = Signer::rsa("rs256-private.pem", Some("rsa-1"));
    let mut pitfalls = pitfalls(
        &good,
        // Another issuer's key claiming a kid the server knows.
        &Signer::rsa("rs256-other-private.pem", Some("rsa-1")),
        &pem("rs256-public.pem"),
        // An ES256 token naming the RSA key.
        &Signer::ec("es256-private.pem", Some("rsa-1")),
        trap_url,
    );
    // With several keys the kid decides: a correctly signed token naming no key, or a key the
    // set lacks, finds none (no trying every key).
    pitfalls
        .push(("a good key named by an unknown kid", Signer::rsa("rs256-private.pem", Some("rsa-9")).sign(&claims())));
    pitfalls.push(("a good key naming no kid", Signer::rsa("rs256-private.pem", None).sign(&claims())));
    pitfalls.push(("an RS256 token naming the EC key", Signer::rsa("rs256-private.pem", Some("ec-1")).sign(&claims())));
    pitfalls
}

#[tokio::test]
async fn jwks_file_refuses_every_token_pitfall() {
    let (trap_url, trapped) = trap().await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("jwks.json");
    std::fs::write(&path, jwks(&provider_keys())).unwrap();
    let good = [Signer::rsa("rs256-private.pem", Some("rsa-1")), Signer::ec("es256-private.pem", Some("ec-1"))];
    let auth = [("FRONTLINE__AUTH__JWKS_FILE", path.display().to_string())];
    let server = check_mode("jwks-file", &auth, &good, jwks_pitfalls(&trap_url)).await;
    assert_eq!(trapped.load(Ordering::SeqCst), 0, "jku and x5u are never fetched");
    server.assert_never_panicked();
}

#[tokio::test]
async fn jwks_url_refuses_every_token_pitfall_and_follows_a_key_rotation() {
    let (trap_url, trapped) = trap().await;
    let provider = JwksServer::start(jwks(&provider_keys())).await;
    let cooldown = Duration::from_millis(200);
    let auth = [
        ("FRONTLINE__AUTH__JWKS_URL", provider.url.clone()),
        ("FRONTLINE__AUTH__JWKS_REFETCH_COOLDOWN", "200ms".to_string()),
    ];
    let good = [Signer::rsa("rs256-private.pem", Some("rsa-1")), Signer::ec("es256-private.pem", Some("ec-1"))];
    let server = check_mode("jwks-url", &auth, &good, jwks_pitfalls(&trap_url)).await;
    assert_eq!(trapped.load(Ordering::SeqCst), 0, "jku and x5u are never fetched");

    // The provider rotates its RSA key: rsa-2 replaces rsa-1. The periodic refresh is 5 minutes
    // away, so the first rsa-2 token is what makes the server fetch again.
    tokio::time::sleep(cooldown * 2).await;
    *provider.document.write().unwrap() =
        jwks(&[jwk("rs256-other-private.pem", Algorithm::RS256, "rsa-2"), provider_keys()[1].clone()]);
    let fetched_before = provider.requests.load(Ordering::SeqCst);
    let rotated = Signer::rsa("rs256-other-private.pem", Some("rsa-2"));
    server.assert_accepts("the rotated key's first token", &rotated.sign(&claims())).await;
    assert_eq!(provider.requests.load(Ordering::SeqCst), fetched_before + 1, "one early fetch");
    let retired = Signer::rsa("rs256-private.pem", Some("rsa-1"));
    assert_eq!(server.list_tickets(&retired.sign(&claims())).await, Err(Code::Unauthenticated), "the retired key");
    server.assert_accepts("the EC key, kept", &good[1].sign(&claims())).await;
    server.assert_never_panicked();
}

#[tokio::test]
async fn a_jwks_url_that_cannot_be_fetched_stops_start_up_saying_why() {
    let port = crate::process::free_port();
    let data_dir = tempfile::tempdir().unwrap();
    let launch = Launch {
        name: "tokens/jwks-unreachable".into(),
        args: ["serve", "--addr", "127.0.0.1:0", "--data-dir"]
            .map(String::from)
            .into_iter()
            .chain([data_dir.path().display().to_string()])
            .collect(),
        env: vec![("FRONTLINE__AUTH__JWKS_URL".into(), format!("http://127.0.0.1:{port}/jwks.json"))],
    };
    let mut process = Process::start(launch);
    let status = process.exited_within(Duration::from_secs(60)).await.expect("it stops");
    assert!(!status.success());
    // Its last words may still be on their way through the pipe.
    for _ in 0..100 {
        if process.log().contains("could not connect") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let log = process.log();
    assert!(log.contains("auth.jwks_url") && log.contains("could not connect"), "{log}");
}

/// `frontline token` with the install's own key and `FRONTLINE__…` environment.
fn frontline_token(data_dir: &Path, env: &[(&str, &str)], args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_frontline"))
        .arg("token")
        .args(args)
        .args(["--data-dir", &data_dir.display().to_string()])
        .env_clear()
        .envs(env.iter().copied())
        .output()
        .expect("frontline token runs")
}

#[tokio::test]
async fn a_token_living_past_the_maximum_needs_the_caller_to_insist_and_the_server_to_agree() {
    let data_dir = tempfile::tempdir().unwrap();
    let person = ["--role", "agent", "--subject", "ola"];
    let week = [&person[..], &["--ttl", "7d"]].concat();
    let refused = frontline_token(data_dir.path(), &[], &week);
    let said = String::from_utf8_lossy(&refused.stderr);
    assert!(!refused.status.success() && said.contains("--allow-long-lived"), "{said}");

    let insisted = frontline_token(data_dir.path(), &[], &[&week[..], &["--allow-long-lived"]].concat());
    assert!(insisted.status.success(), "{}", String::from_utf8_lossy(&insisted.stderr));
    let token = String::from_utf8_lossy(&insisted.stdout).lines().last().unwrap().to_owned();

    // A server left at the default maximum refuses it; one configured for it accepts it.
    let strict = Server::start_in("long-lived/strict", data_dir.path(), &[]).await;
    assert_eq!(strict.list_tickets(&token).await, Err(Code::Unauthenticated));
    drop(strict);
    let lenient = Server::start_in(
        "long-lived/lenient",
        data_dir.path(),
        &[("FRONTLINE__AUTH__MAX_TOKEN_LIFETIME", "7d".into())],
    )
    .await;
    lenient.assert_accepts("a 7-day token where 7 days are allowed", &token).await;

    let configured = frontline_token(data_dir.path(), &[("FRONTLINE__AUTH__MAX_TOKEN_LIFETIME", "7d")], &week);
    assert!(configured.status.success(), "no flag needed where the configuration allows it");

    let help = std::process::Command::new(env!("CARGO_BIN_EXE_frontline")).args(["token", "--help"]).output().unwrap();
    let help = String::from_utf8_lossy(&help.stdout);
    for role in frontline_shared::auth::Role::ALL {
        assert!(help.contains(role.as_str()), "--help lists {role}:\n{help}");
    }
    assert!(help.contains("--allow-long-lived"), "{help}");
}
