"""Crash: 3 workers on PostgreSQL; a random one SIGKILLed every few seconds and restarted,
while WeChat and zvcms issue commands stream in. The sandboxes forget duplicates, so only the
worker's idempotency guard stands between a crash and a second coupon.

`crash_static` runs the same body with static group membership (progress.static_member_env:
each slot keeps its group.instance.id across restarts) and the same seed: the commands and
the kill schedule (times, victims, restart delays) come from random generators seeded by the
suite's seed and the scenario alone, so both variants draw the same ones."""

import random
import signal
import time

from ..commands import issue_mix, run_tag
from ..figures import ScenarioReport, tally
from ..load import await_results, send_paced
from ..progress import static_member_env
from ..stack import Stack

# Short leases so a killed worker's claims are taken over within the run; the provider
# timeout stays well inside the lease, so a live call never outlasts its claim.
WORKER_CONFIG = {
    "worker": {"lease_seconds": 10, "provider_timeout_seconds": 3, "shutdown_grace_seconds": 10},
    "zvcms": {"accounts": [{"rate_per_second": 50}]},
}


def run(suite):
    return _run(suite, "crash", static=False)


def run_static(suite):
    return _run(suite, "crash_static", static=True)


def _run(suite, name, static):
    report = ScenarioReport(name)
    # Not the suite's shared generator: its state depends on what ran before, and the two
    # variants must draw the same commands and the same kill schedule.
    rng = random.Random(f"{suite.seed}/crash/schedule")
    count = suite.size(1500, 10000)
    send_seconds = suite.size(40, 240)
    if static:
        # CI time: the static variant sends half the commands in half the time (the same rate,
        # the first half of the same commands) and so meets the first half of the very same
        # kill schedule, then the same few seconds of kills after the sending. At full
        # length it took 93 s, at half 75 s (seed 7): the mock stalls for tens of seconds
        # per restart of a static member (README, "Static membership variants").
        count, send_seconds = count // 2, send_seconds // 2
    stack = Stack(suite, name, workers=3, worker_config=WORKER_CONFIG,
                  slot_env=static_member_env if static else None)
    try:
        stack.start()
        commands = issue_mix(run_tag() + "-C", count, random.Random(f"{suite.seed}/crash/commands"))
        kills = {"count": 0, "next_at": rng.uniform(2, 5)}
        pending_restarts = []  # (due time, slot)

        def chaos(elapsed):
            now = time.monotonic()
            for due, slot in list(pending_restarts):
                if now >= due:
                    pending_restarts.remove((due, slot))
                    stack.restart(slot)
            if elapsed >= kills["next_at"]:
                candidates = [s for s in stack.slots if s.alive() and all(s is not p for _, p in pending_restarts)]
                if candidates:
                    slot = rng.choice(candidates)
                    stack.kill(slot, signal.SIGKILL)
                    kills["count"] += 1
                    pending_restarts.append((now + rng.uniform(0.2, 2.0), slot))
                kills["next_at"] = elapsed + rng.uniform(2, 6)

        send_paced(stack, commands, send_seconds, on_tick=chaos)
        # Keep killing a little longer than the sending, then let every worker come back.
        chaos_until = time.monotonic() + suite.size(10, 30)
        started = time.monotonic()
        while time.monotonic() < chaos_until:
            chaos(send_seconds + time.monotonic() - started)
            time.sleep(0.05)
        for due, slot in pending_restarts:
            stack.restart(slot)
        pending_restarts.clear()
        await_results(stack, commands, suite.size(180, 600), report)
        report.figures.extra["send phase (s)"] = send_seconds
        report.figures.extra["SIGKILLs"] = kills["count"]
        tally(report, stack, commands)
        report.expect(kills["count"] > 0, "no worker was killed: the scenario proved nothing")
    except Exception as error:
        report.fail(f"{type(error).__name__}: {error}")
    finally:
        stack.stop()
    return report.finish()
