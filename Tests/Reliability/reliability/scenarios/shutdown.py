"""Shutdown: SIGTERM to workers under load, as a rolling deploy does (each replaced by a new
one at once). Each must exit 0 within worker.shutdown_grace_seconds (set by a --config file:
there is no variable for it), and nothing may be lost: every command gets a result, no coupon
is issued twice. The provider answers slowly, so calls are in flight when the signal comes.

`shutdown_static` runs the same body with static group membership (progress.static_member_env)
and the same seed (the same commands; half of them, see below), signals at the same fractions
of the sending and the same slots, with one difference a static member imposes: its replacement is the same slot -- the same group.instance.id --
started once the old process has exited (two live processes cannot share an instance id;
a StatefulSet's rolling update does the same), where the dynamic variant starts a new worker
at once."""

import random
import signal
import threading
import time

from ..commands import issue_mix, run_tag
from ..figures import ScenarioReport, tally
from ..load import await_results, send_paced
from ..progress import static_member_env
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
    return _run(suite, "shutdown", static=False)


def run_static(suite):
    return _run(suite, "shutdown_static", static=True)


def _run(suite, name, static):
    report = ScenarioReport(name)
    # Not the suite's shared generator: both variants send the same commands.
    rng = random.Random(f"{suite.seed}/shutdown/commands")
    count = suite.size(600, 5000)
    send_seconds = suite.size(24, 120)
    if static:
        # CI time: the static variant sends half the commands (the first half of the same
        # ones) in half the time, signalled at the same fractions of its sending. At full
        # length it took 90 s, at half 57 s (seed 7): the mock stalls for tens of seconds
        # per restart of a static member (README, "Static membership variants").
        count, send_seconds = count // 2, send_seconds // 2
    stack = Stack(suite, name, workers=2, worker_config=WORKER_CONFIG,
                  slot_env=static_member_env if static else None)
    watches = []
    replacements = []  # static: (thread, [error]) restarting a signalled slot once it exited
    try:
        stack.start()
        stack.sandbox_admin.set_mix("both", [], latency_ms=300)
        commands = issue_mix(run_tag() + "-T", count, rng)
        plan = [0.3, 0.65]
        signalled = []

        def replace_after_exit(slot, watch, errors):
            try:
                watch.join()
                stack.restart(slot)
            except Exception as error:  # reported below
                errors.append(f"{type(error).__name__}: {error}")

        def rolling_deploy(elapsed):
            if plan and elapsed >= send_seconds * plan[0]:
                plan.pop(0)
                victim = next(s for s in stack.slots if s.alive() and s not in signalled)
                signalled.append(victim)
                watch = ExitWatch(victim, under_load=True)
                watches.append(watch)
                if static:
                    errors = []
                    thread = threading.Thread(target=replace_after_exit, args=(victim, watch, errors), daemon=True)
                    thread.start()
                    replacements.append((thread, errors))
                else:
                    stack.add_worker()

        send_paced(stack, commands, send_seconds, on_tick=rolling_deploy)
        await_results(stack, commands, suite.size(180, 600), report)
        for thread, errors in replacements:
            thread.join(GRACE_SECONDS + 100)
            for error in errors:
                report.fail(f"restarting a signalled static member failed: {error}")
        # The last workers stop too, now idle: the same deadline applies.
        for slot in stack.slots:
            if slot.alive():
                watches.append(ExitWatch(slot, under_load=False))
        for watch in watches:
            watch.join()
        tally(report, stack, commands)
        f = report.figures
        f.extra["grace period (s)"] = GRACE_SECONDS
        f.extra["send phase (s)"] = send_seconds
        f.extra["SIGTERMs under load"] = sum(1 for watch in watches if watch.under_load)
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
