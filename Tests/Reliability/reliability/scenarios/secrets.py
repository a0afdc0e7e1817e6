"""Secrets: after everything else, no private key, APIv3 key, openKey or side-port admin
token -- in any form a careless line could write them -- appears in any log, result, DLQ
record, /metrics output or /requests answer of this run.

It first runs a small load of its own at log level `trace` with provider faults, bad input
and operator requests, so the most talkative paths have had their chance to leak; then it
scans every file of the run directory (all scenarios run before it included) for the key
material of every sandbox of the run.
"""

import base64
import json
import os

from ..commands import issue_mix, run_tag
from ..control import http
from ..figures import ScenarioReport, tally
from ..hostile import HostileGenerator
from ..load import await_results, send_paced
from ..stack import Stack

WORKER_CONFIG = {"worker": {"provider_timeout_seconds": 2, "lease_seconds": 15}}
MIX = [
    {"fault": "wrong_signature", "probability": 0.05}, {"fault": "http_status", "status": 401, "probability": 0.03},
    {"fault": "http_status", "status": 500, "probability": 0.03}, {"fault": "clock_skew", "seconds": 400, "probability": 0.03},
    {"fault": "connection_reset", "probability": 0.02},
]


def run(suite):
    report = ScenarioReport("secrets")
    rng = suite.rng
    stack = Stack(suite, "secrets", workers=1, worker_config=WORKER_CONFIG, log_level="trace")
    try:
        stack.start()
        stack.sandbox_admin.set_mix("both", MIX)
        commands = issue_mix(run_tag() + "-X", suite.size(150, 600), rng)
        send_paced(stack, commands, suite.size(8, 30))
        for m in HostileGenerator(rng, run_tag() + "-XH").generate(suite.size(120, 600), huge_count=1):
            stack.producer.send(m.topic, m.key, m.value)
        await_results(stack, commands, suite.size(120, 300), report)
        # What an operator sees of a command, kept for the scan.
        port = stack.slots[0].port
        with open(os.path.join(stack.directory, "requests-endpoint.json"), "wb") as f:
            for c in commands[:30]:
                status, body = http("GET", f"http://127.0.0.1:{port}/requests/{c.out_request_no}",
                                    headers={"Authorization": f"Bearer {stack.admin_token}"})
                f.write(b"%d " % status + body + b"\n")
        tally(report, stack, commands)
    except Exception as error:
        report.fail(f"{type(error).__name__}: {error}")
    finally:
        stack.stop()  # scrapes /metrics first

    try:
        scan(suite, report)
    except Exception as error:
        report.fail(f"the scan itself failed: {type(error).__name__}: {error}")
    return report.finish()


def secret_forms(keys_dir):
    """(name, bytes) of every form of the key material worth looking for."""
    forms = []

    def read(name):
        with open(os.path.join(keys_dir, name), "rb") as f:
            return f.read()

    pem = read("apiclient_key.pem")
    body_lines = [line.strip() for line in pem.splitlines() if line.strip() and not line.startswith(b"-----")]
    body = b"".join(body_lines)
    forms.append(("merchant private key: base64 body (no line breaks)", body))
    # The first line is mostly the ASN.1 header every PKCS#8 RSA key shares: not specific.
    for i, line in enumerate(body_lines[1:], start=2):
        if len(line) >= 40:
            forms.append((f"merchant private key: PEM line {i}", line))
    der = base64.b64decode(body)
    forms.append(("merchant private key: raw DER bytes (a 48-byte window from the middle)",
                  der[len(der) // 2: len(der) // 2 + 48]))
    forms.append(("merchant private key: hex of DER (a 48-byte window)", der[len(der) // 2: len(der) // 2 + 48].hex().encode()))
    for name, label in (("apiv3_key", "APIv3 key"), ("zvcms_open_key", "zvcms openKey")):
        secret = read(name).strip()
        forms.append((label, secret))
        forms.append((f"{label}: base64", base64.b64encode(secret)))
        forms.append((f"{label}: hex", secret.hex().encode()))
    if os.path.exists(os.path.join(keys_dir, "admin-token")):
        forms.append(("side-port admin token", read("admin-token").strip()))
    return forms


def scan(suite, report):
    """Every file under the run directory but the key files themselves, against every form."""
    keys_dirs = {os.path.realpath(d) for d in suite.keys_dirs}
    forms = []
    for keys_dir in suite.keys_dirs:
        scenario = os.path.basename(os.path.dirname(keys_dir))
        forms += [(f"{scenario}: {name}", value) for name, value in secret_forms(keys_dir)]
    # The scan must be able to find what it looks for: a planted JSON log line with the PEM
    # (newlines escaped, "/" escaped as Swift's JSONEncoder does) and the keys in a header.
    if suite.keys_dirs:
        keys_dir = suite.keys_dirs[0]
        with open(os.path.join(keys_dir, "apiclient_key.pem")) as f:
            planted = json.dumps({"msg": "key " + f.read()}).replace("/", "\\/").encode()
        with open(os.path.join(keys_dir, "zvcms_open_key"), "rb") as f:
            planted += b"\nx-open-key=" + f.read().strip()
        own = [label for label, value in secret_forms(keys_dir) if _found(value, planted)]
        report.expect(len(own) >= 3, f"the scanner does not find planted key material (found {own})")
    files, total_bytes, hits = 0, 0, []
    for root, dirs, names in os.walk(suite.run_dir):
        dirs[:] = [d for d in dirs if os.path.realpath(os.path.join(root, d)) not in keys_dirs]
        for name in names:
            path = os.path.join(root, name)
            with open(path, "rb") as f:
                data = f.read()
            files += 1
            total_bytes += len(data)
            for label, value in forms:
                if _found(value, data):
                    hits.append((os.path.relpath(path, suite.run_dir), label))
    f = report.figures
    f.extra["sandboxes whose keys were looked for"] = len(suite.keys_dirs)
    f.extra["forms of key material looked for"] = len(forms)
    f.extra["files scanned"] = files
    f.extra["bytes scanned"] = total_bytes
    f.extra["secret occurrences found"] = len(hits)
    report.expect(len(suite.keys_dirs) > 0, "no sandbox key files to look for")
    report.expect(not hits, f"key material found in {len(hits)} places: {hits[:10]}")


def _found(value, data):
    """Whether `value` is in `data` as is, or with JSON's escaped "\\/" undone."""
    return value in data or (b"\\/" in data and value in data.replace(b"\\/", b"/"))
