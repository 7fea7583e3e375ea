//! The child-process harness: the real `frontline serve` binary on a loopback port the OS
//! picks, configured only through FRONTLINE__* variables, on a data directory (and, for
//! PostgreSQL, a fresh database) that outlives each process so a killed suite can be started
//! again on the same data. Tokens are minted with the secret the install keeps in its data
//! directory, exactly as `frontline token` does.
use std::{
    io::{BufRead, BufReader},
    net::SocketAddr,
    process::{Child, Command, ExitStatus, Stdio},
    sync::mpsc,
    time::{Duration, Instant},
};

use frontline_proto::{
    analytics::v1::analytics_service_client::AnalyticsServiceClient,
    ticketing::v1::ticketing_service_client::TicketingServiceClient,
};
use frontline_shared::{
    auth::{Keys, Role, TokenIssuer},
    config::Settings,
};
use tonic::{service::interceptor::InterceptedService, transport::Endpoint};

pub use crate::e2e_support::{Authed, Backend, Bearer, Ticketing, eventually};
use crate::e2e_support::{backend_database, drop_postgres_database};

pub type Analytics = AnalyticsServiceClient<Authed>;

/// Set (to anything) by `make soak`: longer load and more kills.
pub const SOAK_VARIABLE: &str = "FRONTLINE_SOAK";

/// How hard and how often a test pushes: a few seconds in `make test`, minutes in `make soak`.
pub struct Intensity {
    /// How long writers run before each kill or stop.
    pub load: Duration,
    /// How many kill-and-restart rounds the crash test goes through.
    pub rounds: usize,
    pub writers: usize,
}

pub fn intensity() -> Intensity {
    if std::env::var_os(SOAK_VARIABLE).is_some() {
        Intensity { load: Duration::from_secs(20), rounds: 5, writers: 16 }
    } else {
        Intensity { load: Duration::from_millis(1500), rounds: 1, writers: 6 }
    }
}

/// Runs one scenario against a child process on SQLite, and on PostgreSQL as an ignored twin
/// (run when FRONTLINE_TEST_DATABASE_URL is set and ignored tests are included, as in make test).
#[macro_export]
macro_rules! in_a_process_on_both_backends {
    ($(#[doc = $doc:literal])* async fn $name:ident($backend:ident) $body:block) => {
        $(#[doc = $doc])*
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let $backend = $crate::support::Backend::Sqlite;
                $body
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            #[ignore = "needs PostgreSQL: set FRONTLINE_TEST_DATABASE_URL and pass --include-ignored (make test does both)"]
            async fn postgres() {
                let $backend = $crate::support::Backend::Postgres;
                $body
            }
        }
    };
}

/// One Frontline install (data directory, database, signing secret) and the process serving
/// it, if one is running. Dropping it kills the process and drops the PostgreSQL database.
pub struct Install {
    env: Vec<(String, String)>,
    issuer: TokenIssuer,
    process: Option<Process>,
    postgres: Option<(String, String)>, // (admin URL, database name)
    _data_dir: tempfile::TempDir,
}

struct Process {
    child: Child,
    addr: SocketAddr,
}

/// How long a start may take: migrations on a busy machine, the search index opening.
const START_TIMEOUT: Duration = Duration::from_secs(60);

impl Install {
    /// A fresh install on `backend` with `extra` settings (FRONTLINE__… pairs); not yet running.
    pub async fn new(backend: Backend, extra: &[(&str, &str)]) -> Self {
        let data_dir = tempfile::tempdir().expect("temporary directory");
        let mut env: Vec<(String, String)> = [
            ("FRONTLINE__DATA_DIR", data_dir.path().to_str().expect("UTF-8 temporary path")),
            ("FRONTLINE__SERVER__ADDR", "127.0.0.1:0"),
            ("FRONTLINE__FEED__SEQUENCER_INTERVAL", "50ms"),
            ("FRONTLINE__FEED__WATCH_POLL_INTERVAL", "100ms"),
            ("FRONTLINE__ANALYTICS__ROLLUP_INTERVAL", "200ms"),
            ("FRONTLINE__TELEMETRY__LOG_FILTER", "warn"),
        ]
        .iter()
        .chain(extra)
        .map(|(key, value)| (key.to_string(), value.to_string()))
        .collect();
        let postgres = backend_database(backend, &mut env).await;
        let settings = Settings::load_from(None, env.clone()).expect("test settings");
        // The first to load the keys mints the secret in the data directory; the process reads it.
        let issuer = Keys::load(&settings).expect("keys").issuer.expect("a local install issues tokens");
        Self { env, issuer, process: None, postgres, _data_dir: data_dir }
    }

    /// Starts `frontline serve` and returns once it says it is serving (its listener is bound).
    pub fn start(&mut self) {
        assert!(self.process.is_none(), "already running");
        let mut command = Command::new(env!("CARGO_BIN_EXE_frontline"));
        command.arg("serve").stdin(Stdio::null()).stdout(Stdio::inherit()).stderr(Stdio::piped());
        // Only this install's settings: none a developer has exported in their shell.
        for (key, _) in std::env::vars().filter(|(key, _)| key.starts_with("FRONTLINE__")) {
            command.env_remove(key);
        }
        let mut child = command.envs(self.env.iter().cloned()).spawn().expect("frontline serve starts");
        let (lines, announced) = mpsc::channel();
        let stderr = child.stderr.take().expect("piped stderr");
        // Reads stderr for the whole life of the process (a full pipe would block it), echoing
        // each line so a failing test shows what the server said.
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                eprintln!("[frontline serve] {line}");
                let _ = lines.send(line);
            }
        });
        let deadline = Instant::now() + START_TIMEOUT;
        let addr = loop {
            let line = announced
                .recv_timeout(deadline.saturating_duration_since(Instant::now()))
                .unwrap_or_else(|_| panic!("frontline serve did not announce its address: {:?}", child.try_wait()));
            // "Frontline is serving ticketing, knowledge, … on 127.0.0.1:PORT"
            if let Some(addr) = line.strip_prefix("Frontline is serving ").and_then(|rest| rest.rsplit(" on ").next()) {
                break addr.parse().expect("a socket address");
            }
        };
        self.process = Some(Process { child, addr });
    }

    fn process(&mut self) -> &mut Process {
        self.process.as_mut().expect("running")
    }

    pub fn pid(&mut self) -> u32 {
        self.process().child.id()
    }

    /// SIGKILL: no shutdown code runs, as in a power cut or an OOM kill.
    pub fn kill(&mut self) {
        let mut process = self.process.take().expect("running");
        process.child.kill().expect("SIGKILL");
        process.child.wait().expect("reaped");
    }

    /// SIGTERM, as Kubernetes and systemd send; the process should drain and exit by itself.
    pub fn terminate(&mut self) {
        let pid = self.pid().to_string();
        let status = Command::new("kill").args(["-TERM", &pid]).status().expect("kill(1) runs");
        assert!(status.success(), "kill -TERM {pid}");
    }

    /// Waits for the process to exit on its own; None if it is still running after `timeout`.
    pub async fn exited_within(&mut self, timeout: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.process().child.try_wait().expect("process status") {
                self.process = None;
                return Some(status);
            }
            if Instant::now() >= deadline {
                return None;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    pub fn url(&mut self) -> String {
        format!("http://{}", self.process().addr)
    }

    /// A client that connects on first use and gives up on a call after 10 s, so a server that
    /// hangs shows up as a failed call instead of a hung test.
    pub fn authed(&mut self, role: Role, subject: &str) -> Authed {
        let token = self.issuer.issue(subject, role, None, Duration::from_secs(3600)).expect("token");
        let channel = Endpoint::from_shared(self.url())
            .expect("URL")
            .connect_timeout(Duration::from_secs(2))
            .timeout(Duration::from_secs(10))
            .connect_lazy();
        InterceptedService::new(channel, Bearer::token(&token))
    }

    pub fn ticketing(&mut self, role: Role) -> Ticketing {
        TicketingServiceClient::new(self.authed(role, &format!("resilience-{role}")))
    }

    pub fn analytics(&mut self, role: Role) -> Analytics {
        AnalyticsServiceClient::new(self.authed(role, &format!("resilience-{role}")))
    }
}

impl Drop for Install {
    fn drop(&mut self) {
        if let Some(mut process) = self.process.take() {
            let _ = process.child.kill();
            let _ = process.child.wait();
        }
        // Drop runs inside the test's runtime, which cannot be blocked on; a thread of its own can.
        if let Some((admin, name)) = self.postgres.take() {
            let dropped = std::thread::spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
                runtime.block_on(drop_postgres_database(&admin, &name));
            });
            let _ = dropped.join();
        }
    }
}
