#!/usr/bin/env python3
"""The coupon-worker reliability and security suite (issue 9).

    python3 Tests/Reliability/run.py [--long] [--binary .build/debug/coupon-worker] [--only crash,hostile]

Runs real `coupon-worker` processes (dev-kafka, sandbox --forget-duplicates, run) against
PostgreSQL ($COUPON_TEST_POSTGRES_URL), feeds them with an independent confluent-kafka
producer, reads their results and dead letters with an independent consumer, injects
crashes, Kafka faults, provider faults, store outages and hostile input, and counts. Every
scenario prints a figures table; the last line is `reliability: N passed, N failed`, and the
exit status is non-zero when an invariant failed. Logs, results and metrics of the run stay
in the run directory printed at the start.
"""

import argparse
import importlib
import os
import signal
import sys
import tempfile
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)

from reliability.figures import ScenarioReport  # noqa: E402
from reliability.progress import comparison  # noqa: E402
from reliability.processes import CHILDREN, SuiteFailure  # noqa: E402
from reliability.suite import Suite  # noqa: E402

# In order: the secrets scan comes last and reads what every earlier scenario left behind.
SCENARIOS = ["crash", "crash_static", "kafka_faults", "provider_faults", "store_faults", "hostile_input",
             "shutdown", "shutdown_static", "interleavings", "secrets"]
# Variants that run another scenario module's body: name -> (module, function). The `_static`
# ones are the same scenario with static group membership, compared with it at the end.
VARIANTS = {"crash_static": ("crash", "run_static"), "shutdown_static": ("shutdown", "run_static")}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--long", action="store_true", help="10k commands and longer fault phases")
    parser.add_argument("--binary", default=os.path.join(REPO, ".build/debug/coupon-worker"))
    parser.add_argument("--only", help="comma-separated scenario names: " + ",".join(SCENARIOS))
    parser.add_argument("--seed", type=int, default=int(time.time()))
    parser.add_argument("--run-dir", help="where logs and records go (default: a new temporary directory)")
    args = parser.parse_args()

    names = SCENARIOS if not args.only else [n.strip() for n in args.only.split(",") if n.strip()]
    unknown = [n for n in names if n not in SCENARIOS]
    if unknown:
        parser.error(f"unknown scenario(s) {unknown}; known: {SCENARIOS}")

    # A SIGTERM/SIGINT to the suite ends it through the atexit hook that stops every child.
    def interrupted(signum, _frame):
        raise SystemExit(128 + signum)
    signal.signal(signal.SIGTERM, interrupted)
    signal.signal(signal.SIGINT, interrupted)

    run_dir = args.run_dir or tempfile.mkdtemp(prefix="coupon-reliability-")
    print(f"reliability: {'long' if args.long else 'short'} mode, seed {args.seed}, binary {args.binary}")
    print(f"reliability: logs, records and metrics in {run_dir}", flush=True)
    try:
        suite = Suite(REPO, args.binary, args.long, args.seed, run_dir)
    except SuiteFailure as error:
        print(f"reliability: cannot start: {error}")
        print(f"reliability: 0 passed, {len(names)} failed")
        return 1
    if not suite.has_kafka_control:
        print("reliability: note: this dev-kafka has no --control-port; Kafka fault injection is unavailable")
    if not suite.has_sandbox_admin:
        print("reliability: note: this sandbox has no --admin-port; provider faults and issuance counts are unavailable")

    reports = []
    started = time.monotonic()
    for name in names:
        print(f"\n--- {name} ...", flush=True)
        try:
            module_name, function = VARIANTS.get(name, (name, "run"))
            module = importlib.import_module(f"reliability.scenarios.{module_name}")
            report = getattr(module, function)(suite)
        except Exception:
            report = ScenarioReport(name)
            report.fail("the scenario itself raised:\n" + traceback.format_exc())
            report.finish()
        reports.append(report)
        print(report.render(), flush=True)
    CHILDREN.stop_all()

    by_name = {r.name: r for r in reports}
    pairs = [(by_name[module], by_name[name]) for name, (module, _) in VARIANTS.items()
             if name in by_name and module in by_name]
    if pairs:
        print()
    for dynamic, static in pairs:
        print(f"reliability: {comparison(dynamic, static)}")
    passed = sum(1 for r in reports if r.passed)
    failed = len(reports) - passed
    print(f"\nreliability: total {time.monotonic() - started:.0f}s; run directory {run_dir}")
    print(f"reliability: {passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
