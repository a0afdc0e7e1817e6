"""Store faults: the workers' PostgreSQL is stopped mid-run and started again (twice). While
it is down the workers must hold their work -- no provider call without a claim, so still at
most one issuance per out_request_no -- report `store_ok: false` on /readyz, and carry on by
themselves once it is back: no missing result, no restart.

The server is a private one (.ci/postgres.sh into a directory of the suite's own): the shared
test server serves other people's tests at the same time and must not be stopped under them.
"""

import time

from ..commands import issue_mix, run_tag
from ..figures import ScenarioReport, tally
from ..load import await_results, send_paced
from ..postgres import PrivateCluster
from ..stack import Stack

WORKER_CONFIG = {
    "worker": {"lease_seconds": 15, "provider_timeout_seconds": 3},
    "zvcms": {"accounts": [{"rate_per_second": 50}]},
}


def run(suite):
    report = ScenarioReport("store_faults")
    rng = suite.rng
    count = suite.size(700, 10000)
    send_seconds = suite.size(35, 200)
    outages = [(0.25, suite.size(10, 30)), (0.70, suite.size(4, 10))]  # (when, seconds down)
    cluster = None
    stack = None
    try:
        cluster = PrivateCluster(suite.repo)
        stack = Stack(suite, "store_faults", workers=2, worker_config=WORKER_CONFIG, store_url=cluster.url)
        stack.start()
        commands = issue_mix(run_tag() + "-S", count, rng)
        state = {"down_since": None, "down_until": None, "pending": list(outages), "outages": 0,
                 "unhealthy_seen": 0, "results_while_down": 0, "answered_at_stop": 0}

        def faults(elapsed):
            if state["down_since"] is None and state["pending"] and elapsed >= send_seconds * state["pending"][0][0]:
                _, seconds = state["pending"].pop(0)
                cluster.stop()
                state["down_since"] = time.monotonic()
                state["down_until"] = state["down_since"] + seconds
                state["outages"] += 1
                state["answered_at_stop"] = None
            elif state["down_since"] is not None:
                now = time.monotonic()
                # Results still in the pipe when the store went away may arrive for a moment.
                if state["answered_at_stop"] is None and now - state["down_since"] >= 3:
                    state["answered_at_stop"] = stack.collector.result_count
                if any((s.side_port.readiness() or {}).get("store_ok") is False for s in stack.slots if s.alive()):
                    state["unhealthy_seen"] += 1
                if now >= state["down_until"]:
                    if state["answered_at_stop"] is not None:
                        state["results_while_down"] += stack.collector.result_count - state["answered_at_stop"]
                    cluster.start()
                    state["down_since"] = None

        send_paced(stack, commands, send_seconds, on_tick=faults)
        while state["down_since"] is not None or state["pending"]:
            faults(send_seconds + 1)
            time.sleep(0.2)
        await_results(stack, commands, suite.size(180, 600), report)
        tally(report, stack, commands)
        f = report.figures
        f.extra["store outages"] = state["outages"]
        f.extra["/readyz polls with store_ok false"] = state["unhealthy_seen"]
        f.extra["results while the store was down (after 3s)"] = state["results_while_down"]
        # Pausing is the promise; /readyz only learns of the outage from a store call that
        # failed (calls waiting on the pool for a connection do not fail), so it is a finding.
        report.expect(state["results_while_down"] == 0,
                      f"{state['results_while_down']} results were published while the store was down: "
                      "every result needs the store (claim, then outcome) first")
        if state["unhealthy_seen"] == 0:
            report.note("no worker reported store_ok: false on /readyz during the outages: their store calls "
                        "waited for a connection instead of failing, so readiness stayed green")
        report.expect(stack.restarts == 0, f"workers restarted {stack.restarts} times: they must ride out the outage")
    except Exception as error:
        report.fail(f"{type(error).__name__}: {error}")
    finally:
        if stack:
            stack.stop()
        if cluster:
            cluster.destroy()
    return report.finish()
