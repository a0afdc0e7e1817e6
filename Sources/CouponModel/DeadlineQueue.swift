import Synchronization

/// Deadlines that all have the same `length`, served by at most one sleeping task.
///
/// Every store call has a deadline (the store's drivers) and every provider interaction a
/// lease heartbeat (the worker), and nearly all of them end long before it comes. A task and
/// a timer of their own each were a large share of a command's CPU. Since every deadline here
/// is "now + `length`", they come due in the order they were set: one task that sleeps until
/// the oldest pending deadline serves them all, and it ends when none is pending (the next
/// `set` starts another).
public final class DeadlineQueue<C: Clock>: Sendable where C.Duration == Duration {
    /// One deadline that was set; `cancel` it once it is no longer needed.
    public struct Token: Sendable, Hashable {
        fileprivate let id: UInt64
    }

    /// Dues are kept as offsets from the queue's `origin`, so the bookkeeping is not generic
    /// over the clock: generic arrays of clock instants cost a metadata lookup per call.
    private struct Entry {
        var due: Duration
        var expire: @Sendable () -> Void
    }

    private struct State {
        /// Deadlines in the order they were set (= the order they come due), by id:
        /// `entries[id - firstID]`, nil once expired or cancelled. Ids are consecutive, so
        /// setting and cancelling are an append and an index, with no hashing.
        var entries: [Entry?] = []
        /// The id of `entries[0]`.
        var firstID: UInt64 = 1
        /// Entries before this index are all nil.
        var head = 0
        var pendingCount = 0
        var tickerRuns = false

        mutating func append(_ entry: Entry) -> UInt64 {
            entries.append(entry)
            pendingCount += 1
            return firstID + UInt64(entries.count - 1)
        }

        mutating func remove(_ id: UInt64) {
            guard id >= firstID, id - firstID < UInt64(entries.count) else { return }
            let index = Int(id - firstID)
            if entries[index] != nil {
                entries[index] = nil
                pendingCount -= 1
            }
        }

        /// The oldest pending deadline, dropping expired and cancelled ones ahead of it.
        mutating func oldest() -> (id: UInt64, entry: Entry)? {
            while head < entries.count {
                if let entry = entries[head] { return (firstID + UInt64(head), entry) }
                head += 1
            }
            firstID += UInt64(entries.count)
            entries.removeAll(keepingCapacity: true)
            head = 0
            return nil
        }

        mutating func removeHead(_ id: UInt64) {
            remove(id)
            head += 1
            if head > 1024, head * 2 > entries.count {
                entries.removeFirst(head)
                firstID += UInt64(head)
                head = 0
            }
        }
    }

    /// How long after `set` each deadline comes due.
    public let length: Duration
    private let clock: C
    /// The instant dues are measured from.
    private let origin: C.Instant
    private let state = Mutex(State())

    public init(length: Duration, clock: C) {
        self.length = length
        self.clock = clock
        self.origin = clock.now
    }

    /// Now, as an offset from `origin`.
    private var elapsed: Duration { origin.duration(to: clock.now) }

    /// Calls `expire` (on the queue's task) once `length` has passed, unless cancelled first.
    public func set(_ expire: @escaping @Sendable () -> Void) -> Token {
        let due = elapsed + length
        let (id, startTicker) = state.withLock { state -> (UInt64, Bool) in
            let id = state.append(Entry(due: due, expire: expire))
            defer { state.tickerRuns = true }
            return (id, !state.tickerRuns)
        }
        if startTicker {
            Task.detached { await self.serve() }
        }
        return Token(id: id)
    }

    /// The deadline is no longer needed; its `expire` will not be called (unless it runs now).
    public func cancel(_ token: Token) {
        state.withLock { $0.remove(token.id) }
    }

    /// Deadlines set and neither expired nor cancelled.
    public var pendingCount: Int { state.withLock { $0.pendingCount } }

    /// Sleeps until the oldest pending deadline, expires every deadline that is due, and
    /// ends when nothing is pending.
    private func serve() async {
        while true {
            let next = state.withLock { state -> Duration? in
                guard let (_, entry) = state.oldest() else {
                    state.tickerRuns = false
                    return nil
                }
                return entry.due
            }
            guard let next else { return }
            try? await clock.sleep(until: origin.advanced(by: next), tolerance: nil)
            let now = elapsed
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
