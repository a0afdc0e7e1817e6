import Synchronization

/// Runs commands with the same key in arrival order and commands with different keys
/// concurrently.
///
/// `enqueue` is called synchronously, in arrival order, by the single consuming loop; the
/// returned `Turn` is then awaited inside the command's task. A turn starts when every
/// earlier turn of its key has finished, whatever order the tasks were scheduled in.
///
/// A task cancelled while it waits (a revoke, a shutdown) leaves the line at once: it will
/// not run its command, and later turns of its key must not wait for it. Its `end` is then a
/// no-op. A revoke waits for its commands' tasks, so a cancelled waiter must not wait for a
/// turn of the same key on another partition that nobody cancelled.
public final class KeyedScheduler: Sendable {
    private struct Queue {
        var waiting: [UInt64: CheckedContinuation<Void, Never>] = [:]
        /// Tickets in line; `order[head]` holds the turn.
        var order: [UInt64] = []
        var head = 0
    }

    private struct State {
        var nextTicket: UInt64 = 0
        var queues: [String: Queue] = [:]
    }

    private let state = Mutex(State())

    public init() {}

    /// A place in the line of one key.
    public struct Turn: Sendable {
        let key: String
        let ticket: UInt64
    }

    /// Takes the next place in `key`'s line.
    public func enqueue(key: String) -> Turn {
        state.withLock { s in
            let ticket = s.nextTicket
            s.nextTicket += 1
            s.queues[key, default: Queue()].order.append(ticket)
            return Turn(key: key, ticket: ticket)
        }
    }

    /// Suspends until every earlier turn of the same key has ended, or until the task is
    /// cancelled: then the turn has left the line, and the caller must not run its command
    /// (check `Task.isCancelled` / `Task.checkCancellation()` after waiting).
    public func wait(for turn: Turn) async {
        // The usual case, a key with nothing ahead of it: no continuation.
        let first = state.withLock { s in s.queues[turn.key].map { $0.order[$0.head] == turn.ticket } ?? true }
        if first { return }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let runNow = state.withLock { s -> Bool in
                    guard var queue = s.queues[turn.key] else { return true }
                    if queue.order[queue.head] == turn.ticket { return true }
                    if Task.isCancelled {
                        // Cancelled before it could wait: leave the line now.
                        Self.withdraw(turn.ticket, from: &queue)
                        s.queues[turn.key] = queue
                        return true
                    }
                    queue.waiting[turn.ticket] = continuation
                    s.queues[turn.key] = queue
                    return false
                }
                if runNow { continuation.resume() }
            }
        } onCancel: {
            let waiter = state.withLock { s -> CheckedContinuation<Void, Never>? in
                guard var queue = s.queues[turn.key], let waiter = queue.waiting.removeValue(forKey: turn.ticket) else {
                    return nil  // its turn came already (or it is not waiting yet: it sees the flag)
                }
                Self.withdraw(turn.ticket, from: &queue)
                s.queues[turn.key] = queue
                return waiter
            }
            waiter?.resume()
        }
    }

    /// Ends `turn` and lets the next turn of its key start; does nothing for a turn that left
    /// the line by cancellation.
    public func end(_ turn: Turn) {
        let next = state.withLock { s -> CheckedContinuation<Void, Never>? in
            guard var queue = s.queues[turn.key], queue.order[queue.head] == turn.ticket else { return nil }
            queue.head += 1
            if queue.head == queue.order.count {
                s.queues[turn.key] = nil
                return nil
            }
            let nextTicket = queue.order[queue.head]
            let continuation = queue.waiting.removeValue(forKey: nextTicket)
            s.queues[turn.key] = queue
            return continuation
        }
        next?.resume()
    }

    /// Number of keys with a turn waiting or running.
    public var activeKeys: Int { state.withLock { $0.queues.count } }

    /// Takes a waiting (never the running) ticket out of the line.
    private static func withdraw(_ ticket: UInt64, from queue: inout Queue) {
        if let index = queue.order[(queue.head + 1)...].firstIndex(of: ticket) {
            queue.order.remove(at: index)
        }
    }
}
