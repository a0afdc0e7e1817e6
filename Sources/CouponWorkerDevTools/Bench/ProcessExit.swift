import Synchronization

/// The exit status of a child process, awaited by any number of tasks.
///
/// `Process.terminationHandler` calls `finish` once the child is reaped; a waiter that is
/// cancelled first gets `nil` at once, so a task group racing a child's exit against other
/// work can always end.
public final class ProcessExit: Sendable {
    private struct State {
        var status: Int32?
        var waiters: [Int: CheckedContinuation<Int32?, Never>] = [:]
        var nextWaiter = 0
    }

    private let state = Mutex(State())

    public init() {}

    /// The status, once the child was reaped.
    public var status: Int32? { state.withLock { $0.status } }

    /// Records the status and wakes every waiter.
    public func finish(_ status: Int32) {
        let waiters = state.withLock { state in
            state.status = status
            defer { state.waiters = [:] }
            return state.waiters.values
        }
        for waiter in waiters { waiter.resume(returning: status) }
    }

    /// The exit status, or `nil` when the child has not ended within `limit`.
    public func wait(atMost limit: Duration) async -> Int32? {
        await withTaskGroup(of: Int32?.self) { group in
            group.addTask { await self.wait() }
            group.addTask {
                // A deadline, not a synchronisation: the caller kills a child that overstays.
                try? await Task.sleep(for: limit)
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first
        }
    }

    /// The exit status, or `nil` when the waiting task is cancelled before the child ends.
    public func wait() async -> Int32? {
        let id = state.withLock { state in
            defer { state.nextWaiter += 1 }
            return state.nextWaiter
        }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let resumeNow: Int32?? = state.withLock { state in
                    if let status = state.status { return .some(status) }
                    if Task.isCancelled { return .some(nil) }
                    state.waiters[id] = continuation
                    return .none
                }
                if case .some(let value) = resumeNow { continuation.resume(returning: value) }
            }
        } onCancel: {
            state.withLock { $0.waiters.removeValue(forKey: id) }?.resume(returning: nil)
        }
    }
}
