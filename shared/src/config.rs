//! Configuration: built-in defaults, then an optional TOML file, then `FRONTLINE__SECTION__KEY`
//! environment variables (env wins, as Kubernetes expects). Unknown or malformed keys stop
//! start-up with an error naming the key, so a typo never silently falls back to a default.
use std::{fmt, net::SocketAddr, path::PathBuf, time::Duration};

use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// Where a local install keeps its SQLite databases and signing secret.
    pub data_dir: PathBuf,
    pub server: ServerSettings,
    pub database: DatabaseSettings,
    pub auth: AuthSettings,
    pub secrets: SecretsSettings,
    pub telemetry: TelemetrySettings,
    pub peers: PeerSettings,
    pub feed: FeedSettings,
    pub ticketing: TicketingSettings,
    pub knowledge: KnowledgeSettings,
    pub analytics: AnalyticsSettings,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AnalyticsSettings {
    /// How often stale metric rollups are rebuilt. Series are exact meanwhile (they read the
    /// stale slots' ticket rows); this bounds how long they pay for that.
    #[serde(with = "humantime_serde")]
    pub rollup_interval: Duration,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KnowledgeSettings {
    /// The locales the knowledge base is kept in: ListMissingLocales reports against them.
    pub locales: Vec<String>,
    /// Where this replica keeps its search index (derived data, rebuilt when missing);
    /// empty = `<data_dir>/search/knowledge`.
    pub index_dir: String,
    /// How often verification intervals are checked for lapsing.
    #[serde(with = "humantime_serde")]
    pub verification_check_interval: Duration,
    /// How often search counts and knowledge gaps are written (searches never wait on a write).
    #[serde(with = "humantime_serde")]
    pub search_stats_interval: Duration,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TicketingSettings {
    /// A solved ticket closes this long after its solve (Zendesk's default is 4 days).
    #[serde(with = "humantime_serde")]
    pub close_solved_after: Duration,
    /// How often solved tickets are checked for closing.
    #[serde(with = "humantime_serde")]
    pub close_check_interval: Duration,
    /// Ask knowledge for article suggestions for every new ticket (in the background).
    pub suggest_articles: bool,
    /// The longest the SLA scheduler sleeps between looks at pending warnings and breaches.
    /// Deadlines scheduled by this replica wake it on time regardless; this bounds how late
    /// it notices one scheduled by another replica.
    #[serde(with = "humantime_serde")]
    pub sla_check_interval: Duration,
    /// The deadline of the routing call to workforce: creating a ticket waits at most this long
    /// for it, and past it the ticket waits in its team's queue.
    #[serde(with = "humantime_serde")]
    pub routing_timeout: Duration,
    /// How often time-based automations look at the tickets not yet closed.
    #[serde(with = "humantime_serde")]
    pub automation_interval: Duration,
    /// Bounds each webhook delivery attempt, from name lookup to the response's status.
    #[serde(with = "humantime_serde")]
    pub webhook_timeout: Duration,
    /// Attempts (with exponential backoff from 30 s, capped at 6 h) before a webhook delivery
    /// is dead-lettered.
    pub webhook_max_attempts: u32,
    /// The longest the webhook worker sleeps; it wakes on time for deliveries its own replica
    /// scheduled, this bounds how late it sees another replica's.
    #[serde(with = "humantime_serde")]
    pub webhook_check_interval: Duration,
    /// Where this replica keeps its ticket search index (derived data, rebuilt when missing);
    /// empty = `<data_dir>/search/tickets`.
    pub index_dir: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerSettings {
    pub addr: SocketAddr,
    /// Upper bound for any call; a caller's shorter grpc-timeout wins. A client-streaming call
    /// (an import) is bounded between its messages instead, so a long import is not cut off.
    #[serde(with = "humantime_serde")]
    pub request_timeout: Duration,
    /// Calls in flight across all connections; beyond it calls are shed with RESOURCE_EXHAUSTED.
    pub concurrency_limit: usize,
    pub max_message_bytes: usize,
    /// Time between turning NOT_SERVING and closing the listener, so load balancers notice.
    #[serde(with = "humantime_serde")]
    pub shutdown_drain_delay: Duration,
    /// How long in-flight calls may take to finish once shutdown starts.
    #[serde(with = "humantime_serde")]
    pub shutdown_timeout: Duration,
    /// Browser origins allowed to call through gRPC-Web; empty allows any origin.
    pub cors_allowed_origins: Vec<String>,
}

#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseSettings {
    /// Empty: one SQLite file per service under `data_dir`. `postgres://…`: PostgreSQL,
    /// each service in its own schema.
    pub url: String,
    pub max_connections: u32,
    #[serde(with = "humantime_serde")]
    pub acquire_timeout: Duration,
}

/// Whose tokens are trusted. With none of `rs256_public_key_file`, `es256_public_key_file`,
/// `jwks_file` and `jwks_url` set, the install signs and verifies its own HS256 tokens; with one
/// of them (never more), people's tokens come from that identity provider and are verified with
/// its public keys, each key with its own algorithm only.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthSettings {
    pub issuer: String,
    pub audience: String,
    /// HS256 secret. Empty: read (or, on first start, create) `data_dir/token-secret`.
    pub hs256_secret: String,
    /// Verify RS256 tokens with this PEM public key (`FRONTLINE__AUTH__RS256_PUBLIC_KEY_FILE`).
    pub rs256_public_key_file: Option<PathBuf>,
    /// Verify ES256 tokens with this PEM public key, a P-256 key (`FRONTLINE__AUTH__ES256_PUBLIC_KEY_FILE`).
    pub es256_public_key_file: Option<PathBuf>,
    /// Verify tokens with the keys of this JWKS document (RFC 7517; RSA keys for RS256, P-256
    /// keys for ES256, chosen by the token's `kid`), reread every `jwks_refresh`
    /// (`FRONTLINE__AUTH__JWKS_FILE`).
    pub jwks_file: Option<PathBuf>,
    /// Fetch the JWKS from this URL: `https://` (verified against Mozilla's roots) or `http://`
    /// (a provider inside the cluster) (`FRONTLINE__AUTH__JWKS_URL`). Fetched before the server
    /// serves (start fails if it cannot be), then every `jwks_refresh`.
    pub jwks_url: Option<String>,
    /// How often a JWKS (file or URL) is read again.
    #[serde(with = "humantime_serde")]
    pub jwks_refresh: Duration,
    /// A token naming a `kid` the JWKS lacks makes it be fetched again at once (a key rotation),
    /// but no more often than this.
    #[serde(with = "humantime_serde")]
    pub jwks_refetch_cooldown: Duration,
    /// The longest a token may be made to live (`exp - iat`, or `exp - now` without `iat`);
    /// longer-lived tokens are refused (`FRONTLINE__AUTH__MAX_TOKEN_LIFETIME`, e.g. `30d` to
    /// accept tokens minted with `frontline token --ttl 30d --allow-long-lived`).
    #[serde(with = "humantime_serde")]
    pub max_token_lifetime: Duration,
    /// With an identity provider's keys only: the HS256 key Frontline's services sign their
    /// calls to each other with (the identity provider's keys sign people's tokens, and
    /// Frontline holds no private key of it). Every process of one install must have the same.
    /// Empty: read (or create) `data_dir/service-secret`, which is enough when all services
    /// share one process.
    pub service_secret: String,
}

impl AuthSettings {
    /// The identity-provider key settings that are set, by name.
    pub fn identity_provider_settings(&self) -> Vec<&'static str> {
        [
            ("auth.rs256_public_key_file", self.rs256_public_key_file.is_some()),
            ("auth.es256_public_key_file", self.es256_public_key_file.is_some()),
            ("auth.jwks_file", self.jwks_file.is_some()),
            ("auth.jwks_url", self.jwks_url.is_some()),
        ]
        .into_iter()
        .filter_map(|(name, set)| set.then_some(name))
        .collect()
    }

    /// People's tokens come from an identity provider, not from this install's own secret.
    pub fn uses_identity_provider(&self) -> bool {
        !self.identity_provider_settings().is_empty()
    }
}

/// The keys that seal secrets Frontline stores and must read back (webhook signing secrets),
/// so the database alone never holds them in the clear. See [`crate::sealing`].
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SecretsSettings {
    /// 32 random bytes, base64 or hex (`openssl rand -base64 32`): new values are sealed with
    /// it. Every ticketing process of one install needs the same. Empty: read (or, on first
    /// start, create) `data_dir/secrets-key`, enough when all processes share the data directory.
    pub key: String,
    /// Keys that still open values but never seal: the key before a rotation (values sealed with
    /// it are resealed with `key` when ticketing starts), or the next key while it is rolled out.
    pub previous_keys: Vec<String>,
}

/// Secrets and passwords never reach a log through a Debug print of the settings.
const REDACTED: &str = "<redacted>";

fn redacted(value: &str) -> &'static str {
    if value.is_empty() { "" } else { REDACTED }
}

impl fmt::Debug for DatabaseSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DatabaseSettings")
            .field("url", &without_password(&self.url))
            .field("max_connections", &self.max_connections)
            .field("acquire_timeout", &self.acquire_timeout)
            .finish()
    }
}

impl fmt::Debug for AuthSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthSettings")
            .field("issuer", &self.issuer)
            .field("audience", &self.audience)
            .field("hs256_secret", &redacted(&self.hs256_secret))
            .field("rs256_public_key_file", &self.rs256_public_key_file)
            .field("es256_public_key_file", &self.es256_public_key_file)
            .field("jwks_file", &self.jwks_file)
            .field("jwks_url", &self.jwks_url)
            .field("jwks_refresh", &self.jwks_refresh)
            .field("jwks_refetch_cooldown", &self.jwks_refetch_cooldown)
            .field("max_token_lifetime", &self.max_token_lifetime)
            .field("service_secret", &redacted(&self.service_secret))
            .finish()
    }
}

impl fmt::Debug for SecretsSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SecretsSettings")
            .field("key", &redacted(&self.key))
            .field("previous_keys", &self.previous_keys.iter().map(|key| redacted(key)).collect::<Vec<_>>())
            .finish()
    }
}

/// A database URL fit for a log: `postgres://frontline:<redacted>@db:5432/frontline`.
pub fn without_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else { return url.to_string() };
    let (authority, path) = rest.split_once('/').map_or((rest, None), |(authority, path)| (authority, Some(path)));
    let Some((user_info, host)) = authority.rsplit_once('@') else { return url.to_string() };
    let user = user_info.split_once(':').map_or(user_info, |(user, _)| user);
    let path = path.map(|path| format!("/{}", path.split_once('?').map_or(path, |(path, _)| path))).unwrap_or_default();
    let query = if url.contains('?') { "?<redacted>" } else { "" };
    format!("{scheme}://{user}:{REDACTED}@{host}{path}{query}")
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TelemetrySettings {
    pub log_format: LogFormat,
    /// A tracing EnvFilter directive; RUST_LOG overrides it.
    pub log_filter: String,
    /// OTLP/gRPC endpoint for traces; OTEL_EXPORTER_OTLP_ENDPOINT is honoured when this is empty.
    pub otlp_endpoint: String,
    /// The `service.name` of this process's traces and metrics. Empty: `frontline` for all four
    /// services in one process, `frontline-ticketing` (and so on) for one service alone.
    pub service_name: String,
    /// Where to serve Prometheus scrapes (`GET /metrics`), e.g. `0.0.0.0:9464`; empty = not served.
    pub metrics_addr: String,
}

impl TelemetrySettings {
    /// The `service.name` to report: as set, else the name of the whole suite.
    pub fn resource_name(&self) -> String {
        if self.service_name.is_empty() { "frontline".into() } else { self.service_name.clone() }
    }
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Pretty,
    Json,
}

/// Where to reach services that do not run in this process (`http://ticketing:50051`).
/// A service that runs in this process is always called in-process, whatever is set here.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PeerSettings {
    pub ticketing: String,
    pub knowledge: String,
    pub workforce: String,
    pub analytics: String,
    /// Deadline of every service-to-service call.
    #[serde(with = "humantime_serde")]
    pub call_timeout: Duration,
    /// How often a process asks each peer in another process whether it is up (reported in
    /// this process's health as `frontline.peers.<name>`).
    #[serde(with = "humantime_serde")]
    pub health_interval: Duration,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeedSettings {
    /// How often the sequencer looks for events committed by other replicas.
    #[serde(with = "humantime_serde")]
    pub sequencer_interval: Duration,
    /// How often a watch re-reads the feed when nothing in this process announced a change.
    #[serde(with = "humantime_serde")]
    pub watch_poll_interval: Duration,
}

const DEFAULTS: &str = r#"
data_dir = "./data"

[server]
addr = "127.0.0.1:50051"
request_timeout = "30s"
concurrency_limit = 512
max_message_bytes = 4194304
shutdown_drain_delay = "0s"
shutdown_timeout = "20s"
cors_allowed_origins = []

[database]
url = ""
max_connections = 16
acquire_timeout = "10s"

[auth]
issuer = "frontline"
audience = "frontline"
hs256_secret = ""
service_secret = ""
jwks_refresh = "5min"
jwks_refetch_cooldown = "30s"
max_token_lifetime = "24h"

[secrets]
key = ""
previous_keys = []

[telemetry]
log_format = "pretty"
# tantivy warns when a background merge finishes after a commit replaced its segments: harmless.
log_filter = "info,sqlx=warn,h2=warn,tower=warn,tantivy::indexer::segment_manager=error"
otlp_endpoint = ""
service_name = ""
metrics_addr = ""

[peers]
ticketing = ""
knowledge = ""
workforce = ""
analytics = ""
call_timeout = "5s"
health_interval = "5s"

[feed]
sequencer_interval = "250ms"
watch_poll_interval = "1s"

[ticketing]
close_solved_after = "4days"
close_check_interval = "1min"
suggest_articles = true
sla_check_interval = "5s"
automation_interval = "1min"
routing_timeout = "800ms"
webhook_timeout = "10s"
webhook_max_attempts = 8
webhook_check_interval = "5s"
index_dir = ""

[knowledge]
locales = ["en", "es", "he", "pl", "ru", "zh"]
index_dir = ""
verification_check_interval = "1min"
search_stats_interval = "10s"

[analytics]
rollup_interval = "1s"
"#;

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("configuration file {path}: {message}")]
    File { path: PathBuf, message: String },
    #[error("configuration key `{key}`: {message} (set it in the config file or as {env})")]
    Key { key: String, env: String, message: String },
    #[error("configuration: {0}")]
    Other(String),
}

impl Settings {
    /// Loads defaults, then `file` if given, then the process environment.
    pub fn load(file: Option<&std::path::Path>) -> Result<Self, ConfigError> {
        Self::load_from(file, std::env::vars())
    }

    /// Like [`Settings::load`] with an explicit environment, so tests need not touch the process's.
    pub fn load_from(
        file: Option<&std::path::Path>,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Self, ConfigError> {
        let mut builder =
            config::Config::builder().add_source(config::File::from_str(DEFAULTS, config::FileFormat::Toml));
        if let Some(path) = file {
            if !path.exists() {
                return Err(ConfigError::File { path: path.into(), message: "no such file".into() });
            }
            builder = builder.add_source(config::File::from(path).format(config::FileFormat::Toml));
        }
        let env: std::collections::HashMap<String, String> =
            env.into_iter().filter(|(key, _)| key.starts_with("FRONTLINE__")).collect();
        builder = builder.add_source(
            config::Environment::with_prefix("FRONTLINE")
                .prefix_separator("__")
                .separator("__")
                .list_separator(",")
                .with_list_parse_key("server.cors_allowed_origins")
                .with_list_parse_key("knowledge.locales")
                .with_list_parse_key("secrets.previous_keys")
                .try_parsing(true)
                .source(Some(env)),
        );
        let merged = builder.build().map_err(|error| match error {
            config::ConfigError::FileParse { uri, cause } => {
                ConfigError::File { path: uri.unwrap_or_default().into(), message: cause.to_string() }
            }
            other => ConfigError::Other(other.to_string()),
        })?;
        // serde_path_to_error names the exact key (`server.addr`), which config's own
        // deserializer does not for unknown fields.
        let settings: Settings = serde_path_to_error::deserialize(merged).map_err(|error| {
            let key = error.path().to_string();
            let message = error.into_inner().to_string();
            ConfigError::Key { env: env_name(&key), key, message }
        })?;
        settings.validate()?;
        Ok(settings)
    }

    fn validate(&self) -> Result<(), ConfigError> {
        let bad = |key: &str, message: &str| {
            Err(ConfigError::Key { key: key.into(), env: env_name(key), message: message.into() })
        };
        if !self.database.url.is_empty()
            && !self.database.url.starts_with("postgres://")
            && !self.database.url.starts_with("postgresql://")
        {
            return bad("database.url", "must be empty (embedded SQLite) or a postgres:// URL");
        }
        if self.database.max_connections == 0 {
            return bad("database.max_connections", "must be at least 1");
        }
        if self.server.concurrency_limit == 0 {
            return bad("server.concurrency_limit", "must be at least 1");
        }
        if self.server.request_timeout.is_zero() {
            return bad("server.request_timeout", "must be longer than zero");
        }
        if self.ticketing.routing_timeout.is_zero() {
            return bad("ticketing.routing_timeout", "must be longer than zero");
        }
        if self.ticketing.automation_interval.is_zero() {
            return bad("ticketing.automation_interval", "must be longer than zero");
        }
        if self.ticketing.sla_check_interval.is_zero() {
            return bad("ticketing.sla_check_interval", "must be longer than zero");
        }
        if self.ticketing.close_check_interval.is_zero() {
            return bad("ticketing.close_check_interval", "must be longer than zero");
        }
        if self.ticketing.webhook_timeout.is_zero() || self.ticketing.webhook_timeout > Duration::from_secs(300) {
            return bad("ticketing.webhook_timeout", "must be longer than zero and at most 5min");
        }
        if !(1..=50).contains(&self.ticketing.webhook_max_attempts) {
            return bad("ticketing.webhook_max_attempts", "must be from 1 to 50");
        }
        if self.ticketing.webhook_check_interval.is_zero() {
            return bad("ticketing.webhook_check_interval", "must be longer than zero");
        }
        if self.knowledge.verification_check_interval.is_zero() {
            return bad("knowledge.verification_check_interval", "must be longer than zero");
        }
        if self.analytics.rollup_interval.is_zero() {
            return bad("analytics.rollup_interval", "must be longer than zero");
        }
        if self.knowledge.search_stats_interval.is_zero() {
            return bad("knowledge.search_stats_interval", "must be longer than zero");
        }
        if self.peers.call_timeout.is_zero() {
            return bad("peers.call_timeout", "must be longer than zero");
        }
        if self.peers.health_interval.is_zero() {
            return bad("peers.health_interval", "must be longer than zero");
        }
        let identity_provider = self.auth.identity_provider_settings();
        if let [first, second, ..] = identity_provider.as_slice() {
            return bad(second, &format!("and {first} are both set: trust one source of identity provider keys"));
        }
        if !self.auth.service_secret.is_empty() {
            if identity_provider.is_empty() {
                return bad(
                    "auth.service_secret",
                    "is only for an identity provider's keys (auth.rs256_public_key_file, auth.es256_public_key_file, \
                     auth.jwks_file, auth.jwks_url); with HS256 the services sign with auth.hs256_secret",
                );
            }
            if self.auth.service_secret.len() < 32 {
                return bad("auth.service_secret", "must be at least 32 characters");
            }
        }
        if let Some(url) = &self.auth.jwks_url
            && !(url.starts_with("https://") || url.starts_with("http://"))
        {
            return bad("auth.jwks_url", "must be an https:// (or http://) URL");
        }
        if self.auth.jwks_refresh < Duration::from_secs(1) {
            return bad("auth.jwks_refresh", "must be at least 1s");
        }
        if self.auth.max_token_lifetime < Duration::from_secs(60) {
            return bad("auth.max_token_lifetime", "must be at least 1min");
        }
        if !self.secrets.key.is_empty() && crate::sealing::SealingKey::parse(&self.secrets.key).is_err() {
            return bad("secrets.key", &crate::sealing::KeyError.to_string());
        }
        for (index, key) in self.secrets.previous_keys.iter().enumerate() {
            if crate::sealing::SealingKey::parse(key).is_err() {
                return bad(&format!("secrets.previous_keys[{index}]"), &crate::sealing::KeyError.to_string());
            }
        }
        for (key, url) in [
            ("peers.ticketing", &self.peers.ticketing),
            ("peers.knowledge", &self.peers.knowledge),
            ("peers.workforce", &self.peers.workforce),
            ("peers.analytics", &self.peers.analytics),
        ] {
            if !(url.is_empty() || url.starts_with("http://") || url.starts_with("https://")) {
                return bad(key, "must be an http:// or https:// URL");
            }
        }
        Ok(())
    }

    pub fn uses_postgres(&self) -> bool {
        !self.database.url.is_empty()
    }

    /// The OTLP endpoint: this config's, else the standard OpenTelemetry variable.
    pub fn otlp_endpoint(&self) -> Option<String> {
        Some(self.telemetry.otlp_endpoint.clone())
            .filter(|endpoint| !endpoint.is_empty())
            .or_else(|| std::env::var("OTEL_EXPORTER_OTLP_ENDPOINT").ok().filter(|v| !v.is_empty()))
    }
}

fn env_name(key: &str) -> String {
    format!("FRONTLINE__{}", key.replace('.', "__").to_uppercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn defaults_serve_on_loopback_with_embedded_sqlite() {
        let settings = Settings::load_from(None, env(&[])).unwrap();
        assert_eq!(settings.server.addr.to_string(), "127.0.0.1:50051");
        assert!(!settings.uses_postgres());
        assert_eq!(settings.data_dir, PathBuf::from("./data"));
    }

    #[test]
    fn environment_overrides_file_and_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("frontline.toml");
        std::fs::write(&file, "[server]\naddr = \"0.0.0.0:6000\"\nconcurrency_limit = 7\n").unwrap();
        let settings = Settings::load_from(
            Some(&file),
            env(&[("FRONTLINE__SERVER__ADDR", "127.0.0.1:7000"), ("FRONTLINE__SERVER__REQUEST_TIMEOUT", "3s")]),
        )
        .unwrap();
        assert_eq!(settings.server.addr.to_string(), "127.0.0.1:7000");
        assert_eq!(settings.server.concurrency_limit, 7);
        assert_eq!(settings.server.request_timeout, Duration::from_secs(3));
    }

    #[test]
    fn unknown_key_is_named_in_the_error() {
        let error = Settings::load_from(None, env(&[("FRONTLINE__SERVER__ADRESS", "x")])).unwrap_err();
        let message = error.to_string();
        assert!(message.contains("server.adress"), "{message}");
    }

    #[test]
    fn malformed_value_is_named_in_the_error() {
        let error = Settings::load_from(None, env(&[("FRONTLINE__SERVER__ADDR", "not-an-address")])).unwrap_err();
        assert!(error.to_string().contains("server.addr"), "{error}");
        let error = Settings::load_from(None, env(&[("FRONTLINE__DATABASE__URL", "mysql://x")])).unwrap_err();
        assert!(error.to_string().contains("FRONTLINE__DATABASE__URL"), "{error}");
    }

    #[test]
    fn webhook_settings_default_and_are_checked() {
        let settings = Settings::load_from(None, env(&[])).unwrap();
        assert_eq!(settings.ticketing.webhook_timeout, Duration::from_secs(10));
        assert_eq!(settings.ticketing.webhook_max_attempts, 8);
        let error = Settings::load_from(None, env(&[("FRONTLINE__TICKETING__WEBHOOK_MAX_ATTEMPTS", "0")])).unwrap_err();
        assert!(error.to_string().contains("ticketing.webhook_max_attempts"), "{error}");
        let error = Settings::load_from(None, env(&[("FRONTLINE__TICKETING__WEBHOOK_TIMEOUT", "1h")])).unwrap_err();
        assert!(error.to_string().contains("FRONTLINE__TICKETING__WEBHOOK_TIMEOUT"), "{error}");
    }

    #[test]
    fn sealing_keys_are_checked_and_never_printed() {
        let key = "q83vEjRWeJq83vEjRWeJq83vEjRWeJq83vEjRWeJq80=";
        let settings = Settings::load_from(
            None,
            env(&[
                ("FRONTLINE__SECRETS__KEY", key),
                ("FRONTLINE__SECRETS__PREVIOUS_KEYS", &format!("{},{}", "ab".repeat(32), "cd".repeat(32))),
                ("FRONTLINE__AUTH__HS256_SECRET", "hs256-secret-that-must-not-be-logged"),
                ("FRONTLINE__DATABASE__URL", "postgres://frontline:hunter2@db.internal:5432/frontline?sslmode=require"),
            ]),
        )
        .unwrap();
        assert_eq!(settings.secrets.previous_keys.len(), 2);
        let printed = format!("{settings:?}");
        for secret in [key, &"ab".repeat(32), "hs256-secret-that-must-not-be-logged", "hunter2"] {
            assert!(!printed.contains(secret), "{secret} in {printed}");
        }
        assert!(printed.contains("postgres://frontline:<redacted>@db.internal:5432/frontline?<redacted>"), "{printed}");
        let error = Settings::load_from(None, env(&[("FRONTLINE__SECRETS__KEY", "too-short")])).unwrap_err();
        assert!(
            error.to_string().contains("FRONTLINE__SECRETS__KEY") && !error.to_string().contains("too-short"),
            "{error}"
        );
        let error = Settings::load_from(None, env(&[("FRONTLINE__SECRETS__PREVIOUS_KEYS", &format!("{key},nope"))]))
            .unwrap_err();
        assert!(error.to_string().contains("secrets.previous_keys[1]"), "{error}");
    }

    #[test]
    fn list_of_origins_parses_from_the_environment() {
        let settings = Settings::load_from(
            None,
            env(&[("FRONTLINE__SERVER__CORS_ALLOWED_ORIGINS", "https://a.example,https://b.example")]),
        )
        .unwrap();
        assert_eq!(settings.server.cors_allowed_origins, vec!["https://a.example", "https://b.example"]);
    }

    #[test]
    fn token_settings_default_and_are_checked() {
        let settings = Settings::load_from(None, env(&[])).unwrap();
        assert_eq!(settings.auth.max_token_lifetime, Duration::from_secs(24 * 3600));
        assert_eq!(settings.auth.jwks_refresh, Duration::from_secs(300));
        assert!(!settings.auth.uses_identity_provider());
        let settings = Settings::load_from(
            None,
            env(&[
                ("FRONTLINE__AUTH__JWKS_URL", "https://idp.example/jwks"),
                ("FRONTLINE__AUTH__MAX_TOKEN_LIFETIME", "30d"),
            ]),
        )
        .unwrap();
        assert!(settings.auth.uses_identity_provider());
        assert_eq!(settings.auth.max_token_lifetime, Duration::from_secs(30 * 86400));
        let error = Settings::load_from(
            None,
            env(&[
                ("FRONTLINE__AUTH__JWKS_URL", "https://idp.example/jwks"),
                ("FRONTLINE__AUTH__RS256_PUBLIC_KEY_FILE", "/k.pem"),
            ]),
        )
        .unwrap_err();
        assert!(error.to_string().contains("auth.jwks_url") && error.to_string().contains("one source"), "{error}");
        let error = Settings::load_from(None, env(&[("FRONTLINE__AUTH__JWKS_URL", "idp.example/jwks")])).unwrap_err();
        assert!(error.to_string().contains("FRONTLINE__AUTH__JWKS_URL"), "{error}");
        let error = Settings::load_from(None, env(&[("FRONTLINE__AUTH__MAX_TOKEN_LIFETIME", "1s")])).unwrap_err();
        assert!(error.to_string().contains("auth.max_token_lifetime"), "{error}");
    }
}
