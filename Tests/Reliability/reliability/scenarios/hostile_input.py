"""Hostile input: >= 10,000 bad messages mixed with good commands, into one worker.

Every bad message must be dead-lettered with its original bytes and one-line
`x-coupon-error-*` headers, and get a `rejected` result under the out_request_no it carries,
or under its record key when none can be read from it; every good command must succeed; the
worker must never exit.
"""

import hashlib
import time
from collections import Counter

from ..commands import issue_mix, run_tag
from ..figures import ScenarioReport, tally
from ..hostile import HostileGenerator
from ..load import await_results
from ..processes import SuiteFailure
from ..stack import Stack

WORKER_CONFIG = {"zvcms": {"accounts": [{"rate_per_second": 50}]}}

# W3C traceparent values a broken producer may send with otherwise good commands.
HOSTILE_TRACEPARENTS = [
    b"00-\r\nX-Injected: 1", b"\x00\xff", b"00-" + b"f" * 5000 + b"-01", b"../../etc/passwd",
    b"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
]


def run(suite):
    report = ScenarioReport("hostile_input")
    rng = suite.rng
    bad_count = suite.size(10000, 20000)
    good_count = suite.size(400, 2000)
    tag = run_tag()
    stack = Stack(suite, "hostile_input", workers=1, worker_config=WORKER_CONFIG)
    try:
        stack.start()
        bad = HostileGenerator(rng, tag + "-H").generate(bad_count, huge_count=suite.size(4, 6))
        good = issue_mix(tag + "-G", good_count, rng)
        stream = [("bad", m) for m in bad] + [("good", c) for c in good]
        rng.shuffle(stream)
        started = time.monotonic()
        for i, (kind, m) in enumerate(stream):
            headers = None
            if kind == "good" and i % 7 == 0:
                headers = [("traceparent", rng.choice(HOSTILE_TRACEPARENTS))]
            stack.producer.send(m.topic, m.key, m.value, headers=headers)
        report.figures.extra["seconds to produce"] = round(time.monotonic() - started, 1)

        readable = [m for m in bad if m.expects_result]
        # await_results checks commands by out_request_no and delivery by Kafka key.
        expected = good + [_AsCommand(m) for m in readable]
        await_results(stack, expected, suite.size(300, 900), report)
        bad_keys = [m.key for m in bad]
        try:
            _wait_for_dead_letters(stack, bad_keys, suite.size(120, 300))
        except SuiteFailure as error:
            report.note(str(error))

        results, dead_letters = tally(report, stack, expected)
        report.figures.commands_sent = len(stream)
        f = report.figures
        f.extra["bad messages"] = len(bad)
        f.extra["bad messages expecting a rejected result"] = len(readable)
        f.extra["good commands"] = len(good)
        f.extra["bytes of bad messages"] = sum(len(m.value or b"") for m in bad)
        f.extra["largest bad message (bytes)"] = max(len(m.value or b"") for m in bad)
        kinds = Counter(m.kind for m in bad)
        f.extra["kinds of bad message"] = len(kinds)

        not_succeeded = [c.out_request_no for c in good
                         if "succeeded" not in {e.get("status") for e in results.get(c.out_request_no, [])}]
        report.expect(not not_succeeded, f"{len(not_succeeded)} good commands did not succeed, e.g. "
                      f"{[(n, [e.get('status') for e in results.get(n, [])]) for n in not_succeeded[:3]]}")
        wrongly = [m for m in readable
                   if any(e.get("status") != "rejected" for e in results.get(m.out_request_no, []))]
        report.expect(not wrongly, f"{len(wrongly)} bad messages got a result other than rejected, e.g. "
                      f"{[(m.kind, m.value[:120]) for m in wrongly[:3]]}")
        good_nos = {c.out_request_no for c in good}
        readable_nos = {m.out_request_no for m in readable}
        strays = [no for no in results if no not in good_nos and no not in readable_nos]
        f.extra["results for no command sent"] = len(strays)
        report.expect(not strays, f"results under out_request_nos no command had: {strays[:5]}")

        undelivered = [m for m in bad if m.key not in stack.producer.delivered]
        report.expect(not undelivered, f"{len(undelivered)} bad messages were not delivered to Kafka, by kind: "
                      f"{dict(Counter(m.kind for m in undelivered))}")
        not_dead_lettered = [m for m in bad if m.key not in dead_letters]
        f.extra["bad messages not dead-lettered"] = len(not_dead_lettered)
        report.expect(not not_dead_lettered, f"{len(not_dead_lettered)} bad messages are not in the DLQ, by kind: "
                      f"{dict(Counter(m.kind for m in not_dead_lettered))}")
        altered = [m for m in bad if m.key in dead_letters
                   and all(d["sha256"] != hashlib.sha256(m.value or b"").hexdigest() for d in dead_letters[m.key])]
        f.extra["DLQ records with altered bytes"] = len(altered)
        report.expect(not altered, f"{len(altered)} DLQ records do not carry the original bytes, e.g. "
                      f"{[m.kind for m in altered[:5]]}")
        good_in_dlq = [c.key for c in good if c.key in dead_letters]
        report.expect(not good_in_dlq, f"{len(good_in_dlq)} good commands were dead-lettered: {good_in_dlq[:5]}")
        _check_headers(report, dead_letters)

        report.expect(stack.restarts == 0, f"the worker restarted {stack.restarts} times")
        ready = stack.slots[0].side_port.readiness()
        report.expect(ready and ready.get("ready"), f"the worker is not ready after the flood: /readyz {ready}")
        missing_by_kind = Counter(m.kind for m in readable if m.out_request_no not in results)
        if missing_by_kind:
            report.note(f"bad messages without a result, by kind: {dict(missing_by_kind)}")
    except Exception as error:
        report.fail(f"{type(error).__name__}: {error}")
    finally:
        stack.stop()
    return report.finish()


class _AsCommand:
    """A bad message seen as a command that must get a (rejected) result."""

    def __init__(self, message):
        self.out_request_no = message.out_request_no
        self.key = message.key
        self.topic = message.topic


def _wait_for_dead_letters(stack, keys, timeout):
    deadline = time.monotonic() + timeout
    while True:
        _, dead_letters = stack.collector.snapshot()
        missing = [k for k in keys if k not in dead_letters]
        if not missing:
            return
        if time.monotonic() > deadline:
            raise SuiteFailure(f"{len(missing)} bad messages still not in the DLQ after {timeout}s")
        time.sleep(0.5)


def _check_headers(report, dead_letters):
    """Every DLQ record says why, on one line each (no header injection from the input)."""
    missing_code, multiline = 0, []
    for key, records in dead_letters.items():
        for record in records:
            headers = record["headers"]
            if not headers.get("x-coupon-error-code") or not headers.get("x-coupon-error-reason"):
                missing_code += 1
            for name, value in headers.items():
                if name.startswith("x-coupon-error-") and any(ch in value for ch in "\r\n\x00"):
                    multiline.append((key, name, value[:80]))
    report.expect(missing_code == 0, f"{missing_code} DLQ records lack x-coupon-error-code/-reason")
    report.expect(not multiline, f"{len(multiline)} x-coupon-error-* headers contain CR/LF/NUL: {multiline[:3]}")
