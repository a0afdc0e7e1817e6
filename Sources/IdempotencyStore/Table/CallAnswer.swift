import CouponModel
import Synchronization

/// One store call's answer, set once by whichever comes first: the database, the call's
/// deadline (``StoreError/unreachable(_:)``), or the caller's cancellation; awaited once.
///
/// postgres-nio's queries have no deadline of their own (after a database restart a query can
/// wait forever on a connection that will never answer), and an SQLite statement can wait on a
/// lock or a hung disk: past the deadline the caller gets `unreachable` and goes on (retries,
/// readiness), while the statement is left to finish on its own. It is a single statement
/// whose effect a retry sees (a claim held by us, an outcome already final).
final class CallAnswer<T: Sendable>: Sendable {
    private struct State {
        var result: Result<T, StoreError>?
        var waiter: CheckedContinuation<Result<T, StoreError>, Never>?
    }

    private let state = Mutex(State())

    /// Sets the answer unless one was set already.
    func resolve(_ result: Result<T, StoreError>) {
        let waiter = state.withLock { state -> CheckedContinuation<Result<T, StoreError>, Never>? in
            guard state.result == nil else { return nil }
            state.result = result
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume(returning: result)
    }

    /// Waits for the answer, at most until a deadline of `deadlines` set now expires. When the
    /// caller stops waiting first (the deadline, or its task cancelled: `unreachable` either
    /// way), `abandon` runs, e.g. to cancel the work that would have answered.
    func value(
        within deadlines: DeadlineQueue<ContinuousClock>, what: String, abandon: @escaping @Sendable () -> Void = {}
    ) async throws(StoreError) -> T {
        let deadline = deadlines.set { [self] in
            resolve(.failure(.unreachable("\(what): no answer within \(deadlines.length)")))
            abandon()
        }
        defer { deadlines.cancel(deadline) }
        return try await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let ready = state.withLock { state -> Result<T, StoreError>? in
                    if let result = state.result { return result }
                    state.waiter = continuation
                    return nil
                }
                if let ready { continuation.resume(returning: ready) }
            }
        } onCancel: { [self] in
            resolve(.failure(.unreachable("\(what): the call was cancelled")))
            abandon()
        }.get()
    }
}
