"""Progress, measured (issue 15): stall time, rebalances seen by the workers, and the
static-membership settings of the `*_static` scenario variants.

Stall time: a command is *waiting* from the moment the suite's producer sent it until the
independent results consumer received its first result. The results consumer stamps every
result record with its arrival time (monotonic clock, the same one as the send stamps).
A stall is a gap of at least `STALL_FLOOR_SECONDS` between two consecutive result arrivals
(or from the first send to the first result, or from the last result to the end of the
observation when results are missing) during which at least one command was waiting;
it is counted from the later of the gap's start and the earliest send of a command still
waiting at the gap's end. Shorter gaps are the ordinary spacing of results at this load
and are not counted.

Rebalances: every assignment a worker takes part in is logged once by its
RevokeCoordinator, `"msg":"partitions assigned"` with `partitions` and `generation`. The
count is over every log of every worker process of the scenario. That `generation` is the
process's own assignment counter (Kafka module, AssignmentGenerations), not the consumer
group's generation id, which the worker does not log; so the distinct group generations
cannot be read from the logs. What is shown instead is the number of *rounds*: assignment
lines grouped when less than `ROUND_GAP_SECONDS` apart (the log's timestamps have whole
seconds), i.e. about one per group rebalance.
"""

import bisect
import glob
import json
import os
from datetime import datetime

STALL_FLOOR_SECONDS = 1.0
ROUND_GAP_SECONDS = 2

# A session timeout above the worst restart of the crash and shutdown scenarios (up to 2 s
# before the restart, a few seconds to start, 10 s of shutdown grace).
STATIC_SESSION_TIMEOUT_MS = "15000"


def static_member_env(slot):
    """The environment that makes a worker slot a static group member: a stable
    group.instance.id per slot (`worker-<slot index>`) that every (re)start of the slot keeps."""
    instance_id = f"worker-{slot.index}"
    return {
        "COUPON_KAFKA_INSTANCE_ID": instance_id,
        "COUPON_KAFKA_SESSION_TIMEOUT_MS": STATIC_SESSION_TIMEOUT_MS,
    }


def stall_intervals(sent_at, first_result_at, arrivals, until):
    """The stalls of the observation: [(monotonic start, seconds)].

    `sent_at`: {command: monotonic send time}; `first_result_at`: {command: monotonic time of
    its first result} (absent: none yet); `arrivals`: monotonic times of every result record
    received; `until`: the end of the observation."""
    if not sent_at:
        return []
    inf = float("inf")
    # Commands by the time their waiting ended; suffix minima of their send times answer
    # "the earliest send among the commands still waiting at time b".
    ends = sorted((first_result_at.get(c, inf), s) for c, s in sent_at.items())
    end_times = [e for e, _ in ends]
    earliest_send = [inf] * (len(ends) + 1)
    for i in range(len(ends) - 1, -1, -1):
        earliest_send[i] = min(ends[i][1], earliest_send[i + 1])
    start = min(sent_at.values())
    points = [start] + sorted(t for t in arrivals if t >= start) + [max(until, start)]
    found = []
    for a, b in zip(points, points[1:]):
        if b - a < STALL_FLOOR_SECONDS:
            continue
        # Waiting in (a, b) means sent before b and answered at b or later.
        begin = max(a, earliest_send[bisect.bisect_left(end_times, b)])
        if b - begin >= STALL_FLOOR_SECONDS:
            found.append((begin, float(b - begin)))
    return found


def assignments(log_dir):
    """The "partitions assigned" lines of the RevokeCoordinator in every worker log under
    `log_dir`: [(wall time in seconds, worker process name, partitions)]."""
    found = []
    for path in sorted(glob.glob(os.path.join(log_dir, "worker*.err")) + glob.glob(os.path.join(log_dir, "worker*.out"))):
        process = os.path.basename(path).rsplit(".", 1)[0]
        with open(path, "rb") as f:
            for raw in f:
                if b"partitions assigned" not in raw:
                    continue
                try:
                    line = json.loads(raw)
                except ValueError:
                    continue
                # The Kafka layer logs each assignment too ("kafka.partitions"); the
                # RevokeCoordinator's line (with "generation") is the one counted.
                if line.get("msg") != "partitions assigned" or "generation" not in line:
                    continue
                try:
                    ts = datetime.strptime(line.get("ts", ""), "%Y-%m-%dT%H:%M:%SZ").timestamp()
                except ValueError:
                    ts = None
                found.append((ts, process, line.get("partitions")))
    return found


def rebalance_rounds(found):
    """Assignment lines grouped into rounds: lines less than ROUND_GAP_SECONDS apart."""
    times = sorted(ts for ts, _, _ in found if ts is not None)
    rounds = 0
    previous = None
    for ts in times:
        if previous is None or ts - previous >= ROUND_GAP_SECONDS:
            rounds += 1
        previous = ts
    return rounds


def comparison(dynamic, static):
    """One line comparing a scenario without and with static membership."""
    def pair(a, b, unit=""):
        return f"{a}{unit} vs {b}{unit}"
    f, g = dynamic.figures, static.figures
    faults = [k for k in ("SIGKILLs", "SIGTERMs under load") if k in f.extra or k in g.extra]
    return (f"{dynamic.name} vs {static.name} (without vs with static membership): "
            f"send phase {pair(f.extra.get('send phase (s)'), g.extra.get('send phase (s)'), 's')}, "
            + "".join(f"{k} {pair(f.extra.get(k), g.extra.get(k))}, " for k in faults) +
            f"stall {pair(f.stall_seconds, g.stall_seconds, 's')} "
            f"(longest {pair(f.longest_stall_seconds, g.longest_stall_seconds, 's')}), "
            f"replayed results {pair(f.replayed, g.replayed)}, "
            f"partition assignments {pair(f.partition_assignments, g.partition_assignments)} "
            f"(rounds {pair(f.rebalance_rounds, g.rebalance_rounds)})"
            f"{'' if dynamic.passed and static.passed else '; NOT both passed'}")
