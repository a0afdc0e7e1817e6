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
        let exponent = min(attempt - 1, 30)
        let ceiling = min(maxDelay, baseDelay * (1 << exponent))
        let delay = ceiling * random
        return elapsed + delay < budget ? delay : nil
    }
}
