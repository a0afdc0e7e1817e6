import Synchronization

/// Group commit's queue: statements that arrive while every writer of a database is busy wait
/// here, and the next writer to become free takes all of them as one batch (one transaction).
///
/// Batching is natural: nothing waits for company. A statement that finds a writer slot free
/// starts a writer at once (``enqueue(_:)`` returns `true`), which takes it alone; statements
/// that arrive while the writers are busy accumulate and go together in the next turn.
/// There is no timer and no linger.
///
/// A writer calls ``nextBatch()`` until it returns `nil`; the same locked step that finds the
/// queue empty counts the writer out, so a statement queued at that moment either is in a
/// batch or starts a new writer, never neither.
///
/// The batcher only orders work: what a batch means (one transaction, each statement with its
/// own answer) is the driver's, which runs each batch and answers each request.
final class StatementBatcher<Request: Sendable>: Sendable {
    private struct State {
        var queued: [Request] = []
        var writers = 0
    }

    /// How many batches may run at once (1 for SQLite's one connection).
    let maximumWriters: Int
    private let state = Mutex(State())

    init(maximumWriters: Int) {
        precondition(maximumWriters > 0, "a batcher needs at least one writer")
        self.maximumWriters = maximumWriters
    }

    /// Queues `request`. Returns `true` when the caller must start a writer: fewer than
    /// ``maximumWriters`` are running, so this request need not wait for one to be free.
    func enqueue(_ request: sending Request) -> Bool {
        state.withLock { state in
            state.queued.append(request)
            guard state.writers < maximumWriters else { return false }
            state.writers += 1
            return true
        }
    }

    /// For a writer: every request queued now, in arrival order; or `nil` when none is, and
    /// then the writer has stopped (it must not call again without a new `true` from
    /// ``enqueue(_:)``).
    func nextBatch() -> [Request]? {
        state.withLock { state in
            guard !state.queued.isEmpty else {
                state.writers -= 1
                return nil
            }
            defer { state.queued.removeAll(keepingCapacity: true) }
            return state.queued
        }
    }
}
