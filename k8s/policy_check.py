#!/usr/bin/env python3
"""Checks Frontline's deployment policy on the output of `kubectl kustomize OVERLAY`.

Reads the built manifests (one multi-document YAML stream) on stdin, prints one line per problem
and exits 1 if there is any. The schema itself is checked by kubernetes-validate; this checks what
a schema cannot: every container non-root with a read-only root filesystem and no capabilities,
the gRPC probes on the right health names, a grace period longer than the drain, an HPA and a PDB
per service, default-deny NetworkPolicies and no allow-all rule. Run by scripts/k8s-check.sh.
"""

import re
import sys

import yaml

IMAGE = "ghcr.io/frontline-support/frontline"
BINARY = "/usr/local/bin/frontline"
GRPC_PORT = 50051
DATA_DIR = "/var/lib/frontline"
HEALTH_NAMES = {
    "ticketing": "frontline.ticketing.v1.TicketingService",
    "knowledge": "frontline.knowledge.v1.KnowledgeService",
    "workforce": "frontline.workforce.v1.WorkforceService",
    "analytics": "frontline.analytics.v1.AnalyticsService",
}
# The only ports Frontline's pods may reach: DNS, PostgreSQL, OTLP/gRPC and the sibling services.
ALLOWED_EGRESS_PORTS = {53, 5432, 4317, GRPC_PORT}
# A startupProbe must give migrations at least this long before liveness takes over.
MIN_STARTUP_SECONDS = 120
WORKLOAD_KINDS = {"Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob", "ReplicaSet", "Pod"}


def pod_spec(resource):
    kind, spec = resource["kind"], resource.get("spec", {})
    if kind == "Pod":
        return spec
    if kind == "CronJob":
        return spec.get("jobTemplate", {}).get("spec", {}).get("template", {}).get("spec", {})
    return spec.get("template", {}).get("spec", {})


def pod_labels(resource):
    if resource["kind"] == "Pod":
        return resource.get("metadata", {}).get("labels", {}) or {}
    template = resource.get("spec", {}).get("template", {})
    return template.get("metadata", {}).get("labels", {}) or {}


def selector_matches(selector, labels):
    """A LabelSelector (matchLabels and matchExpressions) against a label map."""
    if selector is None:
        return False
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(key) != value:
            return False
    for expression in selector.get("matchExpressions") or []:
        key, operator, values = expression["key"], expression["operator"], expression.get("values", [])
        if operator == "In" and labels.get(key) not in values:
            return False
        if operator == "NotIn" and labels.get(key) in values:
            return False
        if operator == "Exists" and key not in labels:
            return False
        if operator == "DoesNotExist" and key in labels:
            return False
    return True


def seconds(duration):
    """A humantime duration such as "5s", "1m 30s" or "250ms", in seconds."""
    units = {"ms": 0.001, "s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600}
    parts = re.findall(r"(\d+)\s*([a-z]+)", duration)
    if not parts or re.sub(r"[\d\sa-z]", "", duration):
        raise ValueError(f"not a duration: {duration!r}")
    return sum(int(number) * units[unit] for number, unit in parts)


def flag(args, name):
    if name in args:
        index = args.index(name)
        return args[index + 1] if index + 1 < len(args) else None
    for arg in args:
        if arg.startswith(name + "="):
            return arg.split("=", 1)[1]
    return None


class Check:
    def __init__(self, resources):
        self.resources = resources
        self.problems = []

    def fail(self, where, message):
        self.problems.append(f"{where}: {message}")

    def of_kind(self, kind):
        return [r for r in self.resources if r.get("kind") == kind]

    def named(self, kind, name):
        for resource in self.of_kind(kind):
            if resource["metadata"]["name"] == name:
                return resource
        return None

    # --- every workload ----------------------------------------------------------------------

    def workloads(self):
        for resource in self.resources:
            if resource.get("kind") in WORKLOAD_KINDS:
                yield resource

    def check_pod_security(self, workload):
        where = f"{workload['kind']}/{workload['metadata']['name']}"
        spec = pod_spec(workload)
        pod_context = spec.get("securityContext") or {}

        account = spec.get("serviceAccountName")
        if not account or account == "default":
            self.fail(where, "needs a ServiceAccount of its own, not the namespace default")
        else:
            service_account = self.named("ServiceAccount", account)
            if service_account is None:
                self.fail(where, f"ServiceAccount {account} is not in the build")
            elif service_account.get("automountServiceAccountToken") is not False:
                self.fail(f"ServiceAccount/{account}", "automountServiceAccountToken must be false")
        if spec.get("automountServiceAccountToken") is not False:
            self.fail(where, "automountServiceAccountToken must be false on the pod")

        pod_seccomp = (pod_context.get("seccompProfile") or {}).get("type")
        if pod_context.get("runAsUser") == 0:
            self.fail(where, "runs as uid 0")

        containers = [("container", c) for c in spec.get("containers") or []]
        containers += [("initContainer", c) for c in spec.get("initContainers") or []]
        if not spec.get("containers"):
            self.fail(where, "has no containers")
        for role, container in containers:
            name = f"{where} {role} {container['name']}"
            context = container.get("securityContext") or {}
            non_root = context.get("runAsNonRoot", pod_context.get("runAsNonRoot"))
            if non_root is not True:
                self.fail(name, "runAsNonRoot must be true")
            if context.get("runAsUser") == 0:
                self.fail(name, "runs as uid 0")
            if context.get("privileged"):
                self.fail(name, "is privileged")
            if context.get("allowPrivilegeEscalation") is not False:
                self.fail(name, "allowPrivilegeEscalation must be false")
            if context.get("readOnlyRootFilesystem") is not True:
                self.fail(name, "readOnlyRootFilesystem must be true")
            if "ALL" not in ((context.get("capabilities") or {}).get("drop") or []):
                self.fail(name, "must drop ALL capabilities")
            if (context.get("capabilities") or {}).get("add"):
                self.fail(name, "must not add capabilities")
            seccomp = (context.get("seccompProfile") or {}).get("type", pod_seccomp)
            if seccomp != "RuntimeDefault":
                self.fail(name, "seccompProfile must be RuntimeDefault")
            resources = container.get("resources") or {}
            for section in ("requests", "limits"):
                for quantity in ("cpu", "memory"):
                    if quantity not in (resources.get(section) or {}):
                        self.fail(name, f"needs resources.{section}.{quantity}")
            if role == "container":
                for probe in ("livenessProbe", "readinessProbe"):
                    if probe not in container:
                        self.fail(name, f"has no {probe}")

    # --- Frontline's own pods ----------------------------------------------------------------

    def frontline_containers(self, workload):
        for container in pod_spec(workload).get("containers") or []:
            if container.get("image", "").split("@")[0].rsplit(":", 1)[0] == IMAGE:
                yield container

    def config_env(self, container):
        """The environment a container gets from its ConfigMaps and literal values."""
        env = {}
        for source in container.get("envFrom") or []:
            reference = source.get("configMapRef")
            if reference:
                config_map = self.named("ConfigMap", reference["name"])
                if config_map is None:
                    self.fail(f"container {container['name']}", f"ConfigMap {reference['name']} is not in the build")
                else:
                    env.update(config_map.get("data") or {})
        for variable in container.get("env") or []:
            if "value" in variable:
                env[variable["name"]] = variable["value"]
        return env

    def check_frontline(self, workload, container):
        where = f"{workload['kind']}/{workload['metadata']['name']}"
        spec = pod_spec(workload)
        command = (container.get("command") or []) + (container.get("args") or [])
        if command[:2] != [BINARY, "serve"]:
            self.fail(where, f"must run `{BINARY} serve …`, runs {command}")
        if flag(command, "--addr") != f"0.0.0.0:{GRPC_PORT}":
            self.fail(where, f"--addr must be 0.0.0.0:{GRPC_PORT}")
        if flag(command, "--data-dir") != DATA_DIR:
            self.fail(where, f"--data-dir must be {DATA_DIR}")
        service = flag(command, "--service")
        if service is not None and service not in HEALTH_NAMES:
            self.fail(where, f"unknown service {service!r}")

        ports = {(p.get("name"), p.get("containerPort")) for p in container.get("ports") or []}
        if ("grpc", GRPC_PORT) not in ports:
            self.fail(where, f"needs a container port named grpc on {GRPC_PORT}")

        # Probes: startup and liveness on the overall status (""), readiness on a service's own.
        for probe_name in ("startupProbe", "livenessProbe", "readinessProbe"):
            probe = container.get(probe_name)
            if not probe or "grpc" not in probe:
                self.fail(where, f"{probe_name} must be a native gRPC probe")
                continue
            if probe["grpc"].get("port") != GRPC_PORT:
                self.fail(where, f"{probe_name} must probe port {GRPC_PORT}")
            health_name = probe["grpc"].get("service", "")
            if probe_name == "readinessProbe":
                expected = {HEALTH_NAMES[service]} if service in HEALTH_NAMES else set(HEALTH_NAMES.values())
                if health_name not in expected:
                    self.fail(where, f"readinessProbe must check {' or '.join(sorted(expected))}, not {health_name!r}")
            elif health_name:
                self.fail(where, f"{probe_name} must check the overall status (service \"\"), not {health_name!r}")
        startup = container.get("startupProbe") or {}
        budget = startup.get("periodSeconds", 10) * startup.get("failureThreshold", 3)
        if budget < MIN_STARTUP_SECONDS:
            self.fail(where, f"startupProbe allows {budget}s; migrations need at least {MIN_STARTUP_SECONDS}s")

        # The grace period must outlast the drain delay plus the drain itself.
        env = self.config_env(container)
        try:
            drain = seconds(env["FRONTLINE__SERVER__SHUTDOWN_DRAIN_DELAY"]) + seconds(
                env["FRONTLINE__SERVER__SHUTDOWN_TIMEOUT"]
            )
        except (KeyError, ValueError) as error:
            self.fail(where, f"shutdown settings missing or invalid: {error}")
        else:
            grace = spec.get("terminationGracePeriodSeconds", 30)
            if grace <= drain:
                self.fail(where, f"terminationGracePeriodSeconds {grace} must exceed the drain ({drain:g}s)")

        # Each peer address must name a Service of this build on the gRPC port.
        for key, value in env.items():
            if key.startswith("FRONTLINE__PEERS__"):
                match = re.fullmatch(r"http://([a-z0-9-]+)(?:\.[a-z0-9.-]+)?:(\d+)", value)
                if not match or int(match.group(2)) != GRPC_PORT or not self.named("Service", match.group(1)):
                    self.fail(where, f"{key}={value} does not name a Service of this build on {GRPC_PORT}")

        # Writable paths: /tmp and the data dir, nothing else needed on a read-only root.
        volumes = {v["name"]: v for v in spec.get("volumes") or []}
        mounts = {m["mountPath"]: m for m in container.get("volumeMounts") or []}
        tmp = mounts.get("/tmp")
        if not tmp or "emptyDir" not in volumes.get(tmp["name"], {}):
            self.fail(where, "needs an emptyDir at /tmp")
        data = mounts.get(DATA_DIR)
        if not data or data.get("readOnly"):
            self.fail(where, f"needs a writable volume at {DATA_DIR}")
        elif service is None and "persistentVolumeClaim" not in volumes.get(data["name"], {}):
            self.fail(where, f"all-in-one keeps SQLite under {DATA_DIR}: it must be a PersistentVolumeClaim")
        return service

    def selects(self, selector, workload):
        return selector_matches(selector, pod_labels(workload))

    def check_per_service(self, workload):
        where = f"{workload['kind']}/{workload['metadata']['name']}"
        name = workload["metadata"]["name"]
        spec = pod_spec(workload)
        if not spec.get("topologySpreadConstraints"):
            self.fail(where, "needs topologySpreadConstraints")
        autoscalers = [
            h for h in self.of_kind("HorizontalPodAutoscaler")
            if h["spec"]["scaleTargetRef"].get("kind") == "Deployment" and h["spec"]["scaleTargetRef"].get("name") == name
        ]
        if len(autoscalers) != 1:
            self.fail(where, f"needs exactly one HorizontalPodAutoscaler, has {len(autoscalers)}")
        elif not autoscalers[0]["apiVersion"].startswith("autoscaling/v2"):
            self.fail(where, "its HorizontalPodAutoscaler must be autoscaling/v2")
        elif "replicas" in workload["spec"]:
            self.fail(where, "sets replicas although an HPA owns the count")
        budgets = [p for p in self.of_kind("PodDisruptionBudget") if self.selects(p["spec"].get("selector"), workload)]
        if len(budgets) != 1:
            self.fail(where, f"needs exactly one PodDisruptionBudget, has {len(budgets)}")
        services = [
            s for s in self.of_kind("Service")
            if s["spec"].get("selector") and selector_matches({"matchLabels": s["spec"]["selector"]}, pod_labels(workload))
        ]
        if not services:
            self.fail(where, "no Service selects it")
        for service in services:
            ports = {(p.get("name"), p.get("port")) for p in service["spec"].get("ports", [])}
            if ("grpc", GRPC_PORT) not in ports:
                self.fail(f"Service/{service['metadata']['name']}", f"needs a port named grpc on {GRPC_PORT}")

    def check_all_in_one(self, workload):
        where = f"{workload['kind']}/{workload['metadata']['name']}"
        if workload["kind"] != "Deployment":
            self.fail(where, "all-in-one must be a Deployment")
            return
        if workload["spec"].get("replicas") != 1:
            self.fail(where, "all-in-one must run exactly one replica")
        if (workload["spec"].get("strategy") or {}).get("type") != "Recreate":
            self.fail(where, "all-in-one must use the Recreate strategy (one SQLite writer, RWO volume)")
        name = workload["metadata"]["name"]
        for autoscaler in self.of_kind("HorizontalPodAutoscaler"):
            if autoscaler["spec"]["scaleTargetRef"].get("name") == name:
                self.fail(where, "all-in-one cannot scale out; remove its HPA")

    # --- network policy ----------------------------------------------------------------------

    @staticmethod
    def unrestricted_peers(peers):
        if not peers:
            return True
        for peer in peers:
            if peer == {}:
                return True
            if peer.get("namespaceSelector") == {} and peer.get("podSelector") in (None, {}):
                return True
            block = peer.get("ipBlock")
            if block and block.get("cidr") in ("0.0.0.0/0", "::/0") and not block.get("except"):
                return True
        return False

    def check_network_policies(self):
        policies = self.of_kind("NetworkPolicy")
        default_deny = [
            p for p in policies
            if p["spec"].get("podSelector") in ({}, None)
            and {"Ingress", "Egress"} <= set(p["spec"].get("policyTypes") or [])
            and not p["spec"].get("ingress") and not p["spec"].get("egress")
        ]
        if not default_deny:
            self.fail("NetworkPolicy", "needs a default-deny policy (podSelector {}, Ingress and Egress, no rules)")
        for policy in policies:
            where = f"NetworkPolicy/{policy['metadata']['name']}"
            for direction, peers_key in (("ingress", "from"), ("egress", "to")):
                for rule in policy["spec"].get(direction) or []:
                    if self.unrestricted_peers(rule.get(peers_key)) and not rule.get("ports"):
                        self.fail(where, f"has an allow-all {direction} rule")
        for workload in self.workloads():
            where = f"{workload['kind']}/{workload['metadata']['name']}"
            selecting = [p for p in policies if self.selects(p["spec"].get("podSelector"), workload)]
            own = [p for p in selecting if p["spec"].get("podSelector")]
            for direction in ("Ingress", "Egress"):
                if not any(direction in (p["spec"].get("policyTypes") or []) for p in selecting):
                    self.fail(where, f"no NetworkPolicy restricts its {direction.lower()}")
            if not own:
                self.fail(where, "has no NetworkPolicy of its own (only the default deny)")
            if any(self.frontline_containers(workload)):
                for policy in own:
                    for rule in policy["spec"].get("egress") or []:
                        ports = {p.get("port") for p in rule.get("ports") or []}
                        if not ports:
                            self.fail(f"NetworkPolicy/{policy['metadata']['name']}", "egress rule without ports")
                        elif not ports <= ALLOWED_EGRESS_PORTS:
                            self.fail(
                                f"NetworkPolicy/{policy['metadata']['name']}",
                                f"egress to ports {sorted(ports - ALLOWED_EGRESS_PORTS)} beyond DNS, PostgreSQL, OTLP and peers",
                            )

    # --- the whole build ---------------------------------------------------------------------

    def run(self):
        shapes = {}
        for workload in self.workloads():
            self.check_pod_security(workload)
            for container in self.frontline_containers(workload):
                service = self.check_frontline(workload, container)
                shapes.setdefault("per-service" if service else "all-in-one", []).append((workload, service))
        if not shapes:
            self.fail("build", f"no workload runs {IMAGE}")
        if len(shapes) > 1:
            self.fail("build", "mixes the per-service and the all-in-one shape")
        for workload, service in shapes.get("per-service", []):
            self.check_per_service(workload)
        if "per-service" in shapes:
            running = sorted(service for _, service in shapes["per-service"])
            if running != sorted(HEALTH_NAMES):
                self.fail("build", f"per-service shape must run each service once, runs {running}")
        if "all-in-one" in shapes:
            if len(shapes["all-in-one"]) != 1:
                self.fail("build", "all-in-one must be a single workload")
            for workload, _ in shapes["all-in-one"]:
                self.check_all_in_one(workload)
        self.check_network_policies()
        return self.problems


def main():
    resources = [r for r in yaml.safe_load_all(sys.stdin) if r]
    problems = Check(resources).run()
    for problem in problems:
        print(problem)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
