//! The end-to-end harness: the real `Application` on a loopback port chosen by the OS, a fresh
//! database per test (a temporary directory of SQLite files, or a new PostgreSQL database),
//! and generated gRPC clients carrying real tokens.
use std::{net::SocketAddr, time::Duration};

use frontline::{Application, ServiceKind};
use frontline_proto::{
    analytics::v1::analytics_service_client::AnalyticsServiceClient,
    knowledge::v1::knowledge_service_client::KnowledgeServiceClient,
    ticketing::v1::ticketing_service_client::TicketingServiceClient,
};
use frontline_shared::{
    auth::{Keys, Role, TokenIssuer},
    clock::{Clock, ManualClock},
    config::Settings,
};
use sqlx::{Connection, Executor};
use tonic::{
    Request, Status,
    metadata::AsciiMetadataValue,
    service::{Interceptor, interceptor::InterceptedService},
    transport::Channel,
};

/// The variable naming a PostgreSQL server (any database on it) the tests may create databases on.
pub const POSTGRES_VARIABLE: &str = "FRONTLINE_TEST_DATABASE_URL";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Runs one scenario on SQLite, and on PostgreSQL as an ignored twin that `make test` includes
/// when FRONTLINE_TEST_DATABASE_URL is set — so a run without Postgres reports it as ignored
/// rather than passing it.
#[macro_export]
macro_rules! on_both_backends {
    ($(#[doc = $doc:literal])* async fn $name:ident($app:ident) $body:block) => {
        $crate::on_both_backends! { with |_| {}; $(#[doc = $doc])* async fn $name($app) $body }
    };
    // `with adjust;` first: settings changed before the suite starts.
    (with $adjust:expr; $(#[doc = $doc:literal])* async fn $name:ident($app:ident) $body:block) => {
        $(#[doc = $doc])*
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                #[allow(unused_mut)]
                let mut $app = $crate::support::TestApp::spawn_with($crate::support::Backend::Sqlite, $adjust).await;
                $body
                $app.stop().await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            #[ignore = "needs PostgreSQL: set FRONTLINE_TEST_DATABASE_URL and pass --include-ignored (make test does both)"]
            async fn postgres() {
                #[allow(unused_mut)]
                let mut $app = $crate::support::TestApp::spawn_with($crate::support::Backend::Postgres, $adjust).await;
                $body
                $app.stop().await;
            }
        }
    };
}

/// Like `on_both_backends!`, on a manual clock standing at `start`: the test moves it by hand
/// through `$hand` instead of sleeping.
#[macro_export]
macro_rules! on_both_backends_at {
    ($start:expr; $(#[doc = $doc:literal])* async fn $name:ident($app:ident, $hand:ident) $body:block) => {
        $(#[doc = $doc])*
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                #[allow(unused_mut)]
                let (mut $app, $hand) = $crate::support::TestApp::spawn_at($crate::support::Backend::Sqlite, $start).await;
                $body
                $app.stop().await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            #[ignore = "needs PostgreSQL: set FRONTLINE_TEST_DATABASE_URL and pass --include-ignored (make test does both)"]
            async fn postgres() {
                #[allow(unused_mut)]
                let (mut $app, $hand) = $crate::support::TestApp::spawn_at($crate::support::Backend::Postgres, $start).await;
                $body
                $app.stop().await;
            }
        }
    };
}

/// For tests that count ticketing's feed events one by one: no background suggestion events.
pub fn without_suggestions(settings: &mut Settings) {
    settings.ticketing.suggest_articles = false;
}

/// Adds a bearer token (or none) to every call.
#[derive(Clone)]
pub struct Bearer(Option<AsciiMetadataValue>);

impl Bearer {
    pub fn token(token: &str) -> Self {
        Self(Some(format!("Bearer {token}").parse().expect("token is ASCII")))
    }

    pub fn none() -> Self {
        Self(None)
    }
}

impl Interceptor for Bearer {
    fn call(&mut self, mut request: Request<()>) -> Result<Request<()>, Status> {
        if let Some(value) = &self.0 {
            request.metadata_mut().insert("authorization", value.clone());
        }
        Ok(request)
    }
}

pub type Authed = InterceptedService<Channel, Bearer>;
pub type Ticketing = TicketingServiceClient<Authed>;

pub struct TestApp {
    app: Option<Application>,
    pub addr: SocketAddr,
    pub settings: Settings,
    services: Vec<ServiceKind>,
    issuer: TokenIssuer,
    _data_dir: tempfile::TempDir,
    postgres: Option<(String, String)>, // (admin URL, database name)
    clock: Clock,
}

impl TestApp {
    pub async fn spawn(backend: Backend) -> Self {
        Self::spawn_with(backend, |_| {}).await
    }

    /// Spawns all four services with `adjust` applied to the test settings.
    pub async fn spawn_with(backend: Backend, adjust: impl FnOnce(&mut Settings)) -> Self {
        Self::spawn_services(backend, &[], adjust).await
    }

    /// Spawns only `services` (all four when empty): the Kubernetes shape.
    pub async fn spawn_services(
        backend: Backend,
        services: &[ServiceKind],
        adjust: impl FnOnce(&mut Settings),
    ) -> Self {
        Self::spawn_on(backend, services, adjust, Clock::system()).await
    }

    /// Spawns all four services on a manual clock standing at `start`; the returned hand moves it.
    pub async fn spawn_at(backend: Backend, start: chrono::DateTime<chrono::Utc>) -> (Self, ManualClock) {
        let (clock, hand) = Clock::manual(start);
        (Self::spawn_on(backend, &[], |_| {}, clock).await, hand)
    }

    /// Spawns `services` (all when empty) with `adjust`ed settings on `clock`, e.g. a second
    /// replica sharing another's database and manual clock.
    pub async fn spawn_on(
        backend: Backend,
        services: &[ServiceKind],
        adjust: impl FnOnce(&mut Settings),
        clock: Clock,
    ) -> Self {
        let data_dir = tempfile::tempdir().expect("temporary directory");
        let mut env = vec![
            ("FRONTLINE__DATA_DIR".to_string(), data_dir.path().display().to_string()),
            ("FRONTLINE__SERVER__ADDR".to_string(), "127.0.0.1:0".to_string()),
            ("FRONTLINE__FEED__SEQUENCER_INTERVAL".to_string(), "50ms".to_string()),
            ("FRONTLINE__FEED__WATCH_POLL_INTERVAL".to_string(), "100ms".to_string()),
            ("FRONTLINE__SERVER__SHUTDOWN_TIMEOUT".to_string(), "10s".to_string()),
        ];
        let postgres = backend_database(backend, &mut env).await;
        let mut settings = Settings::load_from(None, env).expect("test settings");
        adjust(&mut settings);
        if std::env::var("FRONTLINE_TEST_LOG").is_ok() {
            let _ = frontline_shared::telemetry::init(&settings);
        }
        let issuer = Keys::load(&settings).expect("keys").issuer.expect("a local install issues tokens");
        let app = Application::build_on(settings.clone(), services, clock.clone()).await.expect("Frontline starts");
        let addr = app.local_addr();
        Self {
            app: Some(app),
            addr,
            settings,
            services: services.to_vec(),
            issuer,
            _data_dir: data_dir,
            postgres,
            clock,
        }
    }

    /// Stops gracefully and starts again on the same databases (on a new port).
    pub async fn restart(&mut self) {
        self.restart_after(|_| {}).await;
    }

    /// Stops gracefully, runs `between` (e.g. to damage derived data), and starts again.
    pub async fn restart_after(&mut self, between: impl FnOnce(&Settings)) {
        self.shut_down().await;
        between(&self.settings);
        self.start_again().await;
    }

    /// Stops gracefully and stays stopped, keeping its databases, until [`Self::start_again`]:
    /// a peer service going away.
    pub async fn shut_down(&mut self) {
        self.app.take().expect("running").shutdown().await.expect("graceful shutdown");
    }

    /// Starts on the same databases: on the same port when `server.addr` names one, else a new one.
    pub async fn start_again(&mut self) {
        let app = Application::build_on(self.settings.clone(), &self.services, self.clock.clone())
            .await
            .expect("Frontline restarts");
        self.addr = app.local_addr();
        self.app = Some(app);
    }

    /// The clock this suite runs on (shared by a second replica in replica tests).
    pub fn clock(&self) -> Clock {
        self.clock.clone()
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// Takes the running application, e.g. to shut it down while watching from outside.
    pub fn take_app(&mut self) -> Application {
        self.app.take().expect("running")
    }

    /// Stops gracefully, then drops the test's PostgreSQL database.
    pub async fn stop(mut self) {
        if let Some(app) = self.app.take() {
            app.shutdown().await.expect("graceful shutdown");
        }
        if let Some((admin, name)) = self.postgres.take() {
            drop_postgres_database(&admin, &name).await;
        }
    }

    /// Another handle on a service's own database, for tests that must set up what no API
    /// call can (a verification due in the past).
    pub async fn database(&self, service: &str) -> frontline_shared::database::Database {
        frontline_shared::database::Database::connect(&self.settings, service).await.expect("service database")
    }

    pub fn token(&self, role: Role) -> String {
        self.token_for(role, &format!("test-{role}"), None)
    }

    /// An end user's token is bound to a customer; one that exists nowhere unless a test says.
    pub fn token_for(&self, role: Role, subject: &str, team: Option<&str>) -> String {
        if role == Role::EndUser {
            return self.end_user_token(subject, "no-such-customer");
        }
        self.issuer.issue(subject, role, team, Duration::from_secs(600)).expect("token")
    }

    /// A token for a customer signed in to a help centre.
    pub fn end_user_token(&self, subject: &str, customer_id: &str) -> String {
        self.issuer.issue_end_user(subject, customer_id, Duration::from_secs(600)).expect("token")
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub async fn channel(&self) -> Channel {
        Channel::from_shared(self.url()).unwrap().connect().await.expect("connects to the test server")
    }

    pub async fn authed(&self, bearer: Bearer) -> Authed {
        InterceptedService::new(self.channel().await, bearer)
    }

    pub async fn ticketing(&self, role: Role) -> Ticketing {
        TicketingServiceClient::new(self.authed(Bearer::token(&self.token(role))).await)
    }

    /// A client for a person of `role` working in `team`.
    pub async fn ticketing_in_team(&self, role: Role, subject: &str, team: &str) -> Ticketing {
        self.ticketing_as(Bearer::token(&self.token_for(role, subject, Some(team)))).await
    }

    pub async fn ticketing_as(&self, bearer: Bearer) -> Ticketing {
        TicketingServiceClient::new(self.authed(bearer).await)
    }

    /// A knowledge client for `subject` in `role`, working in `team` when given.
    pub async fn knowledge(&self, role: Role, subject: &str, team: Option<&str>) -> KnowledgeServiceClient<Authed> {
        KnowledgeServiceClient::new(self.authed(Bearer::token(&self.token_for(role, subject, team))).await)
    }

    pub async fn analytics(&self, role: Role) -> AnalyticsServiceClient<Authed> {
        AnalyticsServiceClient::new(self.authed(Bearer::token(&self.token(role))).await)
    }

    /// An analytics client for `subject` in `role`, working in `team` when given.
    pub async fn analytics_as(&self, role: Role, subject: &str, team: Option<&str>) -> AnalyticsServiceClient<Authed> {
        AnalyticsServiceClient::new(self.authed(Bearer::token(&self.token_for(role, subject, team))).await)
    }
}

/// On PostgreSQL, a fresh database for one test, its URL added to `env` as database.url;
/// returns (admin URL, database name) to drop it with. On SQLite, nothing: the data directory holds it.
pub async fn backend_database(backend: Backend, env: &mut Vec<(String, String)>) -> Option<(String, String)> {
    match backend {
        Backend::Sqlite => None,
        Backend::Postgres => {
            let (admin, name, url) = create_postgres_database().await;
            env.push(("FRONTLINE__DATABASE__URL".to_string(), url));
            Some((admin, name))
        }
    }
}

/// Creates a fresh database on the FRONTLINE_TEST_DATABASE_URL server: (admin URL, name, its URL).
async fn create_postgres_database() -> (String, String, String) {
    let admin = std::env::var(POSTGRES_VARIABLE).unwrap_or_else(|_| {
        panic!("this test runs on PostgreSQL: set {POSTGRES_VARIABLE}=postgres://postgres@127.0.0.1:5432/postgres")
    });
    let name = format!("frontline_test_{}", uuid::Uuid::new_v4().simple());
    let mut connection = sqlx::PgConnection::connect(&admin)
        .await
        .unwrap_or_else(|error| panic!("connecting to {POSTGRES_VARIABLE}={admin}: {error}"));
    connection.execute(format!("CREATE DATABASE \"{name}\"").as_str()).await.expect("create test database");
    let base = admin.split('?').next().unwrap();
    let server = base.rsplit_once('/').map_or(base, |(server, _)| server);
    let url = format!("{server}/{name}");
    (admin, name, url)
}

/// Drops a database [`backend_database`] made, even with connections still open.
pub async fn drop_postgres_database(admin: &str, name: &str) {
    if let Ok(mut connection) = sqlx::PgConnection::connect(admin).await {
        let _ = connection.execute(format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)").as_str()).await;
    }
}

/// Polls `check` until it returns Some or `timeout` passes; for effects that happen in the
/// background (followers, sequencers), never as a stand-in for waiting on a server to start.
pub async fn eventually<T, F, Fut>(timeout: Duration, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(tokio::time::Instant::now() < deadline, "condition not met within {timeout:?}");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// The status of a failed call, for assertions.
pub fn expect_error<T: std::fmt::Debug>(result: Result<tonic::Response<T>, Status>) -> Status {
    match result {
        Ok(response) => panic!("expected an error, got {:?}", response.into_inner()),
        Err(status) => status,
    }
}

/// The field named in the status's BadRequest details.
pub fn violated_fields(status: &Status) -> Vec<String> {
    use tonic_types::StatusExt;
    status
        .get_error_details()
        .bad_request()
        .map(|bad| bad.field_violations.iter().map(|v| v.field.clone()).collect())
        .unwrap_or_default()
}

pub fn error_reason(status: &Status) -> String {
    use tonic_types::StatusExt;
    status.get_error_details().error_info().map(|info| info.reason.clone()).unwrap_or_default()
}
