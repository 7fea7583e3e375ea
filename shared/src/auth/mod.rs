//! Bearer-token authentication. Tokens are JWTs verified with the keys configuration names —
//! HS256 with a secret a local install mints for itself, or an identity provider's RS256 / ES256
//! public keys from a PEM file or a JWKS document (a file or a URL, kept fresh) — each key with
//! its own algorithm only, and with `exp`, `nbf`, `iat`, `aud`, `iss` and the token's lifetime
//! always checked. The verified [`Principal`] rides on the request's extensions so handlers can
//! make object-level decisions; this module never decides what a role may do — each service's
//! domain does.
pub mod jwks;
pub mod keys;
pub mod lifetime;
mod role;

pub use role::Role;

use std::{
    path::{Path, PathBuf},
    sync::{Arc, Mutex},
    task::{Context as TaskContext, Poll},
    time::Duration,
};

use anyhow::Context;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use tokio_util::sync::CancellationToken;
use tonic::{Request, Status};

use self::{
    jwks::{JwksKeys, JwksSource},
    keys::{KeyRefusal, KeySet},
    lifetime::TokenTimes,
};
use crate::{config::Settings, error::ApiError};

/// The verified caller of a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// The token's subject: a person's id or a service account's name.
    pub subject: String,
    pub role: Role,
    /// The team the person works in, when the token names one.
    pub team_id: Option<String>,
    /// The Frontline service making this call on the subject's behalf (RFC 8693 `act`), when
    /// one service calls another for its own caller. The subject's rights decide, never the
    /// actor's; the actor is only recorded.
    pub actor: Option<String>,
    /// The customer an `end_user` token is bound to (always set for that role, never for others).
    pub customer_id: Option<String>,
}

impl Principal {
    pub fn new(subject: impl Into<String>, role: Role, team_id: Option<&str>) -> Self {
        Self { subject: subject.into(), role, team_id: team_id.map(Into::into), actor: None, customer_id: None }
    }

    /// The customer this caller is bound to, when it is an end user.
    pub fn end_user_customer(&self) -> Option<&str> {
        if self.role == Role::EndUser { self.customer_id.as_deref() } else { None }
    }
}

#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    sub: String,
    role: Role,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    team: Option<String>,
    /// The customer an `end_user` token speaks for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    customer: Option<String>,
    iss: String,
    aud: String,
    /// Issued at; optional (RFC 7519 §4.1.6), and when present it may not be in the future.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    iat: Option<u64>,
    exp: u64,
    /// On-behalf-of: the service presenting this token for its subject (RFC 8693 §4.1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    act: Option<Actor>,
}

#[derive(Debug, Serialize, Deserialize)]
struct Actor {
    sub: String,
}

/// Only Frontline's services delegate, and they name themselves `service:<process>`.
const SERVICE_SUBJECT_PREFIX: &str = "service:";

/// Checks bearer tokens. Cheap to clone.
#[derive(Clone)]
pub struct TokenVerifier {
    keys: KeySource,
    rules: Arc<Rules>,
    /// With an identity provider's keys: the HS256 key Frontline's own services sign their
    /// calls to each other with. It verifies HS256 tokens of the `service` role, and tokens a
    /// service presents on a caller's behalf, and nothing else.
    services: Option<Arc<TokenVerifier>>,
    /// Whether tokens signed with this key may carry `act` (on-behalf-of). Only keys Frontline's
    /// services sign with: an identity provider's token claiming to be presented by a service
    /// is refused, since the service would not have to hold its key.
    accepts_delegation: bool,
}

/// The keys a verifier trusts: fixed (a secret, a PEM key) or a JWKS kept fresh.
#[derive(Clone)]
enum KeySource {
    Fixed(Arc<KeySet>),
    Jwks(Arc<JwksKeys>),
}

/// What every token is held to besides its signature.
struct Rules {
    issuer: String,
    audience: String,
    times: TokenTimes,
}

/// Clock skew tolerated on `exp`, `nbf` and `iat` (seconds).
const LEEWAY: u64 = 30;

/// Why a token was refused; an unknown `kid` may be a key rotation not fetched yet.
enum Refusal {
    UnknownKid,
    Other(ApiError),
}

impl From<ApiError> for Refusal {
    fn from(error: ApiError) -> Self {
        Refusal::Other(error)
    }
}

impl From<Refusal> for ApiError {
    fn from(refusal: Refusal) -> Self {
        match refusal {
            Refusal::UnknownKid => unauthenticated_error(KeyRefusal::UnknownKid.message()),
            Refusal::Other(error) => error,
        }
    }
}

fn unauthenticated_error(message: impl Into<String>) -> ApiError {
    ApiError::Unauthenticated { message: message.into() }
}

impl TokenVerifier {
    fn new(keys: KeySource, settings: &Settings) -> Self {
        let rules = Rules {
            issuer: settings.auth.issuer.clone(),
            audience: settings.auth.audience.clone(),
            times: TokenTimes { leeway: LEEWAY, max_lifetime: settings.auth.max_token_lifetime.as_secs() },
        };
        Self { keys, rules: Arc::new(rules), services: None, accepts_delegation: true }
    }

    fn fixed(key: DecodingKey, algorithm: Algorithm, settings: &Settings) -> Self {
        Self::new(KeySource::Fixed(Arc::new(KeySet::single(key, algorithm))), settings)
    }

    /// Verifies `token` with the keys held now. An unknown `kid` is refused without looking
    /// for new keys; servers use [`TokenVerifier::verify_fresh`].
    pub fn verify(&self, token: &str) -> Result<Principal, ApiError> {
        self.check(token).map_err(ApiError::from)
    }

    /// Like [`TokenVerifier::verify`], but a token naming a `kid` the JWKS lacks first makes the
    /// JWKS be fetched again (rate-limited), so a rotated key works from its first token.
    pub async fn verify_fresh(&self, token: &str) -> Result<Principal, ApiError> {
        match self.check(token) {
            Err(Refusal::UnknownKid) => {
                if let KeySource::Jwks(jwks) = &self.keys {
                    jwks.refetch_for_unknown_kid().await;
                }
                self.verify(token)
            }
            checked => checked.map_err(ApiError::from),
        }
    }

    /// With a JWKS URL, fetches the keys now — an error, stopping start-up, when that fails or
    /// yields no usable key — and returns the task that keeps a JWKS (URL or file) fresh until
    /// `shutdown`. None with keys that never change.
    pub async fn prepare_key_refresh(
        &self,
        shutdown: CancellationToken,
    ) -> anyhow::Result<Option<impl Future<Output = ()> + Send + 'static>> {
        let KeySource::Jwks(jwks) = &self.keys else { return Ok(None) };
        if jwks.keys().is_empty() {
            jwks.load().await.context(
                "the identity provider's keys are needed to start: check auth.jwks_url, or use auth.jwks_file",
            )?;
        }
        Ok(Some(jwks.clone().refresh_until(shutdown)))
    }

    fn check(&self, token: &str) -> Result<Principal, Refusal> {
        refuse_critical_extensions(token)?;
        // `alg: none` and algorithms jsonwebtoken does not know fail here. The header's `jku`,
        // `jwk`, `x5u` and `x5c` are never used: keys come from configuration only.
        let header = jsonwebtoken::decode_header(token).map_err(|_| {
            unauthenticated_error(
                "the bearer token's header is malformed or names an algorithm this server does not accept",
            )
        })?;
        // Each key is used with its own algorithm only, so the header cannot make one key
        // verify under another's algorithm (the RS256 public key as an HS256 secret).
        if let Some(services) = &self.services
            && header.alg == Algorithm::HS256
        {
            let principal = services.check(token)?;
            if principal.role != Role::Service && principal.actor.is_none() {
                return Err(unauthenticated_error(
                    "the bearer token is signed with the services' key but is not a service token",
                )
                .into());
            }
            return Ok(principal);
        }
        let held;
        let keys = match &self.keys {
            KeySource::Fixed(keys) => keys.as_ref(),
            KeySource::Jwks(jwks) => {
                held = jwks.keys();
                held.as_ref()
            }
        };
        let key = match keys.select(header.kid.as_deref(), header.alg) {
            Ok(key) => key,
            Err(KeyRefusal::UnknownKid) => return Err(Refusal::UnknownKid),
            Err(refusal) => return Err(unauthenticated_error(refusal.message()).into()),
        };
        let data =
            jsonwebtoken::decode::<Claims>(token, &key.key, &self.validation(key.algorithm)).map_err(|error| {
                use jsonwebtoken::errors::ErrorKind;
                let why = match error.kind() {
                    ErrorKind::ExpiredSignature => "the bearer token has expired",
                    ErrorKind::ImmatureSignature => "the bearer token is not valid yet (nbf)",
                    ErrorKind::InvalidSignature => "the bearer token's signature does not verify",
                    ErrorKind::InvalidAlgorithm | ErrorKind::InvalidAlgorithmName => {
                        "the bearer token uses an algorithm this server does not accept"
                    }
                    ErrorKind::InvalidAudience => "the bearer token is for another audience",
                    ErrorKind::InvalidIssuer => "the bearer token is from another issuer",
                    _ => "the bearer token is malformed",
                };
                unauthenticated_error(why)
            })?;
        let claims = data.claims;
        self.rules
            .times
            .check(claims.iat, claims.exp, jsonwebtoken::get_current_timestamp())
            .map_err(unauthenticated_error)?;
        let actor = match claims.act {
            None => None,
            Some(_) if !self.accepts_delegation => {
                return Err(unauthenticated_error(
                    "on-behalf-of tokens (act) are accepted from Frontline's own services only",
                )
                .into());
            }
            Some(actor) if !actor.sub.starts_with(SERVICE_SUBJECT_PREFIX) => {
                return Err(
                    unauthenticated_error("the bearer token's actor (act.sub) is not a Frontline service").into()
                );
            }
            Some(actor) => Some(actor.sub),
        };
        let customer_id = claims.customer.filter(|customer| !customer.trim().is_empty());
        match (claims.role, &customer_id) {
            (Role::EndUser, None) => {
                return Err(
                    unauthenticated_error("an end_user token must name its customer (the customer claim)").into()
                );
            }
            (role, Some(_)) if role != Role::EndUser => {
                return Err(unauthenticated_error(
                    "only end_user tokens name a customer; this token's role does not take one",
                )
                .into());
            }
            _ => {}
        }
        Ok(Principal { subject: claims.sub, role: claims.role, team_id: claims.team, actor, customer_id })
    }

    fn validation(&self, algorithm: Algorithm) -> Validation {
        // One algorithm per key: what makes alg=none and RS/HS/ES confusion fail.
        let mut validation = Validation::new(algorithm);
        validation.set_issuer(&[&self.rules.issuer]);
        validation.set_audience(&[&self.rules.audience]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        // A token not valid yet is refused like an expired one (RFC 7519 §4.1.5).
        validation.validate_nbf = true;
        validation.leeway = LEEWAY;
        validation
    }
}

/// RFC 7515 §4.1.11: a token whose `crit` header names extensions the recipient must understand
/// is refused unless it understands them all. Frontline understands none, and jsonwebtoken does
/// parses `crit` but does not enforce it, so any token carrying one is refused here.
fn refuse_critical_extensions(token: &str) -> Result<(), ApiError> {
    use base64::Engine as _;
    let header = token.split('.').next().unwrap_or_default();
    let Ok(bytes) = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(header) else {
        return Ok(()); // malformed: decoding the token refuses it with the right message
    };
    let critical = serde_json::from_slice::<serde_json::Value>(&bytes).is_ok_and(|header| header.get("crit").is_some());
    if critical {
        return Err(ApiError::Unauthenticated {
            message: "the bearer token requires header extensions (crit) this server does not support".into(),
        });
    }
    Ok(())
}

/// Mints tokens signed with this install's HS256 secret.
#[derive(Clone)]
pub struct TokenIssuer {
    key: Arc<EncodingKey>,
    issuer: String,
    audience: String,
}

impl TokenIssuer {
    pub fn issue(&self, subject: &str, role: Role, team_id: Option<&str>, ttl: Duration) -> anyhow::Result<String> {
        self.sign(&self.claims(subject, role, team_id.map(Into::into), None, None, ttl))
    }

    /// A token for a customer signing in to a help centre: the `end_user` role, bound to
    /// `customer_id` (ticketing's id of the customer).
    pub fn issue_end_user(&self, subject: &str, customer_id: &str, ttl: Duration) -> anyhow::Result<String> {
        anyhow::ensure!(!customer_id.trim().is_empty(), "an end_user token needs the customer it speaks for");
        self.sign(&self.claims(subject, Role::EndUser, None, Some(customer_id.into()), None, ttl))
    }

    /// A token for `caller` presented by `actor` (a service), with the caller's own claims:
    /// the service that receives it decides with the caller's rights (RFC 8693 `act`).
    fn issue_on_behalf_of(&self, caller: &Principal, actor: &str, ttl: Duration) -> anyhow::Result<String> {
        let act = Some(Actor { sub: actor.into() });
        self.sign(&self.claims(
            &caller.subject,
            caller.role,
            caller.team_id.clone(),
            caller.customer_id.clone(),
            act,
            ttl,
        ))
    }

    /// This issuer's claims for one token, issued now.
    fn claims(
        &self,
        subject: &str,
        role: Role,
        team: Option<String>,
        customer: Option<String>,
        act: Option<Actor>,
        ttl: Duration,
    ) -> Claims {
        let now = jsonwebtoken::get_current_timestamp();
        Claims {
            sub: subject.into(),
            role,
            team,
            customer,
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
            iat: Some(now),
            exp: now + ttl.as_secs(),
            act,
        }
    }

    fn sign(&self, claims: &Claims) -> anyhow::Result<String> {
        Ok(jsonwebtoken::encode(&Header::new(Algorithm::HS256), claims, &self.key)?)
    }
}

/// The verifier for this install, an issuer when it signs its own tokens (HS256), and the
/// issuer of the tokens its services call each other with.
pub struct Keys {
    pub verifier: TokenVerifier,
    pub issuer: Option<TokenIssuer>,
    /// Signs calls between Frontline's services: the install's own key with HS256; with an
    /// identity provider's keys, `auth.service_secret` (or one minted in the data directory).
    pub services: TokenIssuer,
}

impl Keys {
    /// Loads the configured keys; a local install with no secret configured creates one under
    /// the data directory on first use. A key file that cannot be read or holds no usable key
    /// is an error naming the setting. A JWKS URL is fetched later, by
    /// [`TokenVerifier::prepare_key_refresh`], before the server serves.
    pub fn load(settings: &Settings) -> anyhow::Result<Self> {
        if let Some(keys) = identity_provider_keys(settings)? {
            let secret = if settings.auth.service_secret.is_empty() {
                load_or_create_secret(&settings.data_dir, SERVICE_SECRET_FILE)?
            } else {
                settings.auth.service_secret.as_bytes().to_vec()
            };
            crate::pagination::use_token_key(&secret);
            let mut verifier = TokenVerifier::new(keys, settings);
            verifier.accepts_delegation = false;
            verifier.services =
                Some(Arc::new(TokenVerifier::fixed(DecodingKey::from_secret(&secret), Algorithm::HS256, settings)));
            return Ok(Self { verifier, issuer: None, services: TokenIssuer::hs256(&secret, settings) });
        }
        let secret = if settings.auth.hs256_secret.is_empty() {
            load_or_create_secret(&settings.data_dir, TOKEN_SECRET_FILE)?
        } else {
            settings.auth.hs256_secret.as_bytes().to_vec()
        };
        crate::pagination::use_token_key(&secret);
        let issuer = TokenIssuer::hs256(&secret, settings);
        Ok(Self {
            verifier: TokenVerifier::fixed(DecodingKey::from_secret(&secret), Algorithm::HS256, settings),
            issuer: Some(issuer.clone()),
            services: issuer,
        })
    }
}

/// The identity provider's keys, when configuration names them (config validation has made
/// sure it names one source at most).
fn identity_provider_keys(settings: &Settings) -> anyhow::Result<Option<KeySource>> {
    let auth = &settings.auth;
    for (setting, file, algorithm) in [
        ("auth.rs256_public_key_file", &auth.rs256_public_key_file, Algorithm::RS256),
        ("auth.es256_public_key_file", &auth.es256_public_key_file, Algorithm::ES256),
    ] {
        let Some(path) = file else { continue };
        let pem = std::fs::read(path)
            .with_context(|| format!("reading {setting} {}: mount the file or fix the path", path.display()))?;
        let keys = KeySet::from_pem(&pem, algorithm).map_err(|why| {
            anyhow::anyhow!(
                "{setting} {} {why}; use auth.rs256_public_key_file for an RSA key, auth.es256_public_key_file for a \
                 P-256 key, or auth.jwks_file for a JWKS document",
                path.display()
            )
        })?;
        return Ok(Some(KeySource::Fixed(Arc::new(keys))));
    }
    let source = match (&auth.jwks_file, &auth.jwks_url) {
        (Some(path), _) => JwksSource::File(path.clone()),
        (None, Some(url)) => JwksSource::url(url).map_err(|why| anyhow::anyhow!("auth.jwks_url {url} {why}"))?,
        (None, None) => return Ok(None),
    };
    let jwks = JwksKeys::new(source, auth.jwks_refresh, auth.jwks_refetch_cooldown)?;
    Ok(Some(KeySource::Jwks(Arc::new(jwks))))
}

impl TokenIssuer {
    fn hs256(secret: &[u8], settings: &Settings) -> Self {
        Self {
            key: Arc::new(EncodingKey::from_secret(secret)),
            issuer: settings.auth.issuer.clone(),
            audience: settings.auth.audience.clone(),
        }
    }
}

const TOKEN_SECRET_FILE: &str = "token-secret";
const SERVICE_SECRET_FILE: &str = "service-secret";

pub fn secret_path(data_dir: &Path) -> PathBuf {
    data_dir.join(TOKEN_SECRET_FILE)
}

/// Reads `data_dir/file`, or mints it (64 hex digits, mode 0600) on first use.
pub fn load_or_create_secret(data_dir: &Path, file: &str) -> anyhow::Result<Vec<u8>> {
    let path = data_dir.join(file);
    if let Ok(existing) = std::fs::read_to_string(&path) {
        let secret = existing.trim();
        anyhow::ensure!(
            secret.len() >= 32,
            "{} is too short to be a signing secret; delete it to mint a new one",
            path.display()
        );
        return Ok(secret.as_bytes().to_vec());
    }
    crate::private_files::private_dir(data_dir)
        .with_context(|| format!("creating data directory {}", data_dir.display()))?;
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|error| anyhow::anyhow!("no randomness for the signing secret: {error}"))?;
    let secret: String = bytes.iter().map(|byte| format!("{byte:02x}")).collect();
    write_private_file(&path, &secret).with_context(|| format!("writing signing secret {}", path.display()))?;
    tracing::info!(path = %path.display(), "minted a signing secret for this install");
    Ok(secret.into_bytes())
}

fn write_private_file(path: &Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(path) {
        Ok(mut file) => file.write_all(contents.as_bytes()),
        // Another process created it first; both then read the same secret.
        Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(error) => Err(error),
    }
}

/// Server-side authentication: every call to a Frontline service must carry a valid bearer
/// token. A tower service rather than a tonic interceptor, because checking a token may wait for
/// the identity provider's rotated keys to be fetched.
#[derive(Clone)]
pub struct Authenticator(pub TokenVerifier);

impl Authenticator {
    /// `service`, answering only calls with a valid bearer token, whose [`Principal`] it finds
    /// in the request's extensions.
    pub fn protect<S>(&self, service: S) -> Authenticated<S> {
        Authenticated { inner: service, verifier: self.0.clone() }
    }

    async fn authenticate(verifier: &TokenVerifier, headers: &http::HeaderMap) -> Result<Principal, Status> {
        let header = headers.get(http::header::AUTHORIZATION).ok_or_else(|| {
            unauthenticated(
                "missing bearer token: send `authorization: Bearer <token>` (mint one with `frontline token`)",
            )
        })?;
        let value = header.to_str().map_err(|_| unauthenticated("the authorization header is not text"))?;
        let token = value
            .strip_prefix("Bearer ")
            .or_else(|| value.strip_prefix("bearer "))
            .ok_or_else(|| unauthenticated("the authorization header must be `Bearer <token>`"))?;
        verifier.verify_fresh(token.trim()).await.map_err(Status::from)
    }
}

/// A service behind the [`Authenticator`].
#[derive(Clone)]
pub struct Authenticated<S> {
    inner: S,
    verifier: TokenVerifier,
}

impl<S: tonic::server::NamedService> tonic::server::NamedService for Authenticated<S> {
    const NAME: &'static str = S::NAME;
}

impl<S, B> tower::Service<http::Request<B>> for Authenticated<S>
where
    S: tower::Service<http::Request<B>, Response = http::Response<tonic::body::Body>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    B: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = futures::future::BoxFuture<'static, Result<S::Response, S::Error>>;

    fn poll_ready(&mut self, context: &mut TaskContext<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(context)
    }

    fn call(&mut self, mut request: http::Request<B>) -> Self::Future {
        // The service that was polled ready answers this call; a clone waits for the next one.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let verifier = self.verifier.clone();
        Box::pin(async move {
            match Authenticator::authenticate(&verifier, request.headers()).await {
                Ok(principal) => {
                    // The role, never the subject or the token: spans are not the place for identities.
                    tracing::Span::current().record("enduser.role", principal.role.as_str());
                    request.extensions_mut().insert(principal);
                    inner.call(request).await
                }
                Err(status) => Ok(status.into_http()),
            }
        })
    }
}

fn unauthenticated(message: &str) -> Status {
    ApiError::Unauthenticated { message: message.into() }.into()
}

/// The caller of a request that passed the [`Authenticator`].
pub fn principal<T>(request: &Request<T>) -> Result<Principal, Status> {
    request.extensions().get::<Principal>().cloned().ok_or_else(|| unauthenticated("the call was not authenticated"))
}

/// Client-side token for service-to-service calls, re-minted before it expires.
#[derive(Clone)]
pub struct ServiceToken {
    issuer: TokenIssuer,
    subject: String,
    cached: Arc<Mutex<Option<(String, std::time::Instant)>>>,
}

impl ServiceToken {
    const TTL: Duration = Duration::from_secs(3600);
    /// On-behalf-of tokens live for one call: long enough for a peer's deadline and clock skew,
    /// short enough that one seen in a log is useless. They are cheap to mint (one HMAC).
    const ON_BEHALF_OF_TTL: Duration = Duration::from_secs(120);

    pub fn new(issuer: TokenIssuer, subject: impl Into<String>) -> Self {
        let subject = subject.into();
        debug_assert!(subject.starts_with(SERVICE_SUBJECT_PREFIX), "a service names itself service:<name>");
        Self { issuer, subject, cached: Arc::default() }
    }

    /// The bearer for a call this service makes for `caller`: the caller's identity, with this
    /// service as the actor.
    pub fn on_behalf_of(&self, caller: &Principal) -> anyhow::Result<String> {
        let token = self.issuer.issue_on_behalf_of(caller, &self.subject, Self::ON_BEHALF_OF_TTL)?;
        Ok(format!("Bearer {token}"))
    }

    pub fn bearer(&self) -> anyhow::Result<String> {
        let mut cached = self.cached.lock().expect("token cache lock");
        if let Some((token, minted)) = cached.as_ref()
            && minted.elapsed() < Self::TTL / 2
        {
            return Ok(format!("Bearer {token}"));
        }
        let token = self.issuer.issue(&self.subject, Role::Service, None, Self::TTL)?;
        *cached = Some((token.clone(), std::time::Instant::now()));
        Ok(format!("Bearer {token}"))
    }
}

#[cfg(test)]
mod tests;
