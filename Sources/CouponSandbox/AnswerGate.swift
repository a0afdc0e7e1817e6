import Synchronization

/// Holds the answers to processed requests until a test lets them go: the explicit event
/// that puts "the provider has done it, its answer is on its way" at a moment the test
/// chooses (a revoke, a shutdown, a takeover in between), without any timing.
///
/// Closed for requests whose path contains a string, a request is processed (the coupon *is*
/// issued) — or refused by an injected HTTP status — and its answer waits at the gate until
/// ``open()``; ``waitUntilHolding(_:)`` tells
/// the test that a request got there. Open (the default), the gate holds nothing.
public final class AnswerGate: Sendable {
    private struct State {
        var pathContains: String?
        var holding: [CheckedContinuation<Void, Never>] = []
        var arrived = 0
        var watchers: [(id: Int, count: Int, continuation: CheckedContinuation<Void, Never>)] = []
        var nextWatcher = 0
    }

    private let state = Mutex(State())

    public init() {}

    /// Holds the answers of the processed requests whose path contains `pathContains`.
    public func close(pathContains: String) {
        state.withLock { $0.pathContains = pathContains }
    }

    /// Lets every held answer go, and holds no more.
    public func open() {
        let held = state.withLock { s in
            s.pathContains = nil
            defer { s.holding.removeAll() }
            return s.holding
        }
        for continuation in held { continuation.resume() }
    }

    /// Lets the earliest held answer go; the gate stays closed.
    public func releaseFirst() {
        let first = state.withLock { s in s.holding.isEmpty ? nil : s.holding.removeFirst() }
        first?.resume()
    }

    /// Returns once `count` requests in all have reached the closed gate, or once the calling
    /// task is cancelled (a test racing "sent again" against another event stops watching).
    public func waitUntilHolding(_ count: Int) async {
        let id = state.withLock { s in
            defer { s.nextWatcher += 1 }
            return s.nextWatcher
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let reached = state.withLock { s -> Bool in
                    if s.arrived >= count || Task.isCancelled { return true }
                    s.watchers.append((id, count, continuation))
                    return false
                }
                if reached { continuation.resume() }
            }
        } onCancel: {
            let watcher = state.withLock { s -> CheckedContinuation<Void, Never>? in
                guard let index = s.watchers.firstIndex(where: { $0.id == id }) else { return nil }
                return s.watchers.remove(at: index).continuation
            }
            watcher?.resume()
        }
    }

    /// Waits until `count` requests in all have reached the closed gate (processed), then lets
    /// every held answer go and holds no more: a test that counts effects after a client's
    /// timeout counts them once they happened, not in a race with that timeout.
    public func openWhenHolding(_ count: Int) async {
        await waitUntilHolding(count)
        open()
    }

    /// Called by a sandbox after processing a request to `path` (or refusing it with an
    /// injected status), before answering it.
    func pass(path: String) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let (hold, ready) = state.withLock { s -> (Bool, [CheckedContinuation<Void, Never>]) in
                guard let filter = s.pathContains, path.contains(filter) else { return (false, []) }
                s.holding.append(continuation)
                s.arrived += 1
                let ready = s.watchers.filter { $0.count <= s.arrived }.map(\.continuation)
                s.watchers.removeAll { $0.count <= s.arrived }
                return (true, ready)
            }
            for watcher in ready { watcher.resume() }
            if !hold { continuation.resume() }
        }
    }
}
