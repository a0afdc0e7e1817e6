"""HTTP clients of the fault-injection control APIs (briefs/control.md) and the worker's side port."""

import json
import urllib.error
import urllib.request

from .processes import SuiteFailure


def http(method, url, body=None, timeout=10.0, headers=None):
    """(status, body bytes) of one request; JSON-encodes `body` when given."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def _expect(method, url, body, statuses):
    try:
        status, payload = http(method, url, body)
    except OSError as error:
        raise SuiteFailure(f"{method} {url}: {error}") from None
    if status not in statuses:
        raise SuiteFailure(f"{method} {url} {json.dumps(body) if body else ''}: HTTP {status}: {payload[:300]!r}")
    return payload


class KafkaControl:
    """`coupon-worker dev-kafka --control-port`: brokers down/up, request errors, coordinators, topics."""

    def __init__(self, base_url):
        self.base_url = base_url.rstrip("/")

    def describe(self):
        return json.loads(_expect("GET", self.base_url + "/", None, {200}))

    def broker_down(self, broker_id):
        _expect("POST", f"{self.base_url}/brokers/{broker_id}/down", None, {200, 204})

    def broker_up(self, broker_id):
        _expect("POST", f"{self.base_url}/brokers/{broker_id}/up", None, {200, 204})

    def request_errors(self, request, errors):
        _expect("POST", self.base_url + "/request-errors", {"request": request, "errors": errors}, {200, 204})

    def move_coordinator(self, group, broker_id):
        _expect("POST", f"{self.base_url}/groups/{group}/coordinator/{broker_id}", None, {200, 204})

    def create_topic(self, name, partitions):
        _expect("POST", self.base_url + "/topics", {"name": name, "partitions": partitions}, {200, 204})


class SandboxAdmin:
    """`coupon-worker sandbox --admin-port`: fault mix, queued faults, issuance counts."""

    def __init__(self, base_url):
        self.base_url = base_url.rstrip("/")

    def set_mix(self, provider, mix, latency_ms=0):
        _expect("POST", self.base_url + "/faults", {"provider": provider, "mix": mix, "latency_ms": latency_ms}, {200, 204})

    def inject(self, provider, fault, times=1, path_contains=None):
        body = {"provider": provider, "fault": fault, "times": times}
        if path_contains:
            body["path_contains"] = path_contains
        _expect("POST", self.base_url + "/faults/inject", body, {200, 204})

    def clear(self):
        _expect("DELETE", self.base_url + "/faults", None, {200, 204})

    def issuances(self):
        """{"wechat": {out_request_no: count}, "zvcms": {...}}."""
        return json.loads(_expect("GET", self.base_url + "/issuances", None, {200}))


class SidePort:
    """A worker's operator port: readiness and metrics."""

    def __init__(self, port):
        self.base_url = f"http://127.0.0.1:{port}"

    def readiness(self):
        """The /readyz JSON, or None when the worker does not answer (yet)."""
        try:
            _, payload = http("GET", self.base_url + "/readyz", timeout=2.0)
            return json.loads(payload)
        except (OSError, ValueError):
            return None

    def metrics(self):
        """The /metrics text, or None when the worker does not answer."""
        try:
            status, payload = http("GET", self.base_url + "/metrics", timeout=5.0)
        except OSError:
            return None
        return payload if status == 200 else None
