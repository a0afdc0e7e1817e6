#!/usr/bin/env python3
"""Offline checks for deploy/: what can be verified without a Docker engine or a cluster.

Every YAML file under deploy/ must parse (PyYAML) and have the structure its kind needs;
JSON files must parse; the Dockerfile must have its builder and runtime stages. On top of
shape, it checks the promises the files make to each other (selectors match pod labels,
the grace period outlasts the worker's drain, every key file the config names exists in
the Secret, the admin token of /requests comes from a read-only mounted file, every worker
has its own stable Kafka group.instance.id and a session timeout that outlasts its restart),
and the Grafana dashboard queries only metric names that the Swift sources export, so a
renamed metric breaks the check. When promtool or kubectl is on PATH it also runs `promtool check rules`,
`promtool test rules` and `kubectl kustomize`; without them those checks are skipped, not
failed.

Usage: python3 deploy/validate.py      (exit 0 when every check passes)
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any, Callable

import yaml

DEPLOY = Path(__file__).resolve().parent
K8S = DEPLOY / "k8s"
COMPOSE = DEPLOY / "compose.yaml"
DOCKERFILE = DEPLOY / "Dockerfile"
ALERTS = DEPLOY / "prometheus" / "alerts.yaml"
ALERT_TESTS = DEPLOY / "prometheus" / "alerts.test.yaml"
DASHBOARD = DEPLOY / "grafana" / "coupon-worker.json"
SOURCES = DEPLOY.parent / "Sources"

CONFIG_KEYS = {"kafka", "topics", "http", "worker", "log"}
WORKER_KNOBS = {
    "max_in_flight", "max_attempts", "retry_budget_seconds", "lease_seconds",
    "provider_timeout_seconds", "shutdown_grace_seconds",
}
TOPIC_KEYS = {"issue", "query", "results", "dlq"}
# The worker's defaults (Sources/CouponWorkerRuntime/WorkerRuntime.swift).
DEFAULT_REVOKE_GRACE_SECONDS = 10
DEFAULT_PROVIDER_TIMEOUT_SECONDS = 10
SESSION_TIMEOUT_RANGE_MS = range(6_000, 300_001)
# README: the orchestrator's termination grace must cover revoke_grace_seconds + the worst
# case of one provider attempt + this much (store deadline and publish).
GRACE_MARGIN_SECONDS = 20


class CheckFailed(Exception):
    """One check's verdict, with what an operator needs to fix it."""


def require(condition: bool, message: str) -> None:
    if not condition:
        raise CheckFailed(message)


def load_yaml_documents(path: Path) -> list[Any]:
    with path.open(encoding="utf-8") as handle:
        return [doc for doc in yaml.safe_load_all(handle) if doc is not None]


def rel(path: Path) -> str:
    return str(path.relative_to(DEPLOY.parent))


# --- shapes -------------------------------------------------------------------------------

def check_k8s_object(obj: Any, where: str) -> None:
    require(isinstance(obj, dict), f"{where}: a Kubernetes object must be a mapping")
    for field in ("apiVersion", "kind"):
        require(isinstance(obj.get(field), str) and obj[field], f"{where}: missing {field}")
    metadata = obj.get("metadata")
    require(isinstance(metadata, dict) and isinstance(metadata.get("name"), str)
            and metadata["name"], f"{where}: missing metadata.name")
    require("namespace" not in metadata,
            f"{where}: {obj['kind']}/{metadata['name']} pins a namespace; manifests are namespace-agnostic")


def check_compose_shape(doc: Any, where: str) -> None:
    require(isinstance(doc, dict), f"{where}: compose file must be a mapping")
    services = doc.get("services")
    require(isinstance(services, dict) and services, f"{where}: no services")
    for name, service in services.items():
        require(isinstance(service, dict), f"{where}: service {name} is not a mapping")
        require("image" in service or "build" in service, f"{where}: service {name} has no image or build")
        for dependency in (service.get("depends_on") or {}):
            require(dependency in services, f"{where}: {name} depends on unknown service {dependency}")


def check_rules_shape(doc: Any, where: str) -> None:
    require(isinstance(doc, dict) and isinstance(doc.get("groups"), list) and doc["groups"],
            f"{where}: no groups")
    for group in doc["groups"]:
        require(isinstance(group, dict) and group.get("name"), f"{where}: a group has no name")
        rules = group.get("rules")
        require(isinstance(rules, list) and rules, f"{where}: group {group.get('name')} has no rules")
        for index, rule in enumerate(rules):
            label = f"{where}: group {group['name']} rule {index}"
            require(isinstance(rule, dict), f"{label} is not a mapping")
            require(isinstance(rule.get("alert"), str) and rule["alert"], f"{label} has no alert name")
            require(isinstance(rule.get("expr"), str) and rule["expr"].strip(), f"{label} ({rule.get('alert')}) has no expr")
            require((rule.get("labels") or {}).get("severity") in {"warning", "critical"},
                    f"{label} ({rule['alert']}) needs labels.severity warning|critical")
            require(isinstance(rule.get("annotations"), dict) and rule["annotations"].get("summary"),
                    f"{label} ({rule['alert']}) needs annotations.summary")


def check_rule_tests_shape(doc: Any, where: str) -> None:
    require(isinstance(doc, dict) and doc.get("rule_files") and isinstance(doc.get("tests"), list),
            f"{where}: a promtool test file needs rule_files and tests")
    for rule_file in doc["rule_files"]:
        require((ALERT_TESTS.parent / rule_file).is_file(), f"{where}: rule file {rule_file} does not exist")


def check_every_yaml_file() -> list[str]:
    """Parses every YAML file and checks it by where it lives; returns what was checked."""
    checked = []
    for path in sorted(DEPLOY.rglob("*.y*ml")):
        where = rel(path)
        try:
            documents = load_yaml_documents(path)
        except yaml.YAMLError as error:
            raise CheckFailed(f"{where}: does not parse: {error}") from error
        require(documents, f"{where}: is empty")
        if path.parent == K8S and path.name == "kustomization.yaml":
            resources = documents[0].get("resources") or []
            for resource in resources:
                require((K8S / resource).is_file(), f"{where}: resource {resource} does not exist")
        elif path.is_relative_to(K8S):
            for index, obj in enumerate(documents):
                check_k8s_object(obj, f"{where}[{index}]")
        elif path == COMPOSE:
            check_compose_shape(documents[0], where)
        elif path == ALERT_TESTS:
            check_rule_tests_shape(documents[0], where)
        elif path.parent.name == "prometheus":
            check_rules_shape(documents[0], where)
        checked.append(where)
    require(checked, "no YAML files found under deploy/")
    return checked


def check_every_json_file() -> list[str]:
    checked = []
    for path in sorted(DEPLOY.rglob("*.json")):
        try:
            json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as error:
            raise CheckFailed(f"{rel(path)}: does not parse: {error}") from error
        checked.append(rel(path))
    return checked


# --- the Dockerfile -----------------------------------------------------------------------

def check_dockerfile() -> None:
    instructions = []
    for line in re.sub(r"\\\n", " ", DOCKERFILE.read_text(encoding="utf-8")).splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, rest = line.partition(" ")
            instructions.append((keyword.upper(), rest.strip()))
    stages = [rest for keyword, rest in instructions if keyword == "FROM"]
    require(len(stages) == 2, f"Dockerfile: expected 2 stages, found {len(stages)}")
    require(re.fullmatch(r"swift:6\.3-bookworm\s+AS\s+builder", stages[0], re.I) is not None,
            f"Dockerfile: first stage must be `swift:6.3-bookworm AS builder`, is `{stages[0]}`")
    require(stages[1].split()[0] == "debian:bookworm-slim",
            f"Dockerfile: runtime stage must be debian:bookworm-slim, is `{stages[1]}`")
    text = " ".join(f"{k} {r}" for k, r in instructions)
    runtime = text[text.rfind("FROM "):]
    require("librdkafka-dev" in text and "libsqlite3-dev" in text and "pkg-config" in text,
            "Dockerfile: builder lacks librdkafka-dev/libsqlite3-dev/pkg-config")
    require("--static-swift-stdlib" in text, "Dockerfile: build is not --static-swift-stdlib")
    require("librdkafka1" in runtime and "libsqlite3-0" in runtime and "ca-certificates" in runtime,
            "Dockerfile: runtime lacks librdkafka1/libsqlite3-0/ca-certificates")
    require("COPY --from=builder" in runtime, "Dockerfile: runtime does not copy from the builder")
    users = [rest for keyword, rest in instructions if keyword == "USER"]
    require(users and users[-1].split(":")[0] not in {"0", "root"}, "Dockerfile: runtime does not run as non-root")
    require(("EXPOSE", "8080") in instructions, "Dockerfile: no EXPOSE 8080")
    require(all(keyword != "HEALTHCHECK" for keyword, _ in instructions), "Dockerfile: must not have a HEALTHCHECK")
    require(("ENTRYPOINT", '["coupon-worker"]') in instructions, 'Dockerfile: ENTRYPOINT must be ["coupon-worker"]')
    require(("CMD", '["run", "--config", "/etc/coupon-worker/config.json"]') in instructions,
            'Dockerfile: CMD must be ["run", "--config", "/etc/coupon-worker/config.json"]')


# --- cross-file promises ------------------------------------------------------------------

def k8s_objects() -> dict[str, Any]:
    objects: dict[str, Any] = {}
    for path in sorted(K8S.glob("*.yaml")):
        if path.name == "kustomization.yaml":
            continue
        for obj in load_yaml_documents(path):
            objects[obj["kind"]] = obj
    return objects


def check_worker_config(config: Any, where: str) -> None:
    require(isinstance(config, dict), f"{where}: config.json must be an object")
    missing = CONFIG_KEYS - config.keys()
    require(not missing, f"{where}: config.json lacks {sorted(missing)}")
    require(set(config["topics"]) == TOPIC_KEYS, f"{where}: topics must be {sorted(TOPIC_KEYS)}")
    require(WORKER_KNOBS <= set(config["worker"]), f"{where}: worker lacks {sorted(WORKER_KNOBS - set(config['worker']))}")
    require(isinstance(config["kafka"].get("brokers"), str), f"{where}: kafka.brokers missing")


def worst_case_attempt_seconds(config: dict[str, Any]) -> float:
    """The worst case of one provider attempt, as the worker computes it: WeChat a certificate
    download plus each host signed twice (3 x timeout, 5 x with a backup host); zvcms 1 x."""
    timeout = config["worker"].get("provider_timeout_seconds", DEFAULT_PROVIDER_TIMEOUT_SECONDS)
    merchants = (config.get("wechat") or {}).get("merchants") or []
    accounts = (config.get("zvcms") or {}).get("accounts") or []
    cases = [timeout * (1 + 2 * (2 if m.get("backup_base_url") else 1)) for m in merchants]
    cases += [timeout for _ in accounts]
    return max(cases, default=0)


def required_grace_seconds(config: dict[str, Any]) -> float:
    revoke = config["worker"].get("revoke_grace_seconds", DEFAULT_REVOKE_GRACE_SECONDS)
    return revoke + worst_case_attempt_seconds(config) + GRACE_MARGIN_SECONDS


def session_timeout_ms(value: Any, where: str) -> int:
    require(isinstance(value, str) and value.isdigit(), f"{where}: COUPON_KAFKA_SESSION_TIMEOUT_MS must be a quoted integer, is {value!r}")
    timeout = int(value)
    require(timeout in SESSION_TIMEOUT_RANGE_MS, f"{where}: COUPON_KAFKA_SESSION_TIMEOUT_MS {timeout} is outside 6000..300000")
    return timeout


def check_kubernetes_promises() -> None:
    objects = k8s_objects()
    require("Deployment" not in objects,
            "k8s/: a Deployment gives pods random names; the worker needs a StatefulSet (stable group.instance.id)")
    for kind in ("StatefulSet", "ConfigMap", "Secret", "PodDisruptionBudget", "Service", "ScaledObject"):
        require(kind in objects, f"k8s/: no {kind}")
    workload, configmap, secret = objects["StatefulSet"], objects["ConfigMap"], objects["Secret"]
    spec = workload["spec"]
    pod = spec["template"]["spec"]
    pod_labels = spec["template"]["metadata"]["labels"]

    def selects_pods(selector: dict[str, str], what: str) -> None:
        require(selector and all(pod_labels.get(k) == v for k, v in selector.items()),
                f"k8s/: {what} selector {selector} does not match the pod labels {pod_labels}")

    selects_pods(spec["selector"]["matchLabels"], "StatefulSet")
    selects_pods(objects["Service"]["spec"]["selector"], "Service")
    require(spec.get("serviceName") == objects["Service"]["metadata"]["name"],
            f"k8s/: StatefulSet serviceName {spec.get('serviceName')!r} must name the Service "
            f"{objects['Service']['metadata']['name']!r} (which selects its pods)")
    require(spec.get("podManagementPolicy") == "Parallel", "k8s/: StatefulSet podManagementPolicy must be Parallel")
    require((spec.get("updateStrategy") or {}).get("type") == "RollingUpdate",
            "k8s/: StatefulSet updateStrategy must be RollingUpdate")
    selects_pods(objects["PodDisruptionBudget"]["spec"]["selector"]["matchLabels"], "PodDisruptionBudget")
    require(objects["PodDisruptionBudget"]["spec"].get("minAvailable") == 1, "k8s/: PDB minAvailable must be 1")
    require(spec.get("replicas") == 2, "k8s/: StatefulSet replicas must be 2")
    target = objects["ScaledObject"]["spec"]["scaleTargetRef"]
    require(target.get("kind") == "StatefulSet" and target.get("apiVersion", "apps/v1") == "apps/v1"
            and target.get("name") == workload["metadata"]["name"],
            f"k8s/: ScaledObject scaleTargetRef {target} does not target the StatefulSet")
    require(any(t.get("type") == "kafka" for t in objects["ScaledObject"]["spec"]["triggers"]),
            "k8s/: ScaledObject has no kafka trigger")

    config = json.loads(configmap["data"]["config.json"])
    check_worker_config(config, "k8s/configmap.yaml")
    grace = pod["terminationGracePeriodSeconds"]
    drain = config["worker"]["shutdown_grace_seconds"]
    require(grace > drain, f"k8s/: terminationGracePeriodSeconds {grace} must exceed shutdown_grace_seconds {drain}")
    needed = required_grace_seconds(config)
    require(grace >= needed,
            f"k8s/: terminationGracePeriodSeconds {grace} must cover revoke_grace_seconds + the worst provider "
            f"attempt ({worst_case_attempt_seconds(config):g} s) + {GRACE_MARGIN_SECONDS} s = {needed:g} s")

    container = pod["containers"][0]
    require(container["startupProbe"] and container["livenessProbe"]["httpGet"]["path"] == "/healthz"
            and container["readinessProbe"]["httpGet"]["path"] == "/readyz",
            "k8s/: probes must be startup + liveness /healthz + readiness /readyz")
    require("lifecycle" not in container, "k8s/: no preStop hook is wanted (see statefulset.yaml)")
    require(pod["securityContext"].get("runAsNonRoot") is True, "k8s/: pod must runAsNonRoot")
    require(container["securityContext"].get("readOnlyRootFilesystem") is True, "k8s/: root filesystem must be read-only")
    require(container.get("resources", {}).get("requests") and container["resources"].get("limits"),
            "k8s/: container needs resource requests and limits")
    mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
    volumes = {v["name"]: v for v in pod["volumes"]}
    require("emptyDir" in volumes.get(mounts.get("/tmp", ""), {}), "k8s/: /tmp must be an emptyDir")
    require(volumes[mounts["/etc/coupon-worker"]]["configMap"]["name"] == configmap["metadata"]["name"],
            "k8s/: /etc/coupon-worker is not the ConfigMap")
    secret_dir = next(path for path, name in mounts.items() if "secret" in volumes[name])
    require(volumes[mounts[secret_dir]]["secret"]["secretName"] == secret["metadata"]["name"],
            "k8s/: the mounted Secret is not coupon-worker-secrets")

    secret_keys = set(secret.get("stringData", {})) | set(secret.get("data", {}))
    profiles = config.get("wechat", {}).get("merchants", []) + config.get("zvcms", {}).get("accounts", [])
    for profile in profiles:
        for field, path in profile.items():
            if field.endswith("_file"):
                require(path.startswith(secret_dir + "/") and path[len(secret_dir) + 1:] in secret_keys,
                        f"k8s/: {field} {path} is not a key of the mounted Secret")
    for env in container.get("env", []):
        ref = env.get("valueFrom", {}).get("secretKeyRef")
        if ref:
            require(ref["name"] == secret["metadata"]["name"] and ref["key"] in secret_keys,
                    f"k8s/: env {env['name']} refers to a missing Secret key {ref['key']}")
    check_kubernetes_admin_token(container, mounts, secret_dir, secret, secret_keys)
    check_kubernetes_static_membership(container, grace)


def check_kubernetes_static_membership(container: Any, grace: int) -> None:
    """Each pod's group.instance.id is its own name (stable across restarts, unique among live
    pods), and the session timeout outlasts a pod's restart so it gets its partitions back."""
    env = {e["name"]: e for e in container.get("env", [])}
    instance = env.get("COUPON_KAFKA_INSTANCE_ID")
    require(instance is not None, "k8s/: the container sets no COUPON_KAFKA_INSTANCE_ID")
    field = ((instance.get("valueFrom") or {}).get("fieldRef") or {}).get("fieldPath")
    require(field == "metadata.name" and "value" not in instance,
            f"k8s/: COUPON_KAFKA_INSTANCE_ID must come from fieldRef metadata.name (the stable pod name), is {instance}")
    session = env.get("COUPON_KAFKA_SESSION_TIMEOUT_MS")
    require(session is not None, "k8s/: the container sets no COUPON_KAFKA_SESSION_TIMEOUT_MS")
    timeout = session_timeout_ms(session.get("value"), "k8s/")
    require(timeout > grace * 1000,
            f"k8s/: COUPON_KAFKA_SESSION_TIMEOUT_MS {timeout} must exceed terminationGracePeriodSeconds*1000 "
            f"({grace * 1000}), or a restarted pod comes back after its session expired")


def check_kubernetes_admin_token(container: Any, mounts: dict[str, str], secret_dir: str, secret: Any,
                                 secret_keys: set[str]) -> None:
    """/requests/{out_request_no} needs the admin token: a file of the read-only Secret mount."""
    env = {e["name"]: e.get("value") for e in container.get("env", [])}
    path = env.get("COUPON_HTTP_ADMIN_TOKEN_FILE")
    require(isinstance(path, str), "k8s/: the container sets no COUPON_HTTP_ADMIN_TOKEN_FILE")
    require(path.startswith(secret_dir + "/") and path[len(secret_dir) + 1:] in secret_keys,
            f"k8s/: COUPON_HTTP_ADMIN_TOKEN_FILE {path} is not a key of the mounted Secret")
    mount = next(m for m in container["volumeMounts"] if m["mountPath"] == secret_dir)
    require(mount.get("readOnly") is True, f"k8s/: the Secret mount {secret_dir} must be readOnly")
    key = path[len(secret_dir) + 1:]
    placeholder = (secret.get("stringData") or {}).get(key, (secret.get("data") or {}).get(key))
    require(placeholder == "",
            f"k8s/: the committed Secret's {key} must be empty (a placeholder token would be a known token; "
            "an empty one stops the worker at start)")


def check_compose_tracing(name: str, worker: dict, services: dict) -> None:
    """A worker's OTLP endpoint names a service of the stack that takes OTLP/HTTP (Jaeger on 4318)."""
    endpoint = worker["environment"].get("OTEL_EXPORTER_OTLP_ENDPOINT")
    if endpoint is None:
        return
    match = re.fullmatch(r"http://([a-z0-9-]+):4318/?", str(endpoint))
    require(match is not None, f"compose: {name} OTEL_EXPORTER_OTLP_ENDPOINT {endpoint!r} must be http://SERVICE:4318")
    target = services.get(match.group(1))
    require(target is not None, f"compose: {name} exports traces to unknown service {match.group(1)}")
    require(str(target.get("environment", {}).get("COLLECTOR_OTLP_ENABLED", "true")).lower() == "true",
            f"compose: {match.group(1)} does not accept OTLP")
    attributes = str(worker["environment"].get("OTEL_RESOURCE_ATTRIBUTES", ""))
    require(f"service.instance.id={name}" in attributes,
            f"compose: {name} OTEL_RESOURCE_ATTRIBUTES must name service.instance.id={name}")


def check_compose_promises() -> None:
    compose = load_yaml_documents(COMPOSE)[0]
    services = compose["services"]
    require(services["kafka"]["image"] == "apache/kafka:3.8.0", "compose: kafka must be apache/kafka:3.8.0")
    require("controller" in str(services["kafka"]["environment"].get("KAFKA_PROCESS_ROLES")),
            "compose: kafka is not in KRaft mode")
    require(str(services["postgres"]["image"]).startswith("postgres:16"), "compose: PostgreSQL must be 16")
    script = "\n".join(services["kafka-topics"]["command"])
    for topic in ("coupon.commands.issue", "coupon.commands.query", "coupon.results", "coupon.commands.dlq"):
        require(f"create {topic}" in script, f"compose: kafka-topics does not create {topic}")
    sandbox_command = services["sandbox"]["command"]
    require(sandbox_command[0] == "sandbox" and "--keys-dir" in sandbox_command, "compose: sandbox command")
    workers = {name: s for name, s in services.items() if s.get("command", [None])[0] == "run"}
    require(len(workers) == 2, f"compose: expected two workers, found {sorted(workers)}")
    instance_ids: dict[str, str] = {}
    for name, worker in workers.items():
        require(not (worker.get("deploy") or {}).get("replicas") and "scale" not in worker,
                f"compose: {name} must not have replicas/scale: replicas would share one COUPON_KAFKA_INSTANCE_ID")
        instance = worker["environment"].get("COUPON_KAFKA_INSTANCE_ID")
        require(isinstance(instance, str) and instance, f"compose: {name} sets no COUPON_KAFKA_INSTANCE_ID")
        require(instance not in instance_ids,
                f"compose: {name} and {instance_ids.get(instance)} share COUPON_KAFKA_INSTANCE_ID {instance!r} "
                "(two live members with one id fence each other)")
        instance_ids[instance] = name
        stop_grace = int(str(worker.get("stop_grace_period", "10s")).rstrip("s"))
        timeout = session_timeout_ms(worker["environment"].get("COUPON_KAFKA_SESSION_TIMEOUT_MS"), f"compose: {name}")
        require(timeout > stop_grace * 1000,
                f"compose: {name} COUPON_KAFKA_SESSION_TIMEOUT_MS {timeout} must exceed stop_grace_period ({stop_grace} s)")
    for name, worker in workers.items():
        conditions = {dep: spec.get("condition") for dep, spec in worker["depends_on"].items()}
        require(conditions.get("kafka-topics") == "service_completed_successfully"
                and conditions.get("postgres") == "service_healthy"
                and conditions.get("sandbox") == "service_healthy",
                f"compose: {name} must wait for topics, a healthy postgres and a healthy sandbox")
        env = worker["environment"]
        require(env["COUPON_WECHAT_BASE_URL"].startswith("http://sandbox:")
                and env["COUPON_ZVCMS_BASE_URL"].startswith("http://sandbox:"),
                f"compose: {name} is not pointed at the sandbox")
        require(int(str(worker.get("stop_grace_period", "10s")).rstrip("s")) > 25,
                f"compose: {name} stop_grace_period must exceed the worker's 25 s drain")
        for volume in worker["volumes"]:
            source, target = volume.split(":")[:2]
            if target == "/etc/coupon-worker/config.json":
                config_path = (COMPOSE.parent / source).resolve()
                require(config_path.is_file(), f"compose: {name} mounts missing {source}")
                mounted = json.loads(config_path.read_text())
                check_worker_config(mounted, rel(config_path))
                # compose gives the WeChat merchant by env (no backup host): worst attempt 3 x timeout.
                if "COUPON_WECHAT_BASE_URL" in worker["environment"] and not (mounted.get("wechat") or {}).get("merchants"):
                    mounted = {**mounted, "wechat": {"merchants": [{}]}}
                needed = required_grace_seconds(mounted)
                stop_grace = int(str(worker.get("stop_grace_period", "10s")).rstrip("s"))
                require(stop_grace >= needed,
                        f"compose: {name} stop_grace_period {stop_grace}s must cover revoke grace + worst provider "
                        f"attempt + {GRACE_MARGIN_SECONDS} s = {needed:g} s")
        check_compose_admin_token(name, worker, services, conditions, compose)
        check_compose_tracing(name, worker, services)


def check_compose_admin_token(name: str, worker: Any, services: Any, conditions: dict[str, Any], compose: Any) -> None:
    """A worker reads its admin token from a read-only volume that a one-shot service writes
    first (the worker waits for it to complete); the token is never in the file itself."""
    path = worker["environment"].get("COUPON_HTTP_ADMIN_TOKEN_FILE")
    require(isinstance(path, str) and path.startswith("/"), f"compose: {name} sets no COUPON_HTTP_ADMIN_TOKEN_FILE")
    directory = path.rsplit("/", 1)[0]
    mounts = [v.split(":") for v in worker["volumes"]]
    mount = next((m for m in mounts if m[1] == directory), None)
    require(mount is not None, f"compose: {name} mounts nothing at {directory} (COUPON_HTTP_ADMIN_TOKEN_FILE)")
    require(len(mount) > 2 and "ro" in mount[2].split(","), f"compose: {name} must mount {directory} read-only")
    volume = mount[0]
    require(volume in (compose.get("volumes") or {}), f"compose: {name}'s token volume {volume} is not a named volume")
    writers = [service for service, spec in services.items() if service != name
               and any(v.split(":")[0] == volume and not v.endswith(":ro") for v in spec.get("volumes", []))]
    require(writers, f"compose: no service writes the token volume {volume}")
    require(all(conditions.get(writer) == "service_completed_successfully" for writer in writers),
            f"compose: {name} must wait for {writers} to complete (service_completed_successfully)")


def check_alert_coverage() -> None:
    """The group-membership failure modes of issue #15 and the store outage (#17) each have an
    alert (and, via promtool, a test)."""
    rules = {r["alert"]: r["expr"] for g in load_yaml_documents(ALERTS)[0]["groups"] for r in g["rules"]}
    for alert, metric in (("CouponWorkerFatalError", "coupon_fatal_errors_total"),
                          ("CouponWorkerUnassigned", "coupon_unassigned_seconds_total"),
                          ("CouponPartitionStalled", "coupon_stalled_partitions"),
                          ("CouponStoreUnavailable", "coupon_store_available")):
        require(metric in rules.get(alert, ""), f"prometheus/alerts.yaml: no {alert} alert on {metric}")
    tested = {t.get("alertname") for test in load_yaml_documents(ALERT_TESTS)[0]["tests"]
              for t in test.get("alert_rule_test", [])}
    untested = sorted(set(rules) - tested)
    require(not untested, f"prometheus/alerts.test.yaml: no test for {untested}")


# --- the Grafana dashboard ----------------------------------------------------------------

# swift-metrics types whose Prometheus series (swift-prometheus 2.x, PrometheusMetricsFactory)
# are histograms: `name_bucket`/`name_sum`/`name_count`, never the bare name. A Recorder is a
# histogram unless made with `aggregate: false` (then, like Gauge, a gauge).
HISTOGRAM_TYPES = {"Timer", "Recorder"}
METRIC_LABEL = re.compile(r'\b(\w+)\(\s*label:\s*"(coupon_[A-Za-z0-9_]+)"([^)]*)\)')
DATASOURCE_VARIABLE = "${datasource}"
PROMQL_KEYWORDS = {
    "by", "without", "on", "ignoring", "group_left", "group_right", "bool", "and", "or", "unless",
    "offset", "atan2", "inf", "nan",
}


def exported_metric_names() -> set[str]:
    """The Prometheus series names the worker exports, from every `label: "coupon_..."` of a
    swift-metrics type in Sources/**/*.swift (histogram types as their three series)."""
    require(SOURCES.is_dir(), f"{SOURCES}: no Swift sources to read the exported metric names from")
    names: set[str] = set()
    for path in sorted(SOURCES.rglob("*.swift")):
        text = path.read_text(encoding="utf-8")
        for kind, label, rest in METRIC_LABEL.findall(text):
            if kind in HISTOGRAM_TYPES and not (kind == "Recorder" and re.search(r"aggregate:\s*false", rest)):
                names |= {f"{label}_bucket", f"{label}_sum", f"{label}_count"}
            else:
                names.add(label)
        require(len(METRIC_LABEL.findall(text)) == text.count('label: "coupon_'),
                f"{path.relative_to(SOURCES.parent)}: a `label: \"coupon_...\"` that is not a swift-metrics "
                "constructor call; teach deploy/validate.py how it is exported")
    require(names, f"{SOURCES}: no `label: \"coupon_...\"` metric found")
    return names


def promql_metric_names(expr: str) -> set[str]:
    """The metric names a PromQL expression selects (Grafana variables, strings, label
    matchers, ranges and grouping clauses removed; function and aggregation names dropped)."""
    text = re.sub(r"\$\{?\w+\}?", " ", expr)
    text = re.sub(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'|`[^`]*`', '""', text)
    text = re.sub(r"\{[^{}]*\}", " ", text)
    text = re.sub(r"\[[^\[\]]*\]", " ", text)
    text = re.sub(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^()]*\)", " ", text)
    names = set()
    for match in re.finditer(r"(?<![\w.])[A-Za-z_:][A-Za-z0-9_:]*", text):
        follows = text[match.end():].lstrip()
        if follows.startswith("(") or match.group().lower() in PROMQL_KEYWORDS:
            continue
        names.add(match.group())
    return names


def is_datasource_variable(datasource: Any) -> bool:
    uid = datasource.get("uid") if isinstance(datasource, dict) else datasource
    return uid in {DATASOURCE_VARIABLE, "$datasource"}


def dashboard_panels(panels: list[Any]) -> list[Any]:
    """Every panel, with those nested in collapsed rows."""
    found = []
    for panel in panels:
        found.append(panel)
        found += dashboard_panels(panel.get("panels") or [])
    return found


def check_grafana_dashboard() -> None:
    """deploy/grafana/coupon-worker.json: a dashboard Grafana can import whose every query
    selects only series the worker exports, through the `${datasource}` variable."""
    where = rel(DASHBOARD)
    require(DASHBOARD.is_file(), f"{where}: missing")
    try:
        dashboard = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise CheckFailed(f"{where}: does not parse: {error}") from error
    require(isinstance(dashboard, dict), f"{where}: a dashboard must be an object")
    for field in ("title", "uid"):
        require(isinstance(dashboard.get(field), str) and dashboard[field], f"{where}: no {field}")
    require(isinstance(dashboard.get("schemaVersion"), int), f"{where}: no schemaVersion")
    variables = {v.get("name"): v for v in (dashboard.get("templating") or {}).get("list", [])}
    source = variables.get("datasource") or {}
    require(source.get("type") == "datasource" and source.get("query") == "prometheus",
            f"{where}: needs a `datasource` template variable of type datasource over prometheus")
    require("job" in variables or "instance" in variables, f"{where}: needs a job or instance template variable")
    exported = exported_metric_names()

    def check_query(expr: Any, what: str) -> None:
        require(isinstance(expr, str) and expr.strip(), f"{where}: {what} has no expr")
        names = promql_metric_names(expr)
        require(names, f"{where}: {what} selects no metric: {expr}")
        unknown = sorted(names - exported)
        require(not unknown, f"{where}: {what} queries {unknown}, which Sources/ does not export "
                             f"(renamed or misspelled?): {expr}")

    for name, variable in variables.items():
        if variable.get("type") == "query":
            require(is_datasource_variable(variable.get("datasource")),
                    f"{where}: variable {name}'s datasource must be {DATASOURCE_VARIABLE}")
            query = variable.get("query")
            query = query.get("query") if isinstance(query, dict) else query
            series = re.fullmatch(r"\s*label_values\((.*),\s*\w+\s*\)\s*", query or "")
            require(series is not None, f"{where}: variable {name}: expected label_values(<series>, <label>), is {query!r}")
            check_query(series.group(1), f"variable {name}")

    panels = dashboard_panels(dashboard.get("panels") or [])
    require(panels, f"{where}: no panels")
    ids: set[Any] = set()
    cells: dict[tuple[int, int], str] = {}
    queries = 0
    for panel in panels:
        title = panel.get("title") or "?"
        what = f"panel {panel.get('id')} ({title})"
        require(isinstance(panel.get("id"), int), f"{where}: panel {title!r} has no integer id")
        require(panel["id"] not in ids, f"{where}: panel id {panel['id']} is used twice")
        ids.add(panel["id"])
        grid = panel.get("gridPos") or {}
        require(all(isinstance(grid.get(k), int) for k in ("h", "w", "x", "y")), f"{where}: {what} has no gridPos h/w/x/y")
        require(grid["w"] > 0 and grid["h"] > 0 and grid["x"] >= 0 and grid["x"] + grid["w"] <= 24,
                f"{where}: {what} gridPos {grid} does not fit the 24-column grid")
        if panel.get("type") != "row" or not panel.get("collapsed"):
            for cell in ((x, y) for x in range(grid["x"], grid["x"] + grid["w"])
                         for y in range(grid["y"], grid["y"] + grid["h"])):
                require(cell not in cells, f"{where}: {what} overlaps {cells.get(cell)}")
                cells[cell] = what
        targets = panel.get("targets") or []
        if panel.get("type") in {"row", "text"}:
            require(not targets, f"{where}: {what} is a {panel['type']} with queries")
            continue
        require(targets, f"{where}: {what} has no queries")
        require(is_datasource_variable(panel.get("datasource")),
                f"{where}: {what} datasource must be the {DATASOURCE_VARIABLE} variable, is {panel.get('datasource')}")
        for target in targets:
            require("datasource" not in target or is_datasource_variable(target["datasource"]),
                    f"{where}: {what} query {target.get('refId')} datasource must be {DATASOURCE_VARIABLE}")
            check_query(target.get("expr"), f"{what} query {target.get('refId')}")
            queries += 1
    require(queries, f"{where}: no queries")


# --- optional external tools --------------------------------------------------------------

def run_tool(argv: list[str], cwd: Path) -> None:
    result = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, timeout=120)
    require(result.returncode == 0, f"`{' '.join(argv)}` failed:\n{result.stdout}{result.stderr}")


def optional(tool: str, check: Callable[[], None]) -> Callable[[], str | None]:
    def run() -> str | None:
        if shutil.which(tool) is None:
            return f"skipped: {tool} not on PATH"
        check()
        return None
    return run


def main() -> int:
    checks: list[tuple[str, Callable[[], Any]]] = [
        ("every YAML file parses and has its structure", check_every_yaml_file),
        ("every JSON file parses", check_every_json_file),
        ("Dockerfile: builder + runtime stages", check_dockerfile),
        ("k8s: objects agree with each other", check_kubernetes_promises),
        ("compose: services and workers", check_compose_promises),
        ("alerts: membership and store alerts exist and every alert is tested", check_alert_coverage),
        ("grafana: dashboard queries only metrics the worker exports", check_grafana_dashboard),
        ("promtool check rules", optional("promtool", lambda: run_tool(
            ["promtool", "check", "rules", ALERTS.name], ALERTS.parent))),
        ("promtool test rules", optional("promtool", lambda: run_tool(
            ["promtool", "test", "rules", ALERT_TESTS.name], ALERT_TESTS.parent))),
        ("kubectl kustomize deploy/k8s", optional("kubectl", lambda: run_tool(
            ["kubectl", "kustomize", str(K8S)], DEPLOY))),
    ]
    passed = failed = skipped = 0
    for name, check in checks:
        try:
            outcome = check()
        except Exception as error:  # a broken file must read as a failed check, not a traceback
            failed += 1
            detail = str(error) if isinstance(error, CheckFailed) else f"{type(error).__name__}: {error}"
            print(f"FAIL {name}: {detail}")
            continue
        if isinstance(outcome, str) and outcome.startswith("skipped"):
            skipped += 1
            print(f"SKIP {name} ({outcome})")
        else:
            passed += 1
            suffix = f" ({len(outcome)} files)" if isinstance(outcome, list) else ""
            print(f"ok   {name}{suffix}")
    print(f"deploy: {passed} passed, {failed} failed, {skipped} skipped")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
