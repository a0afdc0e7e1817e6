import CouponModel
import IdempotencyStore
import Logging
import Synchronization

/// This worker's hold on one key while it acts on it: the fenced ``Lease`` of its claim, renewed
/// before every attempt and by a heartbeat during every provider interaction.
///
/// It also knows, by this process's monotonic clock, how long the lease is surely still
/// valid: a renewal that the store applied makes the lease last `duration` from the store's
/// now, which is no earlier than the moment the renewal was sent. So `sent + duration` is a
/// lower bound on the lease's end whatever the clocks of the store and of this machine say,
/// and an attempt starts only while that bound covers the provider's worst case.
final class LeaseHolder: Sendable {
    /// The holder's lease is no longer current: taken over, or already final.
    struct Lost: Error {}

    let lease: Lease
    /// How long each renewal makes the lease last.
    let duration: Duration
    private let store: any IdempotencyStore
    private let calls: StoreCalls
    /// Deadlines a third of the lease long, shared by every holder of the processor.
    private let heartbeats: DeadlineQueue<ContinuousClock>
    private let logger: Logger
    /// Before this instant the lease is surely held (unless a newer token took it).
    private let validUntil: Mutex<ContinuousClock.Instant>

    /// - Parameter grantedAfter: an instant taken before the claim that granted `lease` was sent.
    init(lease: Lease, duration: Duration, grantedAfter: ContinuousClock.Instant, store: any IdempotencyStore,
         calls: StoreCalls, heartbeats: DeadlineQueue<ContinuousClock>, logger: Logger) {
        self.lease = lease
        self.duration = duration
        self.store = store
        self.calls = calls
        self.heartbeats = heartbeats
        self.logger = logger
        self.validUntil = Mutex(grantedAfter.advanced(by: duration))
    }

    /// How long the lease is surely still held.
    var remaining: Duration { ContinuousClock.now.duration(to: validUntil.withLock { $0 }) }

    /// Counts an attempt and renews the lease, renewing again until the lease surely covers
    /// `worstCase` (a store that answers slowly eats into it). Returns the attempt count.
    /// Runs shielded (`flag`): a count is awaited to its answer, never abandoned half-way.
    func recordAttempt(covering worstCase: Duration, flag: CancellationFlag) async throws -> Int {
        let sent = ContinuousClock.now
        let lease = self.lease, duration = self.duration, store = self.store
        guard let count = try await calls.run("record attempt", flag: flag, { try await store.recordAttempt(lease, renewingFor: duration) })
        else { throw Lost() }
        held(since: sent)
        var renewals = 0
        while remaining < worstCase {
            renewals += 1
            logger.warning("lease too short for an attempt after a slow store answer; renewing", metadata: [
                "key": "\(lease.key)", "renewals": "\(renewals)",
            ])
            try await renew(for: duration, flag: flag)
        }
        return count
    }

    /// Renews the lease to `duration` from now (the store's now).
    func renew(for duration: Duration, flag: CancellationFlag? = nil) async throws {
        let sent = ContinuousClock.now
        let lease = self.lease, store = self.store
        guard try await calls.run("extend lease", flag: flag, { try await store.extendLease(lease, for: duration) })
        else { throw Lost() }
        held(since: sent, for: duration)
    }

    /// Records that the last attempt had no effect at the provider.
    func recordNoEffect(flag: CancellationFlag?) async throws {
        let lease = self.lease, store = self.store
        guard try await calls.run("record no effect", flag: flag, { try await store.recordNoEffect(lease) })
        else { throw Lost() }
    }

    /// Stores the final outcome; false when the lease is no longer current.
    func complete(_ outcome: StoredOutcome, flag: CancellationFlag?) async throws -> Bool {
        let lease = self.lease, store = self.store
        return try await calls.run("complete", flag: flag, { try await store.complete(lease, outcome: outcome) })
    }

    /// Runs `body`, a provider interaction, while a heartbeat renews the lease every third of
    /// its duration. A renewal that fails is logged and tried again at the next beat; one that
    /// is refused means a newer token holds the key: this holder's next write will be refused.
    func withHeartbeat<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) async throws -> T {
        let heartbeat = Heartbeat(holder: self)
        heartbeat.schedule()
        defer { heartbeat.stop() }
        return try await body()
    }

    /// One provider interaction's heartbeat: a deadline in the shared `heartbeats` queue that,
    /// when it comes, renews the lease in a task of its own and sets the next one.
    private final class Heartbeat: Sendable {
        private struct State {
            var stopped = false
            var next: DeadlineQueue<ContinuousClock>.Token?
            var renewal: Task<Void, Never>?
        }

        private let holder: LeaseHolder
        private let state = Mutex(State())

        init(holder: LeaseHolder) {
            self.holder = holder
        }

        func schedule() {
            state.withLock { state in
                guard !state.stopped else { return }
                state.next = holder.heartbeats.set { self.beat() }
            }
        }

        func stop() {
            let (next, renewal) = state.withLock { state in
                state.stopped = true
                return (state.next, state.renewal)
            }
            if let next { holder.heartbeats.cancel(next) }
            renewal?.cancel()
        }

        private func beat() {
            state.withLock { state in
                guard !state.stopped else { return }
                state.renewal = Task { await self.renew() }
            }
        }

        /// Renews once; sets the next beat unless the lease was lost or the interaction ended.
        private func renew() async {
            let lease = holder.lease
            let sent = ContinuousClock.now
            do {
                let renewed = try await holder.store.extendLease(lease, for: holder.duration)
                guard renewed else {
                    // A newer token holds the key: no more beats (said only while the call runs).
                    if !isStopped {
                        holder.logger.warning("lease taken over during a provider call", metadata: ["key": "\(lease.key)"])
                    }
                    return
                }
                holder.held(since: sent)
            } catch {
                if isStopped { return }
                holder.logger.warning("lease renewal failed; trying again at the next beat", metadata: [
                    "key": "\(lease.key)", "error": "\(error)",
                ])
            }
            schedule()
        }

        private var isStopped: Bool { state.withLock { $0.stopped } }
    }

    private func held(since sent: ContinuousClock.Instant, for duration: Duration? = nil) {
        let until = sent.advanced(by: duration ?? self.duration)
        validUntil.withLock { $0 = max($0, until) }
    }
}
