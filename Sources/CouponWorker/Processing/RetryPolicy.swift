/// The one backoff of the worker: exponential, bounded by an attempt count and a total time
/// budget, with full jitter for provider calls.
///
/// It serves two kinds of waits:
/// - retries that may give up (provider calls, reconciliation): ``delay(afterAttempt:since:)``
///   with full jitter, nil once the attempts or the budget are used up. Every retry sends the
///   same out_request_no and the same body, freshly signed;
/// - waits that go on until something answers (an idempotency store or a results topic that
///   is down, a key another delivery holds): ``waitOut(afterAttempt:)``, the ceiling without
///   jitter, with the unbounded policies below.
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

    /// The jittered delay before the next attempt of a call whose first attempt started at
    /// `started`, or nil when the policy allows no further attempt.
    func delay(afterAttempt attempt: Int, since started: ContinuousClock.Instant) -> Duration? {
        delay(afterAttempt: attempt, elapsed: started.duration(to: .now), random: Double.random(in: 0...1))
    }

    /// The backoff ceiling after `attempt` attempts: `baseDelay` doubled per retry, at most
    /// `maxDelay`.
    public func ceiling(afterAttempt attempt: Int) -> Duration {
        let exponent = min(max(attempt - 1, 0), 30)
        return min(maxDelay, baseDelay * (1 << exponent))
    }

    /// Waits the ceiling after `attempt` failed attempts, for waits that must go on until
    /// something answers. Throws `CancellationError` when the task is cancelled meanwhile.
    func waitOut(afterAttempt attempt: Int) async throws {
        try await Task.sleep(for: ceiling(afterAttempt: attempt))
    }

    /// Without end: the budget is never used up.
    private static let endless: Duration = .seconds(Int64.max / 2)

    /// The wait between calls to an idempotency store that did not answer: 50 ms doubling
    /// to 5 s, for as long as it takes.
    public static let storeUnavailable = RetryPolicy(
        maxAttempts: .max, budget: endless, baseDelay: .milliseconds(50), maxDelay: .seconds(5))

    /// The wait before asking again for a key that another delivery holds: 50 ms doubling to 1 s.
    public static let keyBusy = RetryPolicy(
        maxAttempts: .max, budget: endless, baseDelay: .milliseconds(50), maxDelay: .seconds(1))

    /// The wait before delivering a result or dead letter again after Kafka refused it:
    /// 100 ms doubling to 5 s, for as long as it takes (an offset moves only after its
    /// result was acknowledged).
    public static let resultsUnavailable = RetryPolicy(
        maxAttempts: .max, budget: endless, baseDelay: .milliseconds(100), maxDelay: .seconds(5))
}
