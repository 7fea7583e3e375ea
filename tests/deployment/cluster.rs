//! An overlay's workloads running as local processes ([`crate::manifests::Plan`]), probed as
//! the kubelet probes them: started when the startup probe passes, ready when the readiness
//! probe does. Tokens are minted with the key the processes were given, read from their own
//! environment, so the test holds no key of its own.
use std::{collections::HashMap, net::SocketAddr, time::Duration};

use frontline_shared::{
    auth::{Keys, Role, TokenIssuer},
    config::Settings,
};
use tonic::{service::interceptor::InterceptedService, transport::Endpoint};

use crate::{
    e2e_support::{Authed, Backend, Bearer, backend_database, drop_postgres_database},
    manifests::{Plan, Replica, StandIns, Workload, render},
    otlp_receiver::{Receiver, start_receiver},
    process::Process,
};

/// How long a process may take to pass its startup probe (migrations on a busy machine).
const STARTUP: Duration = Duration::from_secs(90);

pub struct Cluster {
    pub overlay: String,
    replicas: Vec<Replica>,
    processes: Vec<Process>,
    pub receiver: Receiver,
    issuer: TokenIssuer,
    database: Option<(String, String)>,
    _volumes: tempfile::TempDir,
}

impl Cluster {
    /// Renders `overlay` and starts `replicas(workload)` processes of each workload, on a fresh
    /// PostgreSQL database when the manifests name one (`backend` says whether this run has
    /// one), returning once every replica's readiness probe passes.
    pub async fn start(overlay: &str, backend: Backend, replicas: impl Fn(&Workload) -> usize) -> Self {
        let rendered = render(overlay);
        let volumes = tempfile::tempdir().expect("a temporary directory");
        let mut env = Vec::new();
        let database = backend_database(backend, &mut env).await;
        let (otlp, receiver) = start_receiver().await;
        // The production overlay leaves the Secret out of the build: these are what an
        // operator creates by hand, as k8s/README.md says.
        let operator_secrets = HashMap::from([
            (
                ("frontline-secrets".to_string(), "database-url".to_string()),
                "postgres://frontline:operator-password@db.internal:5432/frontline".to_string(),
            ),
            (
                ("frontline-secrets".to_string(), "auth-hs256-secret".to_string()),
                format!("operator-created-{}", uuid::Uuid::new_v4().simple()),
            ),
            (
                // 32 random bytes in hex, as `openssl rand -hex 32` makes them.
                ("frontline-secrets".to_string(), "secrets-key".to_string()),
                format!("{}{}", uuid::Uuid::new_v4().simple(), uuid::Uuid::new_v4().simple()),
            ),
        ]);
        let stand_ins = StandIns {
            database_url: env.into_iter().next().map(|(_, url)| url),
            otlp_endpoint: format!("http://{otlp}"),
            operator_secrets,
            volumes: volumes.path().to_path_buf(),
        };
        let plan = Plan::new(&rendered, &stand_ins, replicas);
        let settings = Settings::load_from(None, plan.replicas[0].launch.env.clone())
            .unwrap_or_else(|error| panic!("{}'s settings: {error}", plan.replicas[0].launch.name));
        let issuer = Keys::load(&settings).expect("keys").issuer.expect("the manifests configure an HS256 key");
        let processes = plan.replicas.iter().map(|replica| Process::start(replica.launch.clone())).collect();
        let mut cluster = Self {
            overlay: overlay.into(),
            replicas: plan.replicas,
            processes,
            receiver,
            issuer,
            database,
            _volumes: volumes,
        };
        for index in 0..cluster.replicas.len() {
            cluster.probe(index).await;
        }
        cluster
    }

    /// Waits for the startup probe, then the readiness and liveness probes, of replica `index`.
    async fn probe(&mut self, index: usize) {
        let replica = &self.replicas[index];
        let process = &mut self.processes[index];
        let port_of = |port: u16| replica.ports.get(&port).copied().expect("a probe on a declared port");
        if let Some(probe) = &replica.startup_probe {
            process.serving(port_of(probe.port), &probe.service, STARTUP).await;
        }
        for probe in replica.readiness_probe.iter().chain(&replica.liveness_probe) {
            process.serving(port_of(probe.port), &probe.service, Duration::from_secs(10)).await;
        }
    }

    fn index(&self, workload: &str, replica: usize) -> usize {
        self.replicas
            .iter()
            .position(|r| r.workload == workload && r.index == replica)
            .unwrap_or_else(|| panic!("overlay {} has no replica {replica} of {workload}", self.overlay))
    }

    /// The workloads (Deployments) this overlay runs.
    pub fn workloads(&self) -> Vec<String> {
        let mut names: Vec<String> = self.replicas.iter().map(|replica| replica.workload.clone()).collect();
        names.dedup();
        names
    }

    pub fn replica_count(&self, workload: &str) -> usize {
        self.replicas.iter().filter(|replica| replica.workload == workload).count()
    }

    /// The loopback address of a replica's gRPC port.
    pub fn addr(&self, workload: &str, replica: usize) -> SocketAddr {
        self.replicas[self.index(workload, replica)].grpc
    }

    /// The arguments a replica was started with.
    pub fn args(&self, workload: &str, replica: usize) -> &[String] {
        &self.replicas[self.index(workload, replica)].launch.args
    }

    /// The environment a replica was started with.
    pub fn env(&self, workload: &str, replica: usize) -> &[(String, String)] {
        &self.replicas[self.index(workload, replica)].launch.env
    }

    pub fn log(&self, workload: &str, replica: usize) -> String {
        self.processes[self.index(workload, replica)].log()
    }

    /// A workload that serves `grpc_service` (the one Deployment in all-in-one).
    pub fn serving(&self, grpc_service: &str) -> String {
        self.replicas
            .iter()
            .find(|replica| {
                replica.readiness_probe.as_ref().is_some_and(|probe| probe.service == grpc_service)
                    || replica.launch.args.iter().all(|arg| arg != "--service")
            })
            .map(|replica| replica.workload.clone())
            .unwrap_or_else(|| panic!("no workload of {} serves {grpc_service}", self.overlay))
    }

    pub fn token(&self, role: Role, subject: &str, team: Option<&str>) -> String {
        self.issuer.issue(subject, role, team, Duration::from_secs(3600)).expect("a token")
    }

    /// A client channel to a replica carrying `role`'s token for `subject`.
    pub fn authed(&self, workload: &str, replica: usize, role: Role, subject: &str, team: Option<&str>) -> Authed {
        let channel = Endpoint::from_shared(format!("http://{}", self.addr(workload, replica)))
            .expect("URL")
            .connect_timeout(Duration::from_secs(2))
            .timeout(Duration::from_secs(15))
            .connect_lazy();
        InterceptedService::new(channel, Bearer::token(&self.token(role, subject, team)))
    }

    /// SIGKILL to one replica: a crash, or a node gone.
    pub fn kill(&mut self, workload: &str, replica: usize) {
        let index = self.index(workload, replica);
        self.processes[index].kill();
    }

    /// Starts a killed replica again, as its Deployment would, and waits for its probes.
    pub async fn restart(&mut self, workload: &str, replica: usize) {
        let index = self.index(workload, replica);
        self.processes[index].restart();
        self.probe(index).await;
    }

    /// SIGTERM to every replica, as a rollout or a scale-down sends it: each must exit 0 within
    /// its Deployment's termination grace period.
    pub async fn stop(mut self) {
        for process in &mut self.processes {
            process.terminate();
        }
        for (replica, process) in self.replicas.iter().zip(&mut self.processes) {
            let grace = Duration::from_secs(replica.termination_grace_seconds);
            let status = process.exited_within(grace).await;
            assert!(
                status.is_some_and(|status| status.success()),
                "{} did not exit cleanly within its grace period ({grace:?}): {status:?}\n{}",
                process.name(),
                process.log()
            );
        }
        if let Some((admin, name)) = self.database.take() {
            drop_postgres_database(&admin, &name).await;
        }
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        for process in &mut self.processes {
            process.kill();
        }
        if let Some((admin, name)) = self.database.take() {
            let dropped = std::thread::spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
                runtime.block_on(drop_postgres_database(&admin, &name));
            });
            let _ = dropped.join();
        }
    }
}
