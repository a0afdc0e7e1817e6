import Synchronization

/// The result of `task` once it finished, or nil if it has not finished within `deadline`.
///
/// The deadline only bounds a failure (a task that should have ended and never will), so a
/// broken implementation fails the test instead of hanging it; it is never a timing margin.
/// On nil the caller must make the task end (it is still running).
func finished<Success: Sendable, Failure: Error>(
    _ task: Task<Success, Failure>, within deadline: Duration
) async -> Result<Success, Failure>? {
    let first = FirstOffer<Result<Success, Failure>?>()
    Task { first.offer(await task.result) }
    Task {
        try? await Task.sleep(for: deadline)
        first.offer(nil)
    }
    return await first.value
}

/// Holds the first value offered; later offers are ignored.
private final class FirstOffer<Value: Sendable>: Sendable {
    private struct State {
        var value: Value?
        var offered = false
        var waiters: [CheckedContinuation<Value, Never>] = []
    }

    private let state = Mutex(State())

    func offer(_ value: Value) {
        let waiters = state.withLock { state -> [CheckedContinuation<Value, Never>] in
            guard !state.offered else { return [] }
            state.offered = true
            state.value = value
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume(returning: value) }
    }

    var value: Value {
        get async {
            await withCheckedContinuation { (continuation: CheckedContinuation<Value, Never>) in
                let ready = state.withLock { state -> Value?? in
                    if state.offered { return .some(state.value) }
                    state.waiters.append(continuation)
                    return nil
                }
                if let ready { continuation.resume(returning: ready!) }
            }
        }
    }
}

/// Waits for `event` to happen, and fails with its name if it has not within `deadline`.
///
/// Like ``finished(_:within:)``, the deadline only turns a hang into a named failure; a
/// correct run never comes near it.
func expectEvent(
    _ name: String, within deadline: Duration = .seconds(60), _ event: @escaping @Sendable () async throws -> Void
) async throws {
    let waiting = Task { try await event() }
    guard let outcome = await finished(waiting, within: deadline) else {
        waiting.cancel()
        throw Failure("waited \(deadline) for \(name); it never happened")
    }
    try outcome.get()
}
