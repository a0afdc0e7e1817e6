import Hummingbird
import NIOCore
import Synchronization

/// Answers a sandbox holds back (the `.timeoutAfterProcessing` and `.answerStalls` faults):
/// the request was processed, and the client must see it time out.
///
/// A held answer is let go when the client closes its connection, when the sandbox stops
/// (`releaseAll`), or after `bound`, whichever comes first.
final class HeldAnswers: Sendable {
    private struct State {
        var waiting: [Int: CheckedContinuation<Void, Never>] = [:]
        var nextID = 0
        var released = false
    }

    private let state = Mutex(State())

    /// Returns once `channel` closes, `bound` passes or `releaseAll()` is called (at once if
    /// already released).
    func hold(until channel: any Channel, bound: Duration) async {
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
            channel.eventLoop.scheduleTask(in: TimeAmount(bound)) {
                self.release(id)
            }
        }
    }

    /// A body of `bytes` whose first half is sent at once and the rest only once the answer is
    /// let go (`hold(until:bound:)`): the client sees the head and part of the answer, then
    /// nothing more, and has to give up on its own.
    func stalledBody(_ bytes: ByteBuffer, channel: any Channel, bound: Duration) -> ResponseBody {
        ResponseBody(contentLength: bytes.readableBytes) { writer in
            var rest = bytes
            let firstHalf = rest.readSlice(length: bytes.readableBytes / 2) ?? ByteBuffer()
            try await writer.write(firstHalf)
            await self.hold(until: channel, bound: bound)
            try await writer.write(rest)
            try await writer.finish(nil)
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
