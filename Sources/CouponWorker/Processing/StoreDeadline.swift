import IdempotencyStore
import Synchronization

/// Runs one idempotency-store call with a deadline.
///
/// postgres-nio's queries have no deadline of their own: after a database restart a query
/// can wait forever on a connection that will never answer, and the command holding it
/// would never finish, nor release its partition. Past the deadline the call counts as
/// `StoreError.unreachable`, so the caller's retry loop and readiness take over.
///
/// A call that ignores cancellation is left to finish on its own: it is a single statement
/// whose effect the retry sees (a claim held by us, an outcome already final).
enum StoreDeadline {
    static func run<T: Sendable>(
        within deadlines: DeadlineQueue<ContinuousClock>, _ body: @escaping @Sendable () async throws -> T
    ) async throws -> T {
        let outcome = OneShot<T>()
        let call = Task { await outcome.resolve(catching: body) }
        let deadline = deadlines.set {
            outcome.resolve(.failure(StoreError.unreachable("no answer within \(deadlines.length)")))
            call.cancel()
        }
        return try await withTaskCancellationHandler {
            defer { deadlines.cancel(deadline) }
            return try await outcome.value()
        } onCancel: {
            outcome.resolve(.failure(CancellationError()))
            call.cancel()
            deadlines.cancel(deadline)
        }
    }
}

/// A result that is set once, by whichever comes first, and awaited once.
private final class OneShot<T: Sendable>: Sendable {
    private struct State {
        var result: Result<T, any Error>?
        var waiter: CheckedContinuation<T, any Error>?
    }

    private let state = Mutex(State())

    func resolve(catching body: @Sendable () async throws -> T) async {
        do { resolve(.success(try await body())) } catch { resolve(.failure(error)) }
    }

    func resolve(_ result: Result<T, any Error>) {
        let waiter = state.withLock { s -> CheckedContinuation<T, any Error>? in
            guard s.result == nil else { return nil }
            s.result = result
            defer { s.waiter = nil }
            return s.waiter
        }
        waiter?.resume(with: result)
    }

    func value() async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            let ready = state.withLock { s -> Result<T, any Error>? in
                if let result = s.result { return result }
                s.waiter = continuation
                return nil
            }
            if let ready { continuation.resume(with: ready) }
        }
    }
}
