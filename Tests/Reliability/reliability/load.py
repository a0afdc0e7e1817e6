"""Sending commands at a steady pace while faults happen, and waiting for their results."""

import time

from .control import http
from .kafka_clients import where_they_stand


def send_paced(stack, commands, seconds, on_tick=None):
    """Sends `commands` evenly over `seconds`; `on_tick(elapsed)` runs about 20 times a second
    (that is where scenarios inject their faults)."""
    started = time.monotonic()
    sent = 0
    total = len(commands)
    while sent < total:
        elapsed = time.monotonic() - started
        due = min(total, int(elapsed / seconds * total) + 1)
        while sent < due:
            c = commands[sent]
            stack.producer.send(c.topic, c.key, c.value)
            sent += 1
        if on_tick:
            on_tick(elapsed)
        time.sleep(0.05)
    return time.monotonic() - started


def await_results(stack, commands, timeout, report, on_tick=None, quiet_seconds=3.0):
    """Flushes the producer, waits for a result per command (bounded), then for the results
    topic to go quiet so late duplicates and dead letters are counted too."""
    stack.producer.flush(180)
    delivered = stack.producer.delivered
    expected = [c.out_request_no for c in commands if c.key in delivered]
    started = time.monotonic()
    missing = stack.collector.wait_for_results(expected, timeout, on_tick=on_tick)
    waited = time.monotonic() - started
    report.figures.extra["seconds waiting for the last result"] = round(waited, 1)
    if missing:
        report.note(f"still {len(missing)} results missing after waiting {timeout:.0f}s")
        positions = {no: stack.producer.positions[no] for no in missing[:10] if no in stack.producer.positions}
        try:
            for line in where_they_stand(stack.bootstrap, stack.group, positions):
                report.note(line)
        except Exception as error:  # diagnosis only
            report.note(f"could not locate the missing records: {error}")
        for line in _diagnose(stack, missing[:5]):
            report.note(line)
    try:
        stack.collector.wait_quiet(quiet_seconds, 60)
    except Exception as error:  # a busy topic is not a failure of its own
        report.note(str(error))
    return missing


def _diagnose(stack, missing):
    """What the workers and the sandbox know of commands that got no result."""
    lines = []
    live = [slot for slot in stack.slots if slot.alive()]
    for slot in live:
        lines.append(f"{slot.name} /readyz: {slot.side_port.readiness()}")
    try:
        issuances = stack.issuances() or {}
    except Exception as error:  # diagnosis only
        issuances = {}
        lines.append(f"GET /issuances failed: {error}")
    for no in missing:
        counts = {provider: per_key.get(no, 0) for provider, per_key in issuances.items()}
        record = "no live worker"
        if live:
            try:
                status, body = http("GET", f"{live[0].side_port.base_url}/requests/{no}",
                                    headers={"Authorization": f"Bearer {stack.admin_token}"})
                record = f"HTTP {status} {body[:400].decode('utf-8', 'replace')}"
            except OSError as error:
                record = str(error)
        lines.append(f"{no}: issuances {counts}; idempotency record: {record}")
    return lines
