import Synchronization

/// Holds answers back (the `.timeoutAfterProcessing` fault) until the sandbox stops or a
/// bound passes, whichever comes first, so a client sees a processed request time out.
final class ResponseHold: Sendable {
    private enum Waiter {
        case waiting(CheckedContinuation<Void, Never>)
        case cancelledEarly
    }

    private struct State {
        var released = false
        var nextID = 0
        var waiters: [Int: Waiter] = [:]
    }

    private let state = Mutex(State())

    /// Returns when `releaseAll()` is called, `bound` has passed, or the task is cancelled.
    func wait(bound: Duration) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { try? await Task.sleep(for: bound) }
            group.addTask { await self.waitForRelease() }
            await group.next()
            group.cancelAll()
        }
    }

    /// Lets every held answer go and makes later holds return at once.
    func releaseAll() {
        let continuations = state.withLock { s -> [CheckedContinuation<Void, Never>] in
            s.released = true
            let waiting = s.waiters.values.compactMap { waiter -> CheckedContinuation<Void, Never>? in
                if case .waiting(let c) = waiter { return c }
                return nil
            }
            s.waiters.removeAll()
            return waiting
        }
        continuations.forEach { $0.resume() }
    }

    private func waitForRelease() async {
        let id = state.withLock { s -> Int in
            s.nextID += 1
            return s.nextID
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { s -> Bool in
                    if s.released { return true }
                    if case .cancelledEarly = s.waiters[id] {
                        s.waiters[id] = nil
                        return true
                    }
                    s.waiters[id] = .waiting(continuation)
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            let continuation = state.withLock { s -> CheckedContinuation<Void, Never>? in
                if case .waiting(let c) = s.waiters[id] {
                    s.waiters[id] = nil
                    return c
                }
                s.waiters[id] = .cancelledEarly
                return nil
            }
            continuation?.resume()
        }
    }
}
