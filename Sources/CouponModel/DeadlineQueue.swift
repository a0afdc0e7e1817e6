import Synchronization

/// Deadlines that all have the same `length`, served by at most one sleeping task.
///
/// Every store call has a deadline (the store's drivers) and every provider interaction a
/// lease heartbeat (the worker), and nearly all of them end long before it comes. A task and a timer of their own each were a
/// large share of a command's CPU. Since every deadline here is "now + `length`", they come
/// due in the order they were set: one task that sleeps until the oldest pending deadline
/// serves them all, and it ends when none is pending (the next `set` starts another).
public final class DeadlineQueue<C: Clock>: Sendable where C.Duration == Duration {
    /// One deadline that was set; `cancel` it once it is no longer needed.
    public struct Token: Sendable, Hashable {
        fileprivate let id: UInt64
    }

    private struct Entry {
        var due: C.Instant
        var expire: @Sendable () -> Void
    }

    private struct State {
        var nextID: UInt64 = 0
        /// Pending deadlines, by id.
        var pending: [UInt64: Entry] = [:]
        /// Ids in the order they were set (= the order they come due); cancelled ones are
        /// skipped when they reach the head.
        var order: [UInt64] = []
        var head = 0
        var tickerRuns = false

        /// The oldest pending deadline, dropping cancelled ids ahead of it.
        mutating func oldest() -> (id: UInt64, entry: Entry)? {
            while head < order.count {
                let id = order[head]
                if let entry = pending[id] { return (id, entry) }
                head += 1
            }
            order.removeAll(keepingCapacity: true)
            head = 0
            return nil
        }

        mutating func removeHead(_ id: UInt64) {
            pending[id] = nil
            head += 1
            if head > 1024, head * 2 > order.count {
                order.removeFirst(head)
                head = 0
            }
        }
    }

    /// How long after `set` each deadline comes due.
    public let length: Duration
    private let clock: C
    private let state = Mutex(State())

    public init(length: Duration, clock: C) {
        self.length = length
        self.clock = clock
    }

    /// Calls `expire` (on the queue's task) once `length` has passed, unless cancelled first.
    public func set(_ expire: @escaping @Sendable () -> Void) -> Token {
        let due = clock.now.advanced(by: length)
        let (id, startTicker) = state.withLock { state -> (UInt64, Bool) in
            state.nextID += 1
            state.pending[state.nextID] = Entry(due: due, expire: expire)
            state.order.append(state.nextID)
            defer { state.tickerRuns = true }
            return (state.nextID, !state.tickerRuns)
        }
        if startTicker {
            Task.detached { await self.serve() }
        }
        return Token(id: id)
    }

    /// The deadline is no longer needed; its `expire` will not be called (unless it runs now).
    public func cancel(_ token: Token) {
        _ = state.withLock { $0.pending.removeValue(forKey: token.id) }
    }

    /// Deadlines set and neither expired nor cancelled.
    public var pendingCount: Int { state.withLock { $0.pending.count } }

    /// Sleeps until the oldest pending deadline, expires every deadline that is due, and
    /// ends when nothing is pending.
    private func serve() async {
        while true {
            let next = state.withLock { state -> C.Instant? in
                guard let (_, entry) = state.oldest() else {
                    state.tickerRuns = false
                    return nil
                }
                return entry.due
            }
            guard let next else { return }
            try? await clock.sleep(until: next, tolerance: nil)
            let now = clock.now
            let due = state.withLock { state -> [@Sendable () -> Void] in
                var due: [@Sendable () -> Void] = []
                while let (id, entry) = state.oldest(), entry.due <= now {
                    state.removeHead(id)
                    due.append(entry.expire)
                }
                return due
            }
            for expire in due { expire() }
        }
    }
}
