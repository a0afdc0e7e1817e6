"""Provider faults: both sandboxes fail at random -- 500/503, 429, timeouts after issuing,
answers that stall half-way after issuing, connection resets, wrong-signature answers, clock skew beyond 5 minutes -- plus a storm of
503s in the middle. Results may be `failed` (retries exhausted, or a terminal answer) or
`unknown` (an ambiguous zvcms issue); none may be missing and no coupon issued twice."""

from collections import Counter

from ..commands import issue_mix, run_tag
from ..figures import ScenarioReport, tally
from ..load import await_results, send_paced
from ..stack import Stack

WORKER_CONFIG = {
    # A held-back answer costs one provider timeout; keep it short so the run stays short.
    "worker": {"lease_seconds": 15, "provider_timeout_seconds": 2, "max_attempts": 5, "retry_budget_seconds": 20},
    "zvcms": {"accounts": [{"rate_per_second": 50}]},
}

FAULTS = {
    "http_500": {"fault": "http_status", "status": 500},
    "http_503": {"fault": "http_status", "status": 503},
    "http_429": {"fault": "http_status", "status": 429},
    "timeout_after_processing": {"fault": "timeout_after_processing"},
    "answer_stalls": {"fault": "answer_stalls"},
    "connection_reset": {"fault": "connection_reset"},
    "wrong_signature": {"fault": "wrong_signature"},
    "clock_skew_400s": {"fault": "clock_skew", "seconds": 400},
}
MIX = [
    dict(FAULTS["http_500"], probability=0.03),
    dict(FAULTS["http_503"], probability=0.03),
    dict(FAULTS["http_429"], probability=0.03),
    dict(FAULTS["timeout_after_processing"], probability=0.02),
    dict(FAULTS["answer_stalls"], probability=0.01),
    dict(FAULTS["connection_reset"], probability=0.02),
    dict(FAULTS["wrong_signature"], probability=0.02),
    dict(FAULTS["clock_skew_400s"], probability=0.02),
]
STORM = [dict(FAULTS["http_503"], probability=0.9)]


def run(suite):
    report = ScenarioReport("provider_faults")
    rng = suite.rng
    count = suite.size(800, 10000)
    send_seconds = suite.size(30, 200)
    storm_seconds = suite.size(4, 15)
    stack = Stack(suite, "provider_faults", workers=2, worker_config=WORKER_CONFIG)
    try:
        stack.start()
        admin = stack.sandbox_admin
        commands = issue_mix(run_tag() + "-P", count, rng)
        # Every fault kind happens at least a few times, whatever the dice say.
        for provider in ("wechat", "zvcms"):
            for fault in FAULTS.values():
                admin.inject(provider, fault, times=3)
        admin.set_mix("both", MIX)
        phase = {"storm_at": send_seconds * 0.5, "state": "mix"}

        def faults(elapsed):
            if phase["state"] == "mix" and elapsed >= phase["storm_at"]:
                admin.set_mix("both", STORM)
                phase["state"] = "storm"
            elif phase["state"] == "storm" and elapsed >= phase["storm_at"] + storm_seconds:
                admin.set_mix("both", MIX)
                phase["state"] = "mix again"

        send_paced(stack, commands, send_seconds, on_tick=faults)
        admin.clear()  # the tail finishes on a healthy provider
        await_results(stack, commands, suite.size(180, 600), report)
        results, _ = tally(report, stack, commands)
        codes = Counter()
        for events in results.values():
            for e in events:
                if e.get("status") in ("failed", "unknown") and e.get("error"):
                    codes[f"{e['status']}:{e['error'].get('code')}"] += 1
        report.figures.extra["failed/unknown by error code"] = dict(codes) or "-"
        report.note("fault mix per request: " + ", ".join(
            f"{k} {m['probability']:.0%}" for k, m in zip(FAULTS, MIX)) +
            f"; a {storm_seconds}s storm of 503 at 90% mid-run; 3 of each fault queued first per provider")
    except Exception as error:
        report.fail(f"{type(error).__name__}: {error}")
    finally:
        stack.stop()
    return report.finish()
