"""The upstream and downstream of the workers: independent confluent-kafka clients.

`CommandProducer` is the order system: it sends commands and knows which were delivered.
`ResultCollector` is the analytics job: it reads `coupon.results` and `coupon.commands.dlq`
from the beginning, in a thread of its own, and keeps every record (and its raw bytes in
files, for the secrets scan).
"""

import hashlib
import json
import logging
import os
import struct
import threading
import time
from collections import defaultdict

from confluent_kafka import Consumer, KafkaError, Producer
from confluent_kafka.admin import AdminClient

from .processes import SuiteFailure, wait_until

ISSUE_TOPIC = "coupon.commands.issue"
QUERY_TOPIC = "coupon.commands.query"
RESULTS_TOPIC = "coupon.results"
DLQ_TOPIC = "coupon.commands.dlq"
TOPIC_PARTITIONS = {ISSUE_TOPIC: 6, QUERY_TOPIC: 6, RESULTS_TOPIC: 6, DLQ_TOPIC: 1}

# librdkafka's own log lines of these clients (brokers going away is the point of some
# scenarios, so there are many): into a file of the run, not onto the suite's output.
CLIENT_LOG = logging.getLogger("reliability.librdkafka")
CLIENT_LOG.propagate = False


def log_clients_to(path):
    handler = logging.FileHandler(path)
    handler.setFormatter(logging.Formatter("%(asctime)s %(message)s"))
    CLIENT_LOG.addHandler(handler)
    CLIENT_LOG.setLevel(logging.DEBUG)


def keys_in_partition(bootstrap, topic, partition, timeout=60):
    """The keys of every record now in one partition's log, read from its start to its end
    by a consumer outside any group."""
    from confluent_kafka import OFFSET_BEGINNING, TopicPartition

    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "reliability-log-scan",
                         "enable.auto.commit": False, "enable.partition.eof": True, "logger": CLIENT_LOG})
    try:
        low, high = consumer.get_watermark_offsets(TopicPartition(topic, partition), timeout=10)
        keys = set()
        if high <= low:
            return keys
        consumer.assign([TopicPartition(topic, partition, OFFSET_BEGINNING)])
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            message = consumer.poll(1.0)
            if message is None:
                continue
            if message.error():
                if message.error().code() == KafkaError._PARTITION_EOF:
                    return keys
                continue
            keys.add(message.key().decode("utf-8", "replace") if message.key() else "")
            if message.offset() >= high - 1:
                return keys
        raise SuiteFailure(f"reading {topic}[{partition}] to its end took over {timeout}s")
    finally:
        consumer.close()


def acked_but_not_logged(bootstrap, positions, keys):
    """Of `keys`, those whose delivery report carried no offset and that are absent from
    the partition they were sent to: the broker acknowledged them (an idempotent retry it
    took for a duplicate) without ever writing them, so no consumer could see them."""
    suspects = {k: positions[k] for k in keys if k in positions and positions[k][2] is None}
    absent = set()
    for topic, partition in {(t, p) for t, p, _ in suspects.values()}:
        present = keys_in_partition(bootstrap, topic, partition)
        absent |= {k for k, (t, p, _) in suspects.items() if (t, p) == (topic, partition) and k not in present}
    return absent


def where_they_stand(bootstrap, group, positions):
    """For records that got no result: where each was delivered, how far the worker group
    committed on that partition, and the partition's watermarks -- tells "never consumed"
    from "consumed and lost"."""
    from confluent_kafka import TopicPartition

    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": group, "enable.auto.commit": False,
                         "logger": CLIENT_LOG})
    try:
        lines = []
        partitions = sorted({(t, p) for t, p, _ in positions.values()})
        committed = {}
        for tp in consumer.committed([TopicPartition(t, p) for t, p in partitions], timeout=10):
            committed[(tp.topic, tp.partition)] = tp.offset
        for key, (topic, partition, offset) in sorted(positions.items()):
            low, high = consumer.get_watermark_offsets(TopicPartition(topic, partition), timeout=10)
            lines.append(f"{key}: delivered to {topic}[{partition}]@{offset}; group committed "
                         f"{committed.get((topic, partition))}; log {low}..{high}")
        return lines
    finally:
        consumer.close()


def topic_partitions(bootstrap):
    """{topic: partition count} as the cluster reports it."""
    admin = AdminClient({"bootstrap.servers": bootstrap, "logger": CLIENT_LOG})
    metadata = admin.list_topics(timeout=10)
    return {name: len(t.partitions) for name, t in metadata.topics.items() if t.error is None}


class CommandProducer:
    """Sends commands; `delivered` and `failed` say what became of each (by Kafka key)."""

    def __init__(self, bootstrap):
        self._producer = Producer({
            "bootstrap.servers": bootstrap,
            "logger": CLIENT_LOG,
            # Idempotence decisions (duplicates, sequence resets) into the log file: the
            # mock broker has acknowledged a retried batch as a duplicate without writing it.
            "debug": "eos",
            "enable.idempotence": True,
            "acks": "all",
            "linger.ms": 5,
            # Faults take brokers away for a while: keep trying rather than give up.
            "message.timeout.ms": 180000,
            "message.max.bytes": 1000000,
        })
        self._lock = threading.Lock()
        self.delivered = set()
        self.positions = {}  # key -> (topic, partition, offset) of the delivered record
        self.failed = {}
        self.sent = 0
        self.sent_at = {}  # key (or label) -> monotonic time of its first send: stall time (progress.py)

    def _report(self, error, message, label=None):
        key = label if label is not None else (message.key().decode("utf-8", "replace") if message.key() else "")
        with self._lock:
            if error is None:
                self.delivered.add(key)
                self.positions[key] = (message.topic(), message.partition(), message.offset())
            else:
                self.failed[key] = str(error)

    def send(self, topic, key, value, headers=None, partition=None, label=None):
        """Queues one record. `key` may be None (a keyless record); `partition` picks the
        partition instead of the key's hash; `label` names the record in `delivered`,
        `positions` and `failed` instead of its key (two records of one key told apart)."""
        extra = {} if partition is None else {"partition": partition}
        report = self._report if label is None else (lambda error, message: self._report(error, message, label))
        while True:
            try:
                self._producer.produce(topic, key=key, value=value, headers=headers, on_delivery=report, **extra)
                break
            except BufferError:
                self._producer.poll(0.1)  # local queue full: let deliveries drain
        self.sent += 1
        name = label if label is not None else (key.decode("utf-8", "replace") if isinstance(key, bytes) else key)
        self.sent_at.setdefault(name, time.monotonic())
        self._producer.poll(0)

    def close(self):
        """Delivers what is queued (briefly) and destroys the client before the cluster goes away."""
        if self._producer is not None:
            self._producer.flush(5)
            self._producer = None

    def flush(self, timeout):
        remaining = self._producer.flush(timeout)
        if remaining:
            raise SuiteFailure(f"{remaining} commands still undelivered to Kafka after {timeout:.0f}s")


class ResultCollector:
    """Reads results and dead letters as a downstream consumer would; thread-safe queries."""

    def __init__(self, bootstrap, artifact_dir, group):
        self._consumer = Consumer({
            "bootstrap.servers": bootstrap,
            "logger": CLIENT_LOG,
            "group.id": group,
            "auto.offset.reset": "earliest",
            "enable.auto.commit": False,
            "fetch.message.max.bytes": 2000000,
        })
        self._consumer.subscribe([RESULTS_TOPIC, DLQ_TOPIC])
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self.results = defaultdict(list)  # out_request_no -> [event dict]
        self.undecodable_results = []  # raw values that are not JSON objects
        self.dead_letters = defaultdict(list)  # Kafka key -> [{"headers": {...}, "sha256": value digest}]
        self.result_count = 0
        self.dead_letter_count = 0
        self.errors = []
        self.last_record_at = time.monotonic()
        # Monotonic arrival times of every result record, and of each out_request_no's first
        # result: what stall time is computed from (progress.py).
        self.arrivals = []
        self.first_result_at = {}
        os.makedirs(artifact_dir, exist_ok=True)
        # Raw records as received (length-prefixed key, headers, value): scanned for secrets later.
        self._results_file = open(os.path.join(artifact_dir, "results.records"), "ab")
        self._dlq_file = open(os.path.join(artifact_dir, "dlq.records"), "ab")
        self._thread = threading.Thread(target=self._run, name="result-collector", daemon=True)
        self._thread.start()

    @staticmethod
    def _write_raw(file, message):
        parts = [message.key() or b""]
        for name, value in message.headers() or []:
            parts.append(name.encode() + b"=" + (value or b""))
        parts.append(message.value() or b"")
        file.write(struct.pack(">I", len(parts)))
        for part in parts:
            file.write(struct.pack(">I", len(part)) + part)

    def _run(self):
        while not self._stop.is_set():
            message = self._consumer.poll(0.5)
            if message is None:
                continue
            if message.error():
                if message.error().code() != KafkaError._PARTITION_EOF:
                    with self._lock:
                        self.errors.append(str(message.error()))
                continue
            with self._lock:
                self.last_record_at = time.monotonic()
                if message.topic() == RESULTS_TOPIC:
                    self._write_raw(self._results_file, message)
                    self.result_count += 1
                    self.arrivals.append(self.last_record_at)
                    try:
                        event = json.loads(message.value())
                        self.results[event["out_request_no"]].append(event)
                        self.first_result_at.setdefault(event["out_request_no"], self.last_record_at)
                    except (ValueError, KeyError, TypeError):
                        self.undecodable_results.append(message.value()[:200])
                else:
                    self._write_raw(self._dlq_file, message)
                    self.dead_letter_count += 1
                    key = message.key().decode("utf-8", "replace") if message.key() else ""
                    headers = {n: (v or b"").decode("utf-8", "replace") for n, v in message.headers() or []}
                    self.dead_letters[key].append(
                        {"headers": headers, "sha256": hashlib.sha256(message.value() or b"").hexdigest()})

    def close(self):
        self._stop.set()
        self._thread.join(timeout=10)
        try:
            self._consumer.close()
        except Exception:  # closing during a broker fault may fail; nothing to keep
            pass
        self._results_file.close()
        self._dlq_file.close()

    def snapshot(self):
        """Copies of (results, dead_letters) at this moment."""
        with self._lock:
            return ({k: list(v) for k, v in self.results.items()}, {k: list(v) for k, v in self.dead_letters.items()})

    def arrival_times(self):
        """Copies of (arrival time of every result, {out_request_no: arrival of its first result})."""
        with self._lock:
            return list(self.arrivals), dict(self.first_result_at)

    def answered(self, out_request_nos):
        with self._lock:
            return sum(1 for no in out_request_nos if no in self.results)

    def missing(self, out_request_nos):
        with self._lock:
            return [no for no in out_request_nos if no not in self.results]

    def wait_for_results(self, out_request_nos, timeout, on_tick=None):
        """Waits until each out_request_no has a result; returns the ones still missing at the deadline."""
        wanted = list(out_request_nos)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if on_tick:
                on_tick()
            missing = self.missing(wanted)
            if not missing:
                return []
            wanted = missing
            time.sleep(0.5)
        return self.missing(wanted)

    def wait_quiet(self, seconds, timeout):
        """Waits until no record arrived for `seconds` (late duplicates and dead letters settle)."""
        wait_until(lambda: time.monotonic() - self.last_record_at >= seconds, timeout,
                   f"{seconds}s without new results")


def read_records(path):
    """The records a `ResultCollector` wrote: (key, [header "name=value"], value) bytes."""
    with open(path, "rb") as f:
        data = f.read()
    offset = 0
    while offset < len(data):
        (count,) = struct.unpack_from(">I", data, offset)
        offset += 4
        parts = []
        for _ in range(count):
            (length,) = struct.unpack_from(">I", data, offset)
            offset += 4
            parts.append(data[offset:offset + length])
            offset += length
        yield parts[0], parts[1:-1], parts[-1]


if __name__ == "__main__":
    # python3 -m reliability.kafka_clients RUN_DIR/<scenario>/records/results.records
    import sys
    for key, headers, value in read_records(sys.argv[1]):
        print(json.dumps({"key": key.decode("utf-8", "replace"),
                          "headers": [h.decode("utf-8", "replace") for h in headers],
                          "value": value.decode("utf-8", "replace")}))
