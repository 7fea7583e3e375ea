//! What the Kubernetes manifests run, read from `kubectl kustomize` of an overlay exactly as
//! the cluster would receive it: each Frontline container's command, arguments, environment
//! (ConfigMaps and Secrets resolved), ports, volume mounts and gRPC probes, and each Service's
//! ports. [`Plan`] turns them into local processes, changing only what must change off the
//! cluster — addresses become loopback ports, the database becomes the test's, mounted paths
//! become temporary directories — and failing on anything it cannot place, so a wrong
//! variable or argument in a manifest fails the test instead of being papered over.
use std::{
    collections::{BTreeMap, HashMap},
    net::SocketAddr,
    path::PathBuf,
    process::Command,
};

use base64::Engine as _;
use serde::Deserialize;
use serde_json::Value;

/// The image every Frontline container runs, and where its Dockerfile installs the binary.
const IMAGE: &str = "ghcr.io/frontline-support/frontline";
const BINARY: &str = "/usr/local/bin/frontline";

/// One rendered overlay.
pub struct Rendered {
    pub overlay: String,
    pub workloads: Vec<Workload>,
    /// Service name → (port → the container port it targets), and the app it selects.
    services: HashMap<String, ServiceRoute>,
    config_maps: HashMap<String, BTreeMap<String, String>>,
    secrets: HashMap<String, BTreeMap<String, String>>,
}

struct ServiceRoute {
    app: String,
    /// Service port → target port (a number or a container port's name).
    ports: Vec<(u16, Value)>,
}

/// A Deployment running the Frontline image.
pub struct Workload {
    /// The Deployment's name, which is also its `app.kubernetes.io/name`.
    pub name: String,
    pub container: Container,
    /// The HorizontalPodAutoscaler's minimum, or 1.
    pub min_replicas: usize,
    pub termination_grace_seconds: u64,
}

#[derive(Deserialize, Clone)]
#[serde(rename_all = "camelCase")]
pub struct Container {
    pub image: String,
    #[serde(default)]
    pub command: Vec<String>,
    #[serde(default)]
    pub args: Vec<String>,
    #[serde(default)]
    env: Vec<EnvVar>,
    #[serde(default)]
    env_from: Vec<EnvFrom>,
    #[serde(default)]
    ports: Vec<ContainerPort>,
    #[serde(default)]
    volume_mounts: Vec<VolumeMount>,
    pub startup_probe: Option<Probe>,
    pub readiness_probe: Option<Probe>,
    pub liveness_probe: Option<Probe>,
}

#[derive(Deserialize, Clone)]
#[serde(rename_all = "camelCase")]
struct EnvVar {
    name: String,
    value: Option<String>,
    value_from: Option<ValueFrom>,
}

#[derive(Deserialize, Clone)]
#[serde(rename_all = "camelCase")]
struct ValueFrom {
    config_map_key_ref: Option<KeyRef>,
    secret_key_ref: Option<KeyRef>,
}

#[derive(Deserialize, Clone)]
struct KeyRef {
    name: String,
    key: String,
}

#[derive(Deserialize, Clone)]
#[serde(rename_all = "camelCase")]
struct EnvFrom {
    config_map_ref: Option<NameRef>,
    secret_ref: Option<NameRef>,
}

#[derive(Deserialize, Clone)]
struct NameRef {
    name: String,
}

#[derive(Deserialize, Clone)]
#[serde(rename_all = "camelCase")]
struct ContainerPort {
    name: Option<String>,
    container_port: u16,
}

#[derive(Deserialize, Clone)]
#[serde(rename_all = "camelCase")]
struct VolumeMount {
    name: String,
    mount_path: String,
}

#[derive(Deserialize, Clone)]
pub struct Probe {
    pub grpc: Option<GrpcProbe>,
}

#[derive(Deserialize, Clone)]
pub struct GrpcProbe {
    pub port: u16,
    #[serde(default)]
    pub service: String,
}

/// Builds `k8s/overlays/<overlay>` with `kubectl kustomize`, as `make k8s-check` does.
pub fn render(overlay: &str) -> Rendered {
    let dir = repository().join("k8s/overlays").join(overlay);
    let output = Command::new("kubectl")
        .arg("kustomize")
        .arg(&dir)
        .output()
        .expect("kubectl runs (it is on every machine of this project; make k8s-check needs it too)");
    assert!(
        output.status.success(),
        "kubectl kustomize {}: {}",
        dir.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    let yaml = String::from_utf8(output.stdout).expect("UTF-8 manifests");
    let documents: Vec<Value> = serde_yaml_ng::Deserializer::from_str(&yaml)
        .map(|document| Value::deserialize(document).expect("a YAML document"))
        .filter(|document| !document.is_null())
        .collect();

    let mut rendered = Rendered {
        overlay: overlay.into(),
        workloads: Vec::new(),
        services: HashMap::new(),
        config_maps: HashMap::new(),
        secrets: HashMap::new(),
    };
    let mut min_replicas = HashMap::new();
    for document in &documents {
        let name = document["metadata"]["name"].as_str().unwrap_or_default().to_string();
        match document["kind"].as_str().unwrap_or_default() {
            "ConfigMap" => {
                rendered.config_maps.insert(name, strings(&document["data"]));
            }
            "Secret" => {
                let mut values = strings(&document["stringData"]);
                for (key, encoded) in strings(&document["data"]) {
                    // Long values are folded over several lines.
                    let encoded: String = encoded.split_whitespace().collect();
                    let decoded = base64::engine::general_purpose::STANDARD.decode(encoded).expect("base64 data");
                    values.insert(key, String::from_utf8(decoded).expect("UTF-8 secret"));
                }
                rendered.secrets.insert(name, values);
            }
            "Service" => {
                let app = document["spec"]["selector"]["app.kubernetes.io/name"].as_str().unwrap_or_default();
                let ports = document["spec"]["ports"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|port| (port["port"].as_u64().expect("a Service port") as u16, port["targetPort"].clone()))
                    .collect();
                rendered.services.insert(name, ServiceRoute { app: app.into(), ports });
            }
            "HorizontalPodAutoscaler" => {
                let target = document["spec"]["scaleTargetRef"]["name"].as_str().unwrap_or_default().to_string();
                min_replicas.insert(target, document["spec"]["minReplicas"].as_u64().unwrap_or(1) as usize);
            }
            "Deployment" | "StatefulSet" => {
                let pod = &document["spec"]["template"]["spec"];
                for container in pod["containers"].as_array().into_iter().flatten() {
                    let container: Container = serde_json::from_value(container.clone()).expect("a container");
                    if !container.image.starts_with(IMAGE) {
                        continue; // PostgreSQL in the dev overlay: the test brings its own
                    }
                    rendered.workloads.push(Workload {
                        name: name.clone(),
                        container,
                        min_replicas: 1,
                        termination_grace_seconds: pod["terminationGracePeriodSeconds"].as_u64().unwrap_or(30),
                    });
                }
            }
            _ => {}
        }
    }
    for workload in &mut rendered.workloads {
        workload.min_replicas = min_replicas.get(&workload.name).copied().unwrap_or(1);
    }
    assert!(!rendered.workloads.is_empty(), "overlay {overlay} runs no Frontline container");
    rendered
}

fn strings(map: &Value) -> BTreeMap<String, String> {
    map.as_object()
        .into_iter()
        .flatten()
        .map(|(key, value)| (key.clone(), value.as_str().expect("a string value").to_string()))
        .collect()
}

pub fn repository() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// What stands in, on this machine, for what the cluster provides.
pub struct StandIns {
    /// The PostgreSQL database every `postgres://` URL in the manifests is pointed at.
    pub database_url: Option<String>,
    /// The OTLP receiver standing in for the collector the manifests name.
    pub otlp_endpoint: String,
    /// Secrets an operator creates out of band (the production overlay leaves them out of the
    /// build): (secret, key) → value.
    pub operator_secrets: HashMap<(String, String), String>,
    /// Where mounted volumes live: one directory per replica below it.
    pub volumes: PathBuf,
}

/// Hosts outside the namespace that the manifests expect, and what stands in for each.
const COLLECTOR_HOST: &str = "otel-collector.observability";

/// One replica of a workload, as a local process.
pub struct Replica {
    pub workload: String,
    pub index: usize,
    /// The local address of each container port the container declares.
    pub ports: HashMap<u16, SocketAddr>,
    /// The local address of the container port named `grpc`.
    pub grpc: SocketAddr,
    pub launch: crate::process::Launch,
    pub startup_probe: Option<GrpcProbe>,
    pub readiness_probe: Option<GrpcProbe>,
    pub liveness_probe: Option<GrpcProbe>,
    pub termination_grace_seconds: u64,
}

/// Every replica of every workload, with loopback ports handed out before any starts (so each
/// knows where its peers will be).
pub struct Plan {
    pub replicas: Vec<Replica>,
}

impl Plan {
    /// `replicas(workload)` replicas of each workload of `rendered`.
    pub fn new(rendered: &Rendered, stand_ins: &StandIns, replicas: impl Fn(&Workload) -> usize) -> Self {
        let mut taken = std::collections::HashSet::new();
        let mut fresh_port = || loop {
            let port = crate::process::free_port();
            if taken.insert(port) {
                return port;
            }
        };
        // Ports first: a Service names its first replica's address (a headless Service's DNS
        // answers with every ready pod; one of them is enough for a client here).
        let mut ports: HashMap<(String, usize), HashMap<u16, SocketAddr>> = HashMap::new();
        for workload in &rendered.workloads {
            for index in 0..replicas(workload) {
                let local = workload
                    .container
                    .ports
                    .iter()
                    .map(|port| (port.container_port, SocketAddr::from(([127, 0, 0, 1], fresh_port()))))
                    .collect();
                ports.insert((workload.name.clone(), index), local);
            }
        }
        let mut planned = Vec::new();
        for workload in &rendered.workloads {
            for index in 0..replicas(workload) {
                let local = ports[&(workload.name.clone(), index)].clone();
                let place = Placement {
                    rendered,
                    stand_ins,
                    workload,
                    local: &local,
                    all: &ports,
                    volumes: stand_ins.volumes.join(format!("{}-{index}", workload.name)),
                };
                planned.push(place.replica(index));
            }
        }
        Self { replicas: planned }
    }
}

/// Places one replica: resolves its environment and rewrites what only makes sense in a cluster.
struct Placement<'a> {
    rendered: &'a Rendered,
    stand_ins: &'a StandIns,
    workload: &'a Workload,
    local: &'a HashMap<u16, SocketAddr>,
    all: &'a HashMap<(String, usize), HashMap<u16, SocketAddr>>,
    volumes: PathBuf,
}

impl Placement<'_> {
    fn replica(&self, index: usize) -> Replica {
        let container = &self.workload.container;
        let name = format!("{}-{index}", self.workload.name);
        assert_eq!(
            container.command.first().map(String::as_str),
            Some(BINARY),
            "{name}: the container must run {BINARY}, where the Dockerfile installs the binary"
        );
        let dockerfile = std::fs::read_to_string(repository().join("Dockerfile")).expect("the Dockerfile");
        assert!(dockerfile.contains(BINARY), "the Dockerfile no longer installs {BINARY}");
        let args = container.command[1..]
            .iter()
            .chain(&container.args)
            .map(|arg| self.rewrite(&name, "an argument", arg))
            .collect();
        let env: Vec<(String, String)> = self
            .environment(&name)
            .into_iter()
            .map(|(key, value)| {
                let value = self.rewrite(&name, &key, &value);
                (key, value)
            })
            .collect();
        let grpc = container
            .ports
            .iter()
            .find(|port| port.name.as_deref() == Some("grpc"))
            .unwrap_or_else(|| panic!("{name}: the container declares no port named grpc"));
        Replica {
            workload: self.workload.name.clone(),
            index,
            ports: self.local.clone(),
            grpc: self.local[&grpc.container_port],
            launch: crate::process::Launch { name, args, env },
            startup_probe: container.startup_probe.as_ref().and_then(|probe| probe.grpc.clone()),
            readiness_probe: container.readiness_probe.as_ref().and_then(|probe| probe.grpc.clone()),
            liveness_probe: container.liveness_probe.as_ref().and_then(|probe| probe.grpc.clone()),
            termination_grace_seconds: self.workload.termination_grace_seconds,
        }
    }

    /// The container's environment as the kubelet builds it: `envFrom` first, then `env`.
    fn environment(&self, name: &str) -> Vec<(String, String)> {
        let container = &self.workload.container;
        let mut env: BTreeMap<String, String> = BTreeMap::new();
        for source in &container.env_from {
            if let Some(config_map) = &source.config_map_ref {
                env.extend(self.config_map(name, &config_map.name).clone());
            }
            if let Some(secret) = &source.secret_ref {
                let keys: Vec<String> = self.secret_keys(&secret.name);
                for key in keys {
                    env.insert(key.clone(), self.secret(name, &secret.name, &key));
                }
            }
        }
        for variable in &container.env {
            let value = match (&variable.value, &variable.value_from) {
                (Some(value), _) => value.clone(),
                (None, Some(ValueFrom { config_map_key_ref: Some(key), .. })) => {
                    self.config_map(name, &key.name).get(&key.key).cloned().unwrap_or_else(|| {
                        panic!("{name}: {} names key {} that ConfigMap {} lacks", variable.name, key.key, key.name)
                    })
                }
                (None, Some(ValueFrom { secret_key_ref: Some(key), .. })) => self.secret(name, &key.name, &key.key),
                _ => String::new(),
            };
            env.insert(variable.name.clone(), value);
        }
        env.into_iter().collect()
    }

    fn config_map(&self, name: &str, config_map: &str) -> &BTreeMap<String, String> {
        self.rendered
            .config_maps
            .get(config_map)
            .unwrap_or_else(|| panic!("{name}: ConfigMap {config_map} is not in overlay {}", self.rendered.overlay))
    }

    fn secret_keys(&self, secret: &str) -> Vec<String> {
        let mut keys: Vec<String> =
            self.rendered.secrets.get(secret).into_iter().flatten().map(|(k, _)| k.clone()).collect();
        keys.extend(self.stand_ins.operator_secrets.keys().filter(|(s, _)| s == secret).map(|(_, k)| k.clone()));
        keys
    }

    /// A Secret's key from the overlay, or from those the operator creates by hand.
    fn secret(&self, name: &str, secret: &str, key: &str) -> String {
        if let Some(value) = self.rendered.secrets.get(secret).and_then(|values| values.get(key)) {
            return value.clone();
        }
        self.stand_ins.operator_secrets.get(&(secret.to_string(), key.to_string())).cloned().unwrap_or_else(|| {
            panic!(
                "{name}: Secret {secret} key {key} is neither in overlay {} nor among those an operator creates (k8s/README.md)",
                self.rendered.overlay
            )
        })
    }

    /// What a value means off the cluster. Addresses of Services in the overlay become their
    /// replicas' loopback ports, a listening address its own port, PostgreSQL the test's
    /// database, the collector the test's receiver, a mounted path a temporary directory;
    /// anything else that looks like an address is a mistake in the manifest.
    fn rewrite(&self, name: &str, key: &str, value: &str) -> String {
        if value.starts_with("postgres://") || value.starts_with("postgresql://") {
            return self
                .stand_ins
                .database_url
                .clone()
                .unwrap_or_else(|| panic!("{name}: {key} is a PostgreSQL URL, and this run has no test database"));
        }
        if let Some(port) = value.strip_prefix("0.0.0.0:").or_else(|| value.strip_prefix("[::]:")) {
            let port: u16 = port.parse().unwrap_or_else(|_| panic!("{name}: {key} = {value} is not an address"));
            let local = self
                .local
                .get(&port)
                .unwrap_or_else(|| panic!("{name}: {key} = {value} listens on a port the container does not declare"));
            return local.to_string();
        }
        if let Some(rest) = value.strip_prefix("http://") {
            let (authority, path) = rest.split_once('/').map_or((rest, ""), |(a, p)| (a, p));
            let (host, port) = authority
                .rsplit_once(':')
                .map(|(host, port)| (host, port.parse::<u16>().expect("a port number")))
                .unwrap_or((authority, 80));
            let suffix = if path.is_empty() { String::new() } else { format!("/{path}") };
            if host == COLLECTOR_HOST {
                return format!("{}{suffix}", self.stand_ins.otlp_endpoint);
            }
            let service = host.split('.').next().unwrap_or(host);
            let route = self.rendered.services.get(service).unwrap_or_else(|| {
                panic!(
                    "{name}: {key} = {value} names host {host}, which is no Service of overlay {}",
                    self.rendered.overlay
                )
            });
            let address = self.service_address(name, service, route, port);
            return format!("http://{address}{suffix}");
        }
        if let Some(mount) = self
            .workload
            .container
            .volume_mounts
            .iter()
            .find(|mount| value == mount.mount_path || value.starts_with(&format!("{}/", mount.mount_path)))
        {
            let local = self.volumes.join(&mount.name);
            std::fs::create_dir_all(&local).expect("a volume directory");
            return format!("{}{}", local.display(), &value[mount.mount_path.len()..]);
        }
        assert!(!value.contains("://"), "{name}: {key} = {value} is an address the test cannot place");
        value.to_string()
    }

    /// The loopback address behind `service:port`: its target port on the first replica of
    /// the workload it selects.
    fn service_address(&self, name: &str, service: &str, route: &ServiceRoute, port: u16) -> SocketAddr {
        let (_, target) = route
            .ports
            .iter()
            .find(|(service_port, _)| *service_port == port)
            .unwrap_or_else(|| panic!("{name}: Service {service} has no port {port}"));
        let workload =
            self.rendered.workloads.iter().find(|workload| workload.name == route.app).unwrap_or_else(|| {
                panic!("{name}: Service {service} selects {}, which runs no Frontline container", route.app)
            });
        let container_port = match target {
            Value::Number(number) => number.as_u64().expect("a port") as u16,
            Value::String(port_name) => {
                workload
                    .container
                    .ports
                    .iter()
                    .find(|declared| declared.name.as_deref() == Some(port_name))
                    .unwrap_or_else(|| {
                        panic!("Service {service} targets port {port_name}, which {} does not declare", route.app)
                    })
                    .container_port
            }
            _ => port,
        };
        self.all.get(&(workload.name.clone(), 0)).and_then(|ports| ports.get(&container_port).copied()).unwrap_or_else(
            || panic!("{name}: Service {service} targets {container_port}, which no replica listens on"),
        )
    }
}
