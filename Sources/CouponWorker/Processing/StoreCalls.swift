import IdempotencyStore
import Logging

/// Calls to the idempotency store, waiting out a store that does not answer (each call has
/// the store's deadline): no command gets past a store call that did not answer, so no
/// provider is called unguarded. Readiness reads ``StoreHealth``.
struct StoreCalls: Sendable {
    /// The wait between calls to a store that did not answer.
    let backoff: RetryPolicy
    let health: StoreHealth
    let logger: Logger

    /// Runs `body` until the store answers. Input errors are thrown as `StoreError`.
    ///
    /// Without `flag`, the calling task's cancellation ends the wait (`CancellationError`).
    /// With `flag` (shielded work that holds a provider's answer), the call is tried until it
    /// answers and, once the flag is raised, one last time within the deadline.
    func run<T: Sendable>(
        _ name: String, flag: CancellationFlag? = nil, _ body: @escaping @Sendable () async throws -> T
    ) async throws -> T {
        var attempt = 0
        while true {
            if flag == nil { try Task.checkCancellation() }
            let lastTry = flag?.isRaised ?? false
            attempt += 1
            do {
                let value = try await body()
                health.markHealthy()
                return value
            } catch let error as StoreError {
                switch error {
                case .keyTooLong, .invalidInput: throw error
                case .unreachable where flag == nil && Task.isCancelled:
                    throw CancellationError()  // the store stopped waiting because we were cancelled
                default:
                    health.markUnhealthy("\(error)")
                    logger.error("idempotency store unavailable; holding work", metadata: [
                        "call": "\(name)", "error": "\(error)",
                    ])
                    if lastTry { throw CancellationError() }
                    try await backoff.waitOut(afterAttempt: attempt)
                }
            }
        }
    }
}
