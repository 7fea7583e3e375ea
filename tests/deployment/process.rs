//! One child process of the real `frontline` binary, started with exactly the arguments and
//! environment it is given (nothing inherited from the shell running the tests, as in a pod),
//! its log echoed with its name and kept for assertions.
use std::{
    io::{BufRead, BufReader},
    net::SocketAddr,
    process::{Child, Command, ExitStatus, Stdio},
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use tonic_health::pb::{HealthCheckRequest, health_check_response::ServingStatus, health_client::HealthClient};

/// What to run: the program, its arguments and its whole environment.
#[derive(Debug, Clone)]
pub struct Launch {
    /// Names the process in the echoed log: "ticketing-1".
    pub name: String,
    pub args: Vec<String>,
    pub env: Vec<(String, String)>,
}

pub struct Process {
    launch: Launch,
    child: Option<Child>,
    log: Arc<Mutex<Vec<String>>>,
}

impl Process {
    /// Starts the real binary with `launch`'s arguments and environment only.
    pub fn start(launch: Launch) -> Self {
        let mut process = Self { launch, child: None, log: Arc::default() };
        process.spawn();
        process
    }

    fn spawn(&mut self) {
        assert!(self.child.is_none(), "{} is already running", self.launch.name);
        let mut command = Command::new(env!("CARGO_BIN_EXE_frontline"));
        command
            .args(&self.launch.args)
            .env_clear()
            .envs(self.launch.env.iter().cloned())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = command.spawn().unwrap_or_else(|error| panic!("starting {}: {error}", self.launch.name));
        // Both pipes are read for the whole life of the process (a full pipe would block it).
        for pipe in [
            Box::new(child.stdout.take().expect("piped stdout")) as Box<dyn std::io::Read + Send>,
            Box::new(child.stderr.take().expect("piped stderr")),
        ] {
            let (name, log) = (self.launch.name.clone(), self.log.clone());
            std::thread::spawn(move || {
                for line in BufReader::new(pipe).lines().map_while(Result::ok) {
                    eprintln!("[{name}] {line}");
                    log.lock().unwrap().push(line);
                }
            });
        }
        self.child = Some(child);
    }

    pub fn name(&self) -> &str {
        &self.launch.name
    }

    /// Starts it again with the same arguments and environment (its data is where it was).
    pub fn restart(&mut self) {
        self.spawn();
    }

    /// Everything it has written so far, stdout and stderr.
    pub fn log(&self) -> String {
        self.log.lock().unwrap().join("\n")
    }

    /// SIGKILL: a crash, an OOM kill, a node gone.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// SIGTERM, as the kubelet sends it.
    pub fn terminate(&mut self) {
        let pid = self.child.as_ref().expect("running").id().to_string();
        let status = Command::new("kill").args(["-TERM", &pid]).status().expect("kill(1) runs");
        assert!(status.success(), "kill -TERM {pid}");
    }

    /// Its exit status if it has exited (it is then no longer running).
    pub fn exited(&mut self) -> Option<ExitStatus> {
        let status = self.child.as_mut()?.try_wait().expect("process status")?;
        self.child = None;
        Some(status)
    }

    /// Waits for it to exit by itself; None if it still runs after `timeout`.
    pub async fn exited_within(&mut self, timeout: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.exited() {
                return Some(status);
            }
            if self.child.is_none() || Instant::now() >= deadline {
                return None;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// The address `frontline serve` says it is serving on (it may have been told port 0): waits
    /// for its "Frontline is serving … on ADDR" line.
    pub async fn announced_addr(&mut self, timeout: Duration) -> SocketAddr {
        self.wait_for("announce its address", timeout, |process| {
            let announced = process
                .log
                .lock()
                .unwrap()
                .iter()
                .find_map(|line| line.strip_prefix("Frontline is serving ")?.rsplit(" on ").next()?.parse().ok());
            async move { announced }
        })
        .await
    }

    /// Waits until its health answers SERVING for `service` ("" for the process) on `addr`, as
    /// a kubelet's gRPC probe asks.
    pub async fn serving(&mut self, addr: SocketAddr, service: &str, timeout: Duration) {
        let what = format!("pass the probe for {service:?} on {addr}");
        self.wait_for(&what, timeout, |_| async move {
            (health(addr, service).await == Some(ServingStatus::Serving)).then_some(())
        })
        .await
    }

    /// Polls `check` until it answers, panicking with the log if the process exits or `timeout`
    /// passes first.
    async fn wait_for<T, F: Future<Output = Option<T>>>(
        &mut self,
        what: &str,
        timeout: Duration,
        check: impl Fn(&Self) -> F,
    ) -> T {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(found) = check(self).await {
                return found;
            }
            if let Some(status) = self.exited() {
                panic!("{} exited with {status} before it could {what}:\n{}", self.launch.name, self.log());
            }
            assert!(
                Instant::now() < deadline,
                "{} did not {what} within {timeout:?}:\n{}",
                self.launch.name,
                self.log()
            );
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        self.kill();
    }
}

/// What the gRPC health service on `addr` says of `service`; None when nothing answers.
pub async fn health(addr: SocketAddr, service: &str) -> Option<ServingStatus> {
    let channel = tonic::transport::Endpoint::from_shared(format!("http://{addr}"))
        .ok()?
        .connect_timeout(Duration::from_secs(1))
        .timeout(Duration::from_secs(2))
        .connect()
        .await
        .ok()?;
    let response = HealthClient::new(channel).check(HealthCheckRequest { service: service.into() }).await.ok()?;
    Some(response.into_inner().status())
}

/// A loopback port nothing listens on now, for a process to bind later.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").expect("a loopback port").local_addr().unwrap().port()
}
