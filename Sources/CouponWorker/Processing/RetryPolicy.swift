/// When to call a provider again after a retryable failure: exponential backoff with full
/// jitter, bounded by an attempt count and a total time budget.
///
/// Every retry sends the same out_request_no and the same body, freshly signed.
public struct RetryPolicy: Sendable, Hashable {
    /// Provider calls at most, the first included.
    public var maxAttempts: Int
    /// No new attempt starts once this much time has passed since the first.
    public var budget: Duration
    /// The backoff ceiling before the first retry; doubles per retry.
    public var baseDelay: Duration
    /// The backoff ceiling never exceeds this.
    public var maxDelay: Duration

    public init(maxAttempts: Int = 5, budget: Duration = .seconds(60), baseDelay: Duration = .milliseconds(200),
                maxDelay: Duration = .seconds(10)) {
        self.maxAttempts = max(1, maxAttempts)
        self.budget = budget
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
    }

    /// The delay before attempt `attempt + 1` after `attempt` attempts, or nil when the
    /// policy allows no further attempt. `random` draws uniformly from `0...1`.
    public func delay(afterAttempt attempt: Int, elapsed: Duration, random: Double) -> Duration? {
        guard attempt < maxAttempts, elapsed < budget else { return nil }
        let delay = ceiling(afterAttempt: attempt) * random
        return elapsed + delay < budget ? delay : nil
    }

    /// The backoff ceiling after `attempt` attempts: `baseDelay` doubled per retry, at most
    /// `maxDelay`. Waits that must go on until something answers (a store that is down) use
    /// it without jitter.
    public func ceiling(afterAttempt attempt: Int) -> Duration {
        let exponent = min(max(attempt - 1, 0), 30)
        return min(maxDelay, baseDelay * (1 << exponent))
    }

    /// The wait between calls to an idempotency store that did not answer: 50 ms doubling
    /// to 5 s, for as long as it takes.
    public static let storeUnavailable = RetryPolicy(
        maxAttempts: .max, budget: .seconds(Int64.max / 2), baseDelay: .milliseconds(50), maxDelay: .seconds(5))

    /// The wait before asking again for a key that another delivery holds: 50 ms doubling to 1 s.
    public static let keyBusy = RetryPolicy(
        maxAttempts: .max, budget: .seconds(Int64.max / 2), baseDelay: .milliseconds(50), maxDelay: .seconds(1))
}
