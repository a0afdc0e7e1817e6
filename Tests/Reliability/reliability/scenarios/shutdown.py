"""Shutdown: SIGTERM to workers under load, as a rolling deploy does (each replaced by a new
one at once). Each must exit 0 within worker.shutdown_grace_seconds (set by a --config file:
there is no variable for it), and nothing may be lost: every command gets a result, no coupon
is issued twice. The provider answers slowly, so calls are in flight when the signal comes."""

import signal
import threading
import time

from ..commands import issue_mix, run_tag
from ..figures import ScenarioReport, tally
from ..load import await_results, send_paced
from ..stack import Stack

GRACE_SECONDS = 10
# What the process may take beyond the grace period to leave: the kernel reaping it and the
# suite noticing (it polls). Not a budget for work the worker still does.
EXIT_SLACK_SECONDS = 1.5
WORKER_CONFIG = {
    "worker": {"lease_seconds": 10, "provider_timeout_seconds": 3, "shutdown_grace_seconds": GRACE_SECONDS},
    "zvcms": {"accounts": [{"rate_per_second": 50}]},
}


class ExitWatch:
    """Times one SIGTERMed process until it exits."""

    def __init__(self, slot, under_load):
        self.name = f"{slot.name} (pid {slot.process.pid})"
        self.process = slot.process
        self.under_load = under_load
        self.in_flight = (slot.side_port.readiness() or {}).get("in_flight")
        self.sent_at = time.monotonic()
        self.process.send(signal.SIGTERM)
        self.code = None
        self.seconds = None
        self._thread = threading.Thread(target=self._wait, daemon=True)
        self._thread.start()

    def _wait(self):
        self.code = self.process.wait(GRACE_SECONDS + 60)
        self.seconds = time.monotonic() - self.sent_at

    def join(self):
        self._thread.join(GRACE_SECONDS + 70)
        if self.code is None:
            self.process.send(signal.SIGKILL)


def run(suite):
    report = ScenarioReport("shutdown")
    rng = suite.rng
    count = suite.size(600, 5000)
    send_seconds = suite.size(24, 120)
    stack = Stack(suite, "shutdown", workers=2, worker_config=WORKER_CONFIG)
    watches = []
    try:
        stack.start()
        stack.sandbox_admin.set_mix("both", [], latency_ms=300)
        commands = issue_mix(run_tag() + "-T", count, rng)
        plan = [0.3, 0.65]

        def rolling_deploy(elapsed):
            if plan and elapsed >= send_seconds * plan[0]:
                plan.pop(0)
                victim = next(s for s in stack.slots if s.alive())
                watches.append(ExitWatch(victim, under_load=True))
                stack.add_worker()

        send_paced(stack, commands, send_seconds, on_tick=rolling_deploy)
        await_results(stack, commands, suite.size(180, 600), report)
        # The last workers stop too, now idle: the same deadline applies.
        for slot in stack.slots:
            if slot.alive():
                watches.append(ExitWatch(slot, under_load=False))
        for watch in watches:
            watch.join()
        tally(report, stack, commands)
        f = report.figures
        f.extra["grace period (s)"] = GRACE_SECONDS
        for watch in watches:
            label = f"exit of {watch.name}{' under load' if watch.under_load else ', idle'}"
            f.extra[label] = (f"code {watch.code} after {watch.seconds:.1f}s" if watch.seconds is not None
                              else "did not exit") + (f", {watch.in_flight} in flight" if watch.in_flight else "")
            report.expect(watch.code == 0, f"{watch.name} exited with {watch.code} after SIGTERM, not 0")
            report.expect(watch.seconds is not None and watch.seconds <= GRACE_SECONDS + EXIT_SLACK_SECONDS,
                          f"{watch.name} took {watch.seconds if watch.seconds is None else round(watch.seconds, 1)}s "
                          f"to exit after SIGTERM; the grace period is {GRACE_SECONDS}s")
    except Exception as error:
        report.fail(f"{type(error).__name__}: {error}")
    finally:
        for watch in watches:
            watch.join()
        stack.stop()
    return report.finish()
