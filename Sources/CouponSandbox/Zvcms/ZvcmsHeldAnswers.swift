import NIOCore
import Synchronization

/// Answers the sandbox holds back (the `timeoutAfterProcessing` fault) until the client
/// gives up and closes its connection, or the sandbox stops.
final class ZvcmsHeldAnswers: Sendable {
    private struct State {
        var waiting: [Int: CheckedContinuation<Void, Never>] = [:]
        var nextID = 0
        var released = false
    }

    private let state = Mutex(State())

    /// Returns once `channel` closes or `releaseAll()` is called (at once if already released).
    func hold(until channel: any Channel) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let id: Int? = state.withLock { s in
                if s.released { return nil }
                s.nextID += 1
                s.waiting[s.nextID] = continuation
                return s.nextID
            }
            guard let id else {
                continuation.resume()
                return
            }
            channel.closeFuture.whenComplete { _ in self.release(id) }
        }
    }

    /// Lets every held answer go, now and from now on.
    func releaseAll() {
        let continuations = state.withLock { s in
            s.released = true
            defer { s.waiting.removeAll() }
            return Array(s.waiting.values)
        }
        for continuation in continuations { continuation.resume() }
    }

    private func release(_ id: Int) {
        state.withLock { $0.waiting.removeValue(forKey: id) }?.resume()
    }
}
