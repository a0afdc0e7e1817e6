import Synchronization

/// A token bucket: up to `burst` calls at once, then `ratePerSecond` calls per second.
///
/// Callers either wait their turn (`acquire`) or ask without waiting (`tryAcquire`).
/// A waiting caller holds a reservation, so waiters are served in the order they asked
/// and a burst of waiters is spread out at exactly the configured rate; cancelling a
/// waiter returns its reservation. Time comes from the injected clock, so tests drive it
/// by hand and never sleep. Safe to share between tasks.
public final class TokenBucket<C: Clock>: Sendable where C.Duration == Duration {
    private struct State {
        /// Tokens available now; negative while waiters hold reservations.
        var tokens: Double
        var refilledAt: C.Instant
    }

    /// Calls allowed per second once the burst is spent.
    public let ratePerSecond: Double
    /// Calls allowed at once after an idle period.
    public let burst: Int
    private let clock: C
    private let state: Mutex<State>

    /// A full bucket. `ratePerSecond` must be positive and `burst` at least 1.
    public init(ratePerSecond: Double, burst: Int, clock: C) {
        precondition(ratePerSecond > 0 && ratePerSecond.isFinite, "TokenBucket needs a positive, finite rate")
        precondition(burst >= 1, "TokenBucket needs a burst of at least 1")
        self.ratePerSecond = ratePerSecond
        self.burst = burst
        self.clock = clock
        self.state = Mutex(State(tokens: Double(burst), refilledAt: clock.now))
    }

    /// Takes a token, waiting until one is due. Throws `CancellationError` when the
    /// calling task is cancelled while waiting (its reservation is given back).
    public func acquire() async throws {
        try Task.checkCancellation()
        let deadline: C.Instant? = state.withLock { s in
            let now = clock.now
            refill(&s, now: now)
            s.tokens -= 1
            guard s.tokens < 0 else { return nil }
            return now.advanced(by: Self.duration(seconds: -s.tokens / ratePerSecond))
        }
        guard let deadline else { return }
        do {
            try await clock.sleep(until: deadline, tolerance: nil)
        } catch {
            state.withLock { $0.tokens += 1 }
            throw error
        }
    }

    /// Takes a token if one is available right now.
    public func tryAcquire() -> Bool {
        state.withLock { s in
            refill(&s, now: clock.now)
            guard s.tokens >= 1 else { return false }
            s.tokens -= 1
            return true
        }
    }

    private func refill(_ s: inout State, now: C.Instant) {
        let elapsed = s.refilledAt.duration(to: now).seconds
        if elapsed > 0 {
            s.tokens = min(Double(burst), s.tokens + elapsed * ratePerSecond)
            s.refilledAt = now
        }
    }

    private static func duration(seconds: Double) -> Duration {
        // Rounded up to the nanosecond so a waiter never wakes just before its token is due.
        .nanoseconds(Int64((seconds * 1e9).rounded(.up)))
    }
}

extension TokenBucket where C == ContinuousClock {
    /// A full bucket on the continuous clock.
    public convenience init(ratePerSecond: Double, burst: Int) {
        self.init(ratePerSecond: ratePerSecond, burst: burst, clock: ContinuousClock())
    }
}
