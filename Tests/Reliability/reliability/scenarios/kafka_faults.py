"""Kafka faults via the mock cluster's control API while commands stream in: a broker down and
up again (twice, different brokers), the group coordinator moved (twice), and request errors
injected on Produce, Fetch, OffsetCommit and JoinGroup (a third worker joins right after the
JoinGroup errors are queued, so a rebalance meets them)."""

from ..commands import issue_mix, run_tag
from ..figures import ScenarioReport, tally
from ..load import await_results, send_paced
from ..stack import Stack

WORKER_CONFIG = {
    "worker": {"lease_seconds": 15, "provider_timeout_seconds": 3},
    "zvcms": {"accounts": [{"rate_per_second": 50}]},
}

# Retriable errors a real cluster returns during leader moves, restarts and rebalances.
REQUEST_ERRORS = {
    "produce": ["NOT_LEADER_FOR_PARTITION", "REQUEST_TIMED_OUT", "NOT_ENOUGH_REPLICAS", "NOT_LEADER_FOR_PARTITION"],
    "fetch": ["NOT_LEADER_FOR_PARTITION", "UNKNOWN_TOPIC_OR_PART", "REQUEST_TIMED_OUT"],
    "offset_commit": ["COORDINATOR_NOT_AVAILABLE", "NOT_COORDINATOR", "REQUEST_TIMED_OUT", "COORDINATOR_LOAD_IN_PROGRESS"],
    "join_group": ["COORDINATOR_NOT_AVAILABLE", "NOT_COORDINATOR", "REBALANCE_IN_PROGRESS"],
}


def run(suite):
    report = ScenarioReport("kafka_faults")
    rng = suite.rng
    count = suite.size(900, 10000)
    send_seconds = suite.size(40, 240)
    down_seconds = suite.size(6, 20)
    stack = Stack(suite, "kafka_faults", workers=2, worker_config=WORKER_CONFIG)
    try:
        stack.start()
        kafka = stack.kafka_control
        brokers = kafka.describe()["brokers"]
        first_down, second_down = rng.sample(brokers, 2)
        commands = issue_mix(run_tag() + "-K", count, rng)
        log = []

        def at(fraction, seconds_after=0.0):
            return send_seconds * fraction + seconds_after

        timeline = [
            (at(0.10), f"broker {first_down} down", lambda: kafka.broker_down(first_down)),
            (at(0.10, down_seconds), f"broker {first_down} up", lambda: kafka.broker_up(first_down)),
            (at(0.35), "coordinator moved", lambda: kafka.move_coordinator(stack.group, rng.choice(brokers))),
            (at(0.45), "request errors on produce, fetch, offset_commit",
             lambda: [kafka.request_errors(r, REQUEST_ERRORS[r]) for r in ("produce", "fetch", "offset_commit")]),
            (at(0.55), "join_group errors, then a third worker joins",
             lambda: (kafka.request_errors("join_group", REQUEST_ERRORS["join_group"]), stack.add_worker())),
            (at(0.70), "coordinator moved again", lambda: kafka.move_coordinator(stack.group, rng.choice(brokers))),
            (at(0.75), f"broker {second_down} down", lambda: kafka.broker_down(second_down)),
            (at(0.75, down_seconds / 2), f"broker {second_down} up", lambda: kafka.broker_up(second_down)),
            (at(0.85), "request errors on offset_commit and fetch again",
             lambda: [kafka.request_errors(r, REQUEST_ERRORS[r]) for r in ("offset_commit", "fetch")]),
        ]
        timeline.sort(key=lambda step: step[0])

        def faults(elapsed):
            while timeline and elapsed >= timeline[0][0]:
                when, what, action = timeline.pop(0)
                action()
                log.append(f"{elapsed:.0f}s {what}")

        send_paced(stack, commands, send_seconds, on_tick=faults)
        while timeline:  # a broker still down after the sending ends comes back up now
            faults(float("inf"))
        await_results(stack, commands, suite.size(180, 600), report)
        tally(report, stack, commands)
        report.note("faults: " + "; ".join(log))
    except Exception as error:
        report.fail(f"{type(error).__name__}: {error}")
    finally:
        stack.stop()
    return report.finish()
