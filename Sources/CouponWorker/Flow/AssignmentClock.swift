import Synchronization

/// How long this worker has had no partition to work on, and how often its assignment changed:
/// the group's progress as one member sees it (a rebalance storm shows as time without an
/// assignment, see issue 15). Exported as `coupon_unassigned_seconds_total` and
/// `coupon_rebalances_total`.
final class AssignmentClock: Sendable {
    /// The pure part: partitions held, and the time without any.
    struct State: Sendable {
        private(set) var partitions = 0
        /// When the worker last had no partition, while it has none.
        private var unassignedSince: ContinuousClock.Instant?
        /// Time without an assignment, up to the last change or reading.
        private var accounted: Duration = .zero

        init(startedAt start: ContinuousClock.Instant) { unassignedSince = start }

        /// `delta` partitions were added (positive) or taken away (negative) at `now`.
        mutating func change(by delta: Int, at now: ContinuousClock.Instant) {
            settle(at: now)
            partitions = max(0, partitions + delta)
            if partitions == 0 {
                if unassignedSince == nil { unassignedSince = now }
            } else {
                unassignedSince = nil
            }
        }

        /// Time without an assignment since the start, counted up to `now`.
        mutating func settle(at now: ContinuousClock.Instant) {
            guard let since = unassignedSince, now > since else { return }
            accounted += since.duration(to: now)
            unassignedSince = now
        }

        var unassigned: Duration { accounted }
    }

    private let state: Mutex<State>
    private let metrics: WorkerMetrics
    /// The time without an assignment already given to the counter.
    private let reported = Mutex(Duration.zero)

    init(startedAt start: ContinuousClock.Instant = .now, metrics: WorkerMetrics) {
        state = Mutex(State(startedAt: start))
        self.metrics = metrics
    }

    func assigned(_ count: Int, at now: ContinuousClock.Instant = .now) {
        metrics.rebalance("assigned")
        update { $0.change(by: count, at: now) }
    }

    func revoked(_ count: Int, at now: ContinuousClock.Instant = .now) {
        metrics.rebalance("revoked")
        update { $0.change(by: -count, at: now) }
    }

    /// Brings the counter up to `now` (called periodically, so a long stretch without an
    /// assignment shows while it lasts).
    func report(at now: ContinuousClock.Instant = .now) {
        update { $0.settle(at: now) }
    }

    private func update(_ body: (inout State) -> Void) {
        let total = state.withLock { state in
            body(&state)
            return state.unassigned
        }
        let delta = reported.withLock { reported -> Duration in
            guard total > reported else { return .zero }
            defer { reported = total }
            return total - reported
        }
        if delta > .zero { metrics.unassigned(delta) }
    }
}
