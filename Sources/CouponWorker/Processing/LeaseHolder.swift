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
    private let logger: Logger
    /// Before this instant the lease is surely held (unless a newer token took it).
    private let validUntil: Mutex<ContinuousClock.Instant>

    /// - Parameter grantedAfter: an instant taken before the claim that granted `lease` was sent.
    init(lease: Lease, duration: Duration, grantedAfter: ContinuousClock.Instant, store: any IdempotencyStore,
         calls: StoreCalls, logger: Logger) {
        self.lease = lease
        self.duration = duration
        self.store = store
        self.calls = calls
        self.logger = logger
        self.validUntil = Mutex(grantedAfter.advanced(by: duration))
    }

    /// How long the lease is surely still held.
    var remaining: Duration { ContinuousClock.now.duration(to: validUntil.withLock { $0 }) }

    /// Counts an attempt and renews the lease, renewing again until the lease surely covers
    /// `worstCase` (a store that answers slowly eats into it). Returns the attempt count.
    func recordAttempt(covering worstCase: Duration) async throws -> Int {
        let sent = ContinuousClock.now
        let lease = self.lease, duration = self.duration, store = self.store
        guard let count = try await calls.run("record attempt", { try await store.recordAttempt(lease, renewingFor: duration) })
        else { throw Lost() }
        held(since: sent)
        var renewals = 0
        while remaining < worstCase {
            renewals += 1
            logger.warning("lease too short for an attempt after a slow store answer; renewing", metadata: [
                "key": "\(lease.key)", "renewals": "\(renewals)",
            ])
            try await renew(for: duration)
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
        try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask { try await body() }
            group.addTask {
                await self.beat()
                return nil
            }
            defer { group.cancelAll() }
            while let next = try await group.next() {
                if let value = next { return value }
            }
            throw CancellationError()  // unreachable: the body's task always yields a value or throws
        }
    }

    private func beat() async {
        let period = duration / 3
        while true {
            do { try await Task.sleep(for: period) } catch { return }
            let sent = ContinuousClock.now
            do {
                if try await StoreDeadline.run(within: calls.deadline, { [lease, duration, store] in
                    try await store.extendLease(lease, for: duration)
                }) {
                    held(since: sent)
                } else {
                    logger.warning("lease taken over during a provider call", metadata: ["key": "\(lease.key)"])
                    return
                }
            } catch {
                if Task.isCancelled { return }
                logger.warning("lease renewal failed; trying again at the next beat", metadata: [
                    "key": "\(lease.key)", "error": "\(error)",
                ])
            }
        }
    }

    private func held(since sent: ContinuousClock.Instant, for duration: Duration? = nil) {
        let until = sent.advanced(by: duration ?? self.duration)
        validUntil.withLock { $0 = max($0, until) }
    }
}
