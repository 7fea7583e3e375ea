//! Bearer-token authentication. Tokens are JWTs whose algorithm is pinned by configuration
//! (HS256 with a secret a local install mints for itself, or RS256 with a configured public
//! key), with `exp`, `aud` and `iss` always checked. The verified [`Principal`] rides on the
//! request's extensions so handlers can make object-level decisions; this module never decides
//! what a role may do — each service's domain does.
use std::{
    fmt,
    path::{Path, PathBuf},
    sync::{Arc, Mutex},
    time::Duration,
};

use anyhow::Context;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use tonic::{Request, Status, service::Interceptor};

use crate::{config::Settings, error::ApiError};

/// Where a person sits in the support organisation, or which program is calling.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Agent,
    TeamLead,
    Supervisor,
    Administrator,
    Manager,
    Director,
    /// A CRM keeping customers and tickets in sync.
    CrmSync,
    /// A scheduling tool pulling rosters.
    Scheduler,
    /// A BI pipeline reading metrics and facts.
    BiReader,
    /// Another Frontline service.
    Service,
    /// A channel gateway (email, chat, a portal's own server) acting for any requester: it
    /// creates tickets and adds replies and ratings, recorded as the requester's, reads the
    /// public side of conversations, and never sees internal notes.
    Portal,
    /// A customer signed in to a help centre, bound to one customer by the token's `customer`
    /// claim: it reads and replies on that customer's own tickets (and their organisation's,
    /// where the organisation shares them), public comments and public articles only.
    EndUser,
}

impl Role {
    pub const ALL: [Role; 12] = [
        Role::Agent,
        Role::TeamLead,
        Role::Supervisor,
        Role::Administrator,
        Role::Manager,
        Role::Director,
        Role::CrmSync,
        Role::Scheduler,
        Role::BiReader,
        Role::Service,
        Role::Portal,
        Role::EndUser,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Agent => "agent",
            Role::TeamLead => "team_lead",
            Role::Supervisor => "supervisor",
            Role::Administrator => "administrator",
            Role::Manager => "manager",
            Role::Director => "director",
            Role::CrmSync => "crm_sync",
            Role::Scheduler => "scheduler",
            Role::BiReader => "bi_reader",
            Role::Service => "service",
            Role::Portal => "portal",
            Role::EndUser => "end_user",
        }
    }

    /// Sees what a customer may see: public comments and published public articles only.
    pub fn reads_as_customer(self) -> bool {
        matches!(self, Role::Portal | Role::EndUser)
    }

    /// A person in the support organisation, as opposed to a program.
    pub fn is_staff(self) -> bool {
        matches!(
            self,
            Role::Agent | Role::TeamLead | Role::Supervisor | Role::Administrator | Role::Manager | Role::Director
        )
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Role {
    type Err = String;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        Role::ALL.into_iter().find(|role| role.as_str() == value).ok_or_else(|| {
            let names: Vec<_> = Role::ALL.iter().map(|role| role.as_str()).collect();
            format!("unknown role `{value}`; expected one of {}", names.join(", "))
        })
    }
}

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
    iat: u64,
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
    key: Arc<DecodingKey>,
    validation: Arc<Validation>,
    /// With an identity provider's keys: the HS256 key Frontline's own services sign their
    /// calls to each other with. It verifies HS256 tokens of the `service` role, and tokens a
    /// service presents on a caller's behalf, and nothing else.
    services: Option<Arc<TokenVerifier>>,
    /// Whether tokens signed with this key may carry `act` (on-behalf-of). Only keys Frontline's
    /// services sign with: an identity provider's token claiming to be presented by a service
    /// is refused, since the service would not have to hold its key.
    accepts_delegation: bool,
}

impl TokenVerifier {
    fn new(key: DecodingKey, algorithm: Algorithm, settings: &Settings) -> Self {
        // Pinning one algorithm is what makes alg=none and RS/HS confusion attacks fail.
        let mut validation = Validation::new(algorithm);
        validation.set_issuer(&[&settings.auth.issuer]);
        validation.set_audience(&[&settings.auth.audience]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        // A token not valid yet is refused like an expired one (RFC 7519 §4.1.5).
        validation.validate_nbf = true;
        validation.leeway = 30;
        Self { key: Arc::new(key), validation: Arc::new(validation), services: None, accepts_delegation: true }
    }

    pub fn verify(&self, token: &str) -> Result<Principal, ApiError> {
        refuse_critical_extensions(token)?;
        // Each key is used with its own algorithm only, so the header cannot make one key
        // verify under another's algorithm (the RS256 public key as an HS256 secret).
        if let Some(services) = &self.services
            && jsonwebtoken::decode_header(token).is_ok_and(|header| header.alg == Algorithm::HS256)
        {
            let principal = services.verify(token)?;
            if principal.role != Role::Service && principal.actor.is_none() {
                return Err(ApiError::Unauthenticated {
                    message: "the bearer token is signed with the services' key but is not a service token".into(),
                });
            }
            return Ok(principal);
        }
        let data = jsonwebtoken::decode::<Claims>(token, &self.key, &self.validation).map_err(|error| {
            use jsonwebtoken::errors::ErrorKind;
            let why = match error.kind() {
                ErrorKind::ExpiredSignature => "the bearer token has expired",
                ErrorKind::InvalidSignature => "the bearer token's signature does not verify",
                ErrorKind::InvalidAlgorithm | ErrorKind::InvalidAlgorithmName => {
                    "the bearer token uses an algorithm this server does not accept"
                }
                ErrorKind::InvalidAudience => "the bearer token is for another audience",
                ErrorKind::InvalidIssuer => "the bearer token is from another issuer",
                _ => "the bearer token is malformed",
            };
            ApiError::Unauthenticated { message: why.into() }
        })?;
        let claims = data.claims;
        let actor = match claims.act {
            None => None,
            Some(_) if !self.accepts_delegation => {
                return Err(ApiError::Unauthenticated {
                    message: "on-behalf-of tokens (act) are accepted from Frontline's own services only".into(),
                });
            }
            Some(actor) if !actor.sub.starts_with(SERVICE_SUBJECT_PREFIX) => {
                return Err(ApiError::Unauthenticated {
                    message: "the bearer token's actor (act.sub) is not a Frontline service".into(),
                });
            }
            Some(actor) => Some(actor.sub),
        };
        let customer_id = claims.customer.filter(|customer| !customer.trim().is_empty());
        match (claims.role, &customer_id) {
            (Role::EndUser, None) => {
                return Err(ApiError::Unauthenticated {
                    message: "an end_user token must name its customer (the customer claim)".into(),
                });
            }
            (role, Some(_)) if role != Role::EndUser => {
                return Err(ApiError::Unauthenticated {
                    message: "only end_user tokens name a customer; this token's role does not take one".into(),
                });
            }
            _ => {}
        }
        Ok(Principal { subject: claims.sub, role: claims.role, team_id: claims.team, actor, customer_id })
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
        let now = jsonwebtoken::get_current_timestamp();
        let claims = Claims {
            sub: subject.into(),
            role,
            team: team_id.map(Into::into),
            customer: None,
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
            iat: now,
            exp: now + ttl.as_secs(),
            act: None,
        };
        self.sign(&claims)
    }

    /// A token for a customer signing in to a help centre: the `end_user` role, bound to
    /// `customer_id` (ticketing's id of the customer).
    pub fn issue_end_user(&self, subject: &str, customer_id: &str, ttl: Duration) -> anyhow::Result<String> {
        anyhow::ensure!(!customer_id.trim().is_empty(), "an end_user token needs the customer it speaks for");
        let now = jsonwebtoken::get_current_timestamp();
        let claims = Claims {
            sub: subject.into(),
            role: Role::EndUser,
            team: None,
            customer: Some(customer_id.into()),
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
            iat: now,
            exp: now + ttl.as_secs(),
            act: None,
        };
        self.sign(&claims)
    }

    /// A token for `caller` presented by `actor` (a service), with the caller's own claims:
    /// the service that receives it decides with the caller's rights (RFC 8693 `act`).
    fn issue_on_behalf_of(&self, caller: &Principal, actor: &str, ttl: Duration) -> anyhow::Result<String> {
        let now = jsonwebtoken::get_current_timestamp();
        let claims = Claims {
            sub: caller.subject.clone(),
            role: caller.role,
            team: caller.team_id.clone(),
            customer: caller.customer_id.clone(),
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
            iat: now,
            exp: now + ttl.as_secs(),
            act: Some(Actor { sub: actor.into() }),
        };
        self.sign(&claims)
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
    /// Loads the configured key; a local install with no secret configured creates one
    /// under the data directory on first use.
    pub fn load(settings: &Settings) -> anyhow::Result<Self> {
        if let Some(path) = &settings.auth.rs256_public_key_file {
            let pem = std::fs::read(path)
                .with_context(|| format!("reading auth.rs256_public_key_file {}", path.display()))?;
            let key = DecodingKey::from_rsa_pem(&pem).with_context(|| {
                format!("auth.rs256_public_key_file {} is not an RSA public key in PEM", path.display())
            })?;
            let secret = if settings.auth.service_secret.is_empty() {
                load_or_create_secret(&settings.data_dir, SERVICE_SECRET_FILE)?
            } else {
                settings.auth.service_secret.as_bytes().to_vec()
            };
            crate::pagination::use_token_key(&secret);
            let mut verifier = TokenVerifier::new(key, Algorithm::RS256, settings);
            verifier.accepts_delegation = false;
            verifier.services =
                Some(Arc::new(TokenVerifier::new(DecodingKey::from_secret(&secret), Algorithm::HS256, settings)));
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
            verifier: TokenVerifier::new(DecodingKey::from_secret(&secret), Algorithm::HS256, settings),
            issuer: Some(issuer.clone()),
            services: issuer,
        })
    }
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

/// Server-side interceptor: every call to a Frontline service must carry a valid bearer token.
#[derive(Clone)]
pub struct Authenticator(pub TokenVerifier);

impl Interceptor for Authenticator {
    fn call(&mut self, mut request: Request<()>) -> Result<Request<()>, Status> {
        let header = request.metadata().get("authorization").ok_or_else(|| {
            unauthenticated(
                "missing bearer token: send `authorization: Bearer <token>` (mint one with `frontline token`)",
            )
        })?;
        let value = header.to_str().map_err(|_| unauthenticated("the authorization header is not text"))?;
        let token = value
            .strip_prefix("Bearer ")
            .or_else(|| value.strip_prefix("bearer "))
            .ok_or_else(|| unauthenticated("the authorization header must be `Bearer <token>`"))?;
        let principal = self.0.verify(token.trim()).map_err(Status::from)?;
        // The role, never the subject or the token: spans are not the place for identities.
        tracing::Span::current().record("enduser.role", principal.role.as_str());
        request.extensions_mut().insert(principal);
        Ok(request)
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
mod tests {
    use super::*;

    fn settings(dir: &Path) -> Settings {
        Settings::load_from(None, [("FRONTLINE__DATA_DIR".to_string(), dir.display().to_string())]).unwrap()
    }

    #[test]
    fn issued_token_verifies_to_its_principal() {
        let dir = tempfile::tempdir().unwrap();
        let keys = Keys::load(&settings(dir.path())).unwrap();
        let token = keys.issuer.unwrap().issue("ada", Role::TeamLead, Some("t-1"), Duration::from_secs(60)).unwrap();
        let principal = keys.verifier.verify(&token).unwrap();
        assert_eq!(principal, Principal::new("ada", Role::TeamLead, Some("t-1")));
    }

    #[test]
    fn secret_is_created_once_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        let first = load_or_create_secret(dir.path(), TOKEN_SECRET_FILE).unwrap();
        let second = load_or_create_secret(dir.path(), TOKEN_SECRET_FILE).unwrap();
        assert_eq!(first, second);
        assert_eq!(first.len(), 64);
    }

    fn fixture(name: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name)
    }

    fn rs256_settings(dir: &Path) -> Settings {
        let mut settings = settings(dir);
        settings.auth.rs256_public_key_file = Some(fixture("rs256-public.pem"));
        settings
    }

    fn rs256_claims() -> Claims {
        let now = jsonwebtoken::get_current_timestamp();
        Claims {
            sub: "idp-user-7".into(),
            role: Role::Supervisor,
            team: None,
            customer: None,
            iss: "frontline".into(),
            aud: "frontline".into(),
            iat: now,
            exp: now + 600,
            act: None,
        }
    }

    #[test]
    fn production_verifies_rs256_tokens_from_an_identity_provider() {
        let dir = tempfile::tempdir().unwrap();
        let keys = Keys::load(&rs256_settings(dir.path())).unwrap();
        assert!(keys.issuer.is_none(), "an RS256 install cannot mint tokens itself");
        let private = EncodingKey::from_rsa_pem(&std::fs::read(fixture("rs256-private.pem")).unwrap()).unwrap();
        let token = jsonwebtoken::encode(&Header::new(Algorithm::RS256), &rs256_claims(), &private).unwrap();
        assert_eq!(keys.verifier.verify(&token).unwrap().role, Role::Supervisor);
    }

    #[test]
    fn an_hs256_token_keyed_with_the_public_key_is_refused() {
        // The classic algorithm-confusion attack: sign HS256 with the (public) RSA key as secret.
        let dir = tempfile::tempdir().unwrap();
        let keys = Keys::load(&rs256_settings(dir.path())).unwrap();
        let public_pem = std::fs::read(fixture("rs256-public.pem")).unwrap();
        let forged = jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &rs256_claims(),
            &EncodingKey::from_secret(&public_pem),
        )
        .unwrap();
        assert!(matches!(keys.verifier.verify(&forged), Err(ApiError::Unauthenticated { .. })));
    }

    #[test]
    fn with_an_identity_provider_the_services_sign_their_calls_with_their_own_key() {
        let dir = tempfile::tempdir().unwrap();
        let mut settings = rs256_settings(dir.path());
        settings.auth.service_secret = "a-service-secret-shared-by-every-frontline-pod".into();
        let keys = Keys::load(&settings).unwrap();
        let token = keys.services.issue("service:frontline-ticketing", Role::Service, None, Duration::from_secs(60));
        assert_eq!(keys.verifier.verify(&token.unwrap()).unwrap().role, Role::Service);

        // The services' key makes no person: an administrator token signed with it is refused.
        let forged = keys.services.issue("mallory", Role::Administrator, None, Duration::from_secs(60)).unwrap();
        assert!(matches!(keys.verifier.verify(&forged), Err(ApiError::Unauthenticated { .. })));

        // Another pod with another service secret is not trusted.
        settings.auth.service_secret = "another-service-secret-that-nobody-shares-here".into();
        let stranger = Keys::load(&settings).unwrap();
        let token = stranger.services.issue("service:elsewhere", Role::Service, None, Duration::from_secs(60));
        assert!(matches!(keys.verifier.verify(&token.unwrap()), Err(ApiError::Unauthenticated { .. })));
    }

    #[test]
    fn with_an_identity_provider_and_no_service_secret_one_is_minted_in_the_data_directory() {
        let dir = tempfile::tempdir().unwrap();
        let first = Keys::load(&rs256_settings(dir.path())).unwrap();
        let again = Keys::load(&rs256_settings(dir.path())).unwrap();
        let token = first.services.issue("service:frontline", Role::Service, None, Duration::from_secs(60)).unwrap();
        assert_eq!(again.verifier.verify(&token).unwrap().role, Role::Service, "the same process after a restart");
    }

    fn signed(claims: serde_json::Value, header: Header, dir: &Path) -> (Keys, String) {
        let mut settings = settings(dir);
        settings.auth.hs256_secret = "a-secret-of-at-least-thirty-two-bytes-for-tests".into();
        let keys = Keys::load(&settings).unwrap();
        let token =
            jsonwebtoken::encode(&header, &claims, &EncodingKey::from_secret(settings.auth.hs256_secret.as_bytes()))
                .unwrap();
        (keys, token)
    }

    #[test]
    fn a_token_not_yet_valid_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let now = jsonwebtoken::get_current_timestamp();
        let claims = serde_json::json!({
            "sub": "ada", "role": "agent", "iss": "frontline", "aud": "frontline",
            "iat": now, "exp": now + 7200, "nbf": now + 3600,
        });
        let (keys, token) = signed(claims.clone(), Header::new(Algorithm::HS256), dir.path());
        assert!(matches!(keys.verifier.verify(&token), Err(ApiError::Unauthenticated { .. })));
        let mut valid_now = claims;
        valid_now["nbf"] = (now - 10).into();
        let (keys, token) = signed(valid_now, Header::new(Algorithm::HS256), dir.path());
        assert_eq!(keys.verifier.verify(&token).unwrap().subject, "ada", "valid from ten seconds ago");
    }

    #[test]
    fn a_token_with_critical_header_extensions_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let now = jsonwebtoken::get_current_timestamp();
        let claims = serde_json::json!({
            "sub": "ada", "role": "agent", "iss": "frontline", "aud": "frontline", "iat": now, "exp": now + 600,
        });
        let mut header = Header::new(Algorithm::HS256);
        header.crit = Some(vec!["exp-policy".into()]);
        let (keys, token) = signed(claims.clone(), header, dir.path());
        let refused = keys.verifier.verify(&token);
        assert!(
            matches!(&refused, Err(ApiError::Unauthenticated { message }) if message.contains("crit")),
            "{refused:?}"
        );
        let (keys, plain) = signed(claims, Header::new(Algorithm::HS256), dir.path());
        assert_eq!(keys.verifier.verify(&plain).unwrap().subject, "ada", "the same token without crit is fine");
    }

    #[test]
    fn a_service_calling_for_a_caller_presents_the_callers_identity() {
        let dir = tempfile::tempdir().unwrap();
        let keys = Keys::load(&settings(dir.path())).unwrap();
        let caller = Principal::new("ada", Role::Agent, Some("t-billing"));
        let bearer = ServiceToken::new(keys.services.clone(), "service:frontline-ticketing").on_behalf_of(&caller);
        let token = bearer.unwrap().strip_prefix("Bearer ").unwrap().to_owned();
        let seen = keys.verifier.verify(&token).unwrap();
        assert_eq!(seen.role, Role::Agent, "the caller's rights decide, not the service's");
        assert_eq!(seen.team_id.as_deref(), Some("t-billing"));
        assert_eq!(seen.actor.as_deref(), Some("service:frontline-ticketing"));
    }

    #[test]
    fn with_an_identity_provider_only_the_services_key_may_act_for_a_caller() {
        let dir = tempfile::tempdir().unwrap();
        let mut settings = rs256_settings(dir.path());
        settings.auth.service_secret = "a-service-secret-shared-by-every-frontline-pod".into();
        let keys = Keys::load(&settings).unwrap();
        let caller = Principal::new("idp-user-7", Role::Supervisor, None);
        let bearer = ServiceToken::new(keys.services.clone(), "service:frontline-knowledge").on_behalf_of(&caller);
        let seen = keys.verifier.verify(bearer.unwrap().strip_prefix("Bearer ").unwrap()).unwrap();
        assert_eq!((seen.role, seen.actor.as_deref()), (Role::Supervisor, Some("service:frontline-knowledge")));

        // A token from the identity provider claiming a service presents it is refused: a
        // service that really acted would have signed with the services' key.
        let private = EncodingKey::from_rsa_pem(&std::fs::read(fixture("rs256-private.pem")).unwrap()).unwrap();
        let mut claims = rs256_claims();
        claims.act = Some(Actor { sub: "service:frontline-ticketing".into() });
        let token = jsonwebtoken::encode(&Header::new(Algorithm::RS256), &claims, &private).unwrap();
        let refused = keys.verifier.verify(&token);
        assert!(matches!(&refused, Err(ApiError::Unauthenticated { message }) if message.contains("act")), "{refused:?}");
    }

    #[test]
    fn an_actor_that_is_not_a_service_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let now = jsonwebtoken::get_current_timestamp();
        let claims = serde_json::json!({
            "sub": "ada", "role": "administrator", "iss": "frontline", "aud": "frontline",
            "iat": now, "exp": now + 600, "act": { "sub": "mallory" },
        });
        let (keys, token) = signed(claims, Header::new(Algorithm::HS256), dir.path());
        assert!(matches!(keys.verifier.verify(&token), Err(ApiError::Unauthenticated { .. })));
    }

    #[test]
    fn an_end_user_token_is_bound_to_its_customer() {
        let dir = tempfile::tempdir().unwrap();
        let keys = Keys::load(&settings(dir.path())).unwrap();
        let issuer = keys.issuer.clone().unwrap();
        let token = issuer.issue_end_user("maria@example.pl", "cus-42", Duration::from_secs(60)).unwrap();
        let seen = keys.verifier.verify(&token).unwrap();
        assert_eq!((seen.role, seen.end_user_customer()), (Role::EndUser, Some("cus-42")));

        // Carried across services as it came in.
        let bearer = ServiceToken::new(keys.services.clone(), "service:frontline-ticketing").on_behalf_of(&seen);
        let relayed = keys.verifier.verify(bearer.unwrap().strip_prefix("Bearer ").unwrap()).unwrap();
        assert_eq!(relayed.end_user_customer(), Some("cus-42"));

        // An end_user token without a customer, or a staff token with one, is refused.
        let unbound = issuer.issue("maria@example.pl", Role::EndUser, None, Duration::from_secs(60)).unwrap();
        assert!(matches!(keys.verifier.verify(&unbound), Err(ApiError::Unauthenticated { .. })));
        let now = jsonwebtoken::get_current_timestamp();
        let claims = serde_json::json!({
            "sub": "ada", "role": "agent", "customer": "cus-42", "iss": "frontline", "aud": "frontline",
            "iat": now, "exp": now + 600,
        });
        let (keys, token) = signed(claims, Header::new(Algorithm::HS256), dir.path());
        assert!(matches!(keys.verifier.verify(&token), Err(ApiError::Unauthenticated { .. })));
    }

    #[test]
    fn roles_parse_by_their_snake_case_names() {
        assert_eq!("team_lead".parse::<Role>().unwrap(), Role::TeamLead);
        assert!("boss".parse::<Role>().unwrap_err().contains("team_lead"));
    }
}
