import Synchronization

/// A counting semaphore for the number of commands in flight across all partitions.
///
/// The consuming loop acquires a slot before it starts a command, so a full pipeline stops
/// reading from Kafka: that, plus pausing full partitions and the fetch gate, is the
/// backpressure. Waiting honours cancellation, so a shutdown with a full pipeline (say, the
/// store down) stops the loop instead of hanging in `acquire`.
public final class InFlightLimit: Sendable {
    private struct State {
        var available: Int
        var nextWaiter: UInt64 = 0
        /// Waiters in arrival order; a cancelled waiter's id stays until it reaches the front.
        var order: [UInt64] = []
        var head = 0
        var waiters: [UInt64: CheckedContinuation<Void, any Error>] = [:]

        /// The longest waiter still waiting, taken out of the line.
        mutating func takeFirstWaiter() -> CheckedContinuation<Void, any Error>? {
            defer {
                if head == order.count {
                    order.removeAll(keepingCapacity: true)
                    head = 0
                } else if head > 1024, head * 2 > order.count {
                    order.removeFirst(head)
                    head = 0
                }
            }
            while head < order.count {
                let id = order[head]
                head += 1
                if let waiter = waiters.removeValue(forKey: id) { return waiter }
            }
            return nil
        }
    }

    private let state: Mutex<State>
    public let capacity: Int

    public init(capacity: Int) {
        precondition(capacity > 0)
        self.capacity = capacity
        self.state = Mutex(State(available: capacity))
    }

    /// Waits for a free slot. Throws `CancellationError` if the task is cancelled before it
    /// got one (then it holds no slot).
    public func acquire() async throws(CancellationError) {
        if Task.isCancelled { throw CancellationError() }
        // A free slot means nobody waits (a release hands its slot to the first waiter): take
        // it without a continuation.
        let id = state.withLock { state -> UInt64? in
            if state.available > 0 {
                state.available -= 1
                return nil
            }
            state.nextWaiter += 1
            return state.nextWaiter
        }
        guard let id else { return }
        do {
            try await withTaskCancellationHandler {
                try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                    let granted = state.withLock { state -> Bool? in
                        // Checked under the lock: a cancellation that came before the waiter
                        // was registered is seen here, one that comes after finds it below.
                        if Task.isCancelled { return false }
                        if state.available > 0 {
                            state.available -= 1
                            return true
                        }
                        state.waiters[id] = continuation
                        state.order.append(id)
                        return nil
                    }
                    switch granted {
                    case true?: continuation.resume()
                    case false?: continuation.resume(throwing: CancellationError())
                    case nil: break
                    }
                }
            } onCancel: {
                let waiter = state.withLock { $0.waiters.removeValue(forKey: id) }
                waiter?.resume(throwing: CancellationError())
            }
        } catch {
            throw CancellationError()
        }
    }

    /// Returns a slot, handing it straight to the longest waiter if there is one.
    public func release() {
        let waiter = state.withLock { state -> CheckedContinuation<Void, any Error>? in
            if let waiter = state.takeFirstWaiter() { return waiter }
            state.available += 1
            return nil
        }
        waiter?.resume()
    }

    /// Slots in use.
    public var inUse: Int { state.withLock { capacity - $0.available } }

    /// Tasks waiting for a slot.
    public var waiting: Int { state.withLock { $0.waiters.count } }
}
