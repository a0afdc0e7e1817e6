"""One scenario's world: a Kafka cluster, the provider sandboxes, a store and N workers.

Everything is a separate process of the real binary: `coupon-worker dev-kafka`,
`coupon-worker sandbox --forget-duplicates` and `coupon-worker run` (configured by COUPON_*
variables plus a JSON file for the knobs that have no variable). A watchdog thread notices a
worker that exits without the suite having signalled it -- a crash -- records it and starts
it again.
"""

import json
import os
import re
import secrets
import signal
import threading
import time

from . import control
from .kafka_clients import TOPIC_PARTITIONS, CommandProducer, ResultCollector, topic_partitions
from .postgres import ScratchDatabase
from .processes import CHILDREN, SuiteFailure, free_port, wait_until


class WorkerSlot:
    """The n-th worker of a stack; each (re)start is a new process on a new side port."""

    def __init__(self, stack, index, wrapper=None):
        self.stack = stack
        self.index = index
        # An argv prefix that forks the worker, e.g. ["faketime", "-f", "+120s"]: signals go
        # to the worker, the wrapper's child.
        self.wrapper = list(wrapper or [])
        self.process = None
        self.port = None
        self.starts = 0
        self.started_wall = None  # time.time() of the latest start

    @property
    def name(self):
        return f"worker{self.index}"

    def start(self):
        self.port = free_port()
        env = dict(self.stack.worker_env, COUPON_HTTP_PORT=str(self.port))
        if self.stack.slot_env:
            env.update(self.stack.slot_env(self))
        self.started_wall = time.time()
        self.process = CHILDREN.start(
            f"{self.name}.run{self.starts}",
            [*self.wrapper, self.stack.suite.binary, "run", "--config", self.stack.config_path],
            env, self.stack.log_dir, cwd=self.stack.directory, signal_child=bool(self.wrapper))
        self.starts += 1
        return self.process

    def alive(self):
        return self.process is not None and self.process.alive()

    @property
    def side_port(self):
        return control.SidePort(self.port)


class Stack:
    """Starts and stops the processes of one scenario and counts restarts and crashes."""

    def __init__(self, suite, name, workers=3, worker_config=None, store_url=None, log_level="info",
                 kafka_properties=None, slot_wrappers=None, slot_env=None):
        self.suite = suite
        self.name = name
        self.directory = suite.scenario_dir(name)
        self.log_dir = os.path.join(self.directory, "logs")
        os.makedirs(self.log_dir, exist_ok=True)
        self.worker_count = workers
        self.worker_config = worker_config or {}
        self.store_url = store_url
        self.log_level = log_level
        self.kafka_properties = kafka_properties or {}
        self.slot_wrappers = slot_wrappers or {}  # worker number (1-based) -> argv prefix (WorkerSlot)
        # slot -> extra environment of its every (re)start, e.g. a stable group.instance.id (progress.py)
        self.slot_env = slot_env
        self.group = "coupon-worker-" + name
        self.slots = []
        self.crashes = []  # (worker name, exit code, log tail)
        self.restarts = 0
        self.database = None
        self.collector = None
        self.producer = None
        self.kafka_control = None
        self.sandbox_admin = None
        self._lock = threading.RLock()
        self._watching = threading.Event()
        self._watchdog = None

    # --- start -----------------------------------------------------------------------

    def start(self):
        self._start_kafka()
        self._start_sandbox()
        if self.store_url is None:
            self.database = ScratchDatabase(self.suite.postgres_url)
            self.store_url = self.database.url
        self._write_worker_config()
        self.collector = ResultCollector(self.bootstrap, os.path.join(self.directory, "records"), "reliability-" + self.name)
        self.producer = CommandProducer(self.bootstrap)
        for i in range(self.worker_count):
            self.add_worker(wrapper=self.slot_wrappers.get(i + 1))
        self.wait_ready()
        self._watching.set()
        self._watchdog = threading.Thread(target=self._watch, name="worker-watchdog", daemon=True)
        self._watchdog.start()
        return self

    def _start_kafka(self):
        argv = [self.suite.binary, "dev-kafka", "--brokers", "3", "--partitions", "6"]
        control_port = None
        if self.suite.has_kafka_control:
            control_port = free_port()
            argv += ["--control-port", str(control_port)]
        # stdbuf: the lines are read from a file while the process runs.
        self.kafka = CHILDREN.start("dev-kafka", ["stdbuf", "-oL", *argv], os.environ.copy(), self.log_dir)
        self.bootstrap = self.kafka.wait_for_stdout(r"^bootstrap servers: (\S+)", 60).group(1)
        if control_port:
            url = self.kafka.wait_for_stdout(r"^control: (http://\S+)", 30).group(1)
            self.kafka_control = control.KafkaControl(url)
        self._ensure_topics()

    def _ensure_topics(self):
        """The four topics with (at least) the partitions of the brief; created when missing."""
        existing = wait_until(lambda: topic_partitions(self.bootstrap), 30, "Kafka metadata")
        for topic, partitions in TOPIC_PARTITIONS.items():
            if topic in existing:
                continue
            if not self.kafka_control:
                raise SuiteFailure(f"dev-kafka did not create {topic} and has no control API to create it")
            self.kafka_control.create_topic(topic, partitions)
        wait_until(lambda: set(TOPIC_PARTITIONS) <= set(topic_partitions(self.bootstrap)), 30, "the four topics")

    def _start_sandbox(self):
        keys_dir = os.path.join(self.directory, "sandbox-keys")
        argv = [self.suite.binary, "sandbox", "--wechat-port", "0", "--zvcms-port", "0", "--forget-duplicates",
                "--keys-dir", keys_dir]
        admin_port = None
        if self.suite.has_sandbox_admin:
            admin_port = free_port()
            argv += ["--admin-port", str(admin_port)]
        self.sandbox = CHILDREN.start("sandbox", ["stdbuf", "-oL", *argv], os.environ.copy(), self.log_dir)
        self.sandbox.wait_for_stdout(r"COUPON_ZVCMS_OPEN_KEY_FILE=\S+", 90)
        self.sandbox_env = dict(re.findall(r"^\s*(COUPON_[A-Z0-9_]+)=(\S+)\s*$", self.sandbox.read_stdout(), re.MULTILINE))
        self.suite.keys_dirs.append(keys_dir)
        if admin_port:
            url = self.sandbox.wait_for_stdout(r"admin: (http://\S+)", 30).group(1)
            self.sandbox_admin = control.SandboxAdmin(url)

    def _write_worker_config(self):
        config = json.loads(json.dumps(self.worker_config))
        properties = {"session.timeout.ms": "6000", "heartbeat.interval.ms": "1000"}
        properties.update(self.kafka_properties)
        # Consumer-only settings: given to the producer too they would only draw CONFWARNs.
        config.setdefault("kafka", {}).setdefault("consumer_properties", {}).update(properties)
        self.config_path = os.path.join(self.directory, "worker-config.json")
        with open(self.config_path, "w") as f:
            json.dump(config, f, indent=2)
        base = {k: v for k, v in os.environ.items() if not k.startswith("COUPON_")}
        # The /requests bearer token, beside the sandbox keys: the secrets scan skips that
        # folder and looks for the token everywhere else.
        self.admin_token = secrets.token_hex(32)
        self.admin_token_file = os.path.join(self.directory, "sandbox-keys", "admin-token")
        with open(os.open(self.admin_token_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as f:
            f.write(self.admin_token + "\n")
        self.worker_env = dict(
            base, **self.sandbox_env,
            COUPON_KAFKA_BROKERS=self.bootstrap, COUPON_KAFKA_GROUP=self.group, COUPON_STORE=self.store_url,
            COUPON_LOG_FORMAT="json", COUPON_LOG_LEVEL=self.log_level,
            COUPON_HTTP_ADMIN_TOKEN_FILE=self.admin_token_file)

    def add_worker(self, wrapper=None):
        with self._lock:
            slot = WorkerSlot(self, len(self.slots) + 1, wrapper)
            self.slots.append(slot)
            slot.start()
            return slot

    def wait_ready(self, timeout=90):
        """Waits until every running worker reports ready (partitions assigned, store reachable)."""
        def ready():
            for slot in self.slots:
                if not slot.alive():
                    raise SuiteFailure(f"{slot.name} exited with {slot.process.returncode} while starting\n"
                                       f"{slot.process.tail()}")
            return all((slot.side_port.readiness() or {}).get("ready") for slot in self.slots)
        wait_until(ready, timeout, f"{len(self.slots)} workers to report ready on /readyz")

    # --- faults on workers -------------------------------------------------------------

    def kill(self, slot, sig=signal.SIGKILL):
        with self._lock:
            slot.process.send(sig)

    def restart(self, slot):
        """Starts the slot again once its process is gone (counted as a restart)."""
        with self._lock:
            if slot.process.wait(30) is None:
                raise SuiteFailure(f"{slot.name} still running 30s after being signalled")
            slot.start()
            self.restarts += 1

    def _watch(self):
        while self._watching.is_set():
            with self._lock:
                for slot in self.slots:
                    process = slot.process
                    if process and not process.alive() and not process.stopped_by_suite:
                        self.crashes.append((slot.name, process.returncode, process.tail(20)))
                        process.stopped_by_suite = True  # recorded once
                        slot.start()
                        self.restarts += 1
            time.sleep(0.5)

    # --- observations --------------------------------------------------------------------

    def issuances(self):
        """{provider: {out_request_no: count}}, or None when the sandbox has no admin API."""
        if not self.sandbox_admin:
            return None
        return self.sandbox_admin.issuances()

    def scrape_metrics(self):
        for slot in self.slots:
            if slot.alive():
                text = slot.side_port.metrics()
                if text is not None:
                    with open(os.path.join(self.directory, f"metrics-{slot.name}.run{slot.starts - 1}.txt"), "wb") as f:
                        f.write(text)

    # --- stop ----------------------------------------------------------------------------

    def stop(self):
        self._watching.clear()
        if self._watchdog:
            self._watchdog.join(timeout=5)
        try:
            self.scrape_metrics()
        except Exception:  # metrics are evidence for the secrets scan, not a reason to leak processes
            pass
        for slot in self.slots:
            if slot.process:
                slot.process.stop(grace=15)
        if self.producer:
            self.producer.close()
        if self.collector:
            self.collector.close()
        for process in (getattr(self, "sandbox", None), getattr(self, "kafka", None)):
            if process:
                process.stop(grace=5)
        if self.database:
            self.database.drop()
