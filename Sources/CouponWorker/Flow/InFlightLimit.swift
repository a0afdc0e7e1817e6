import Synchronization

/// A counting semaphore for the number of commands in flight across all partitions.
///
/// The consuming loop acquires a slot before it starts a command, so a full pipeline stops
/// reading from Kafka: that, plus pausing full partitions, is the backpressure.
public final class InFlightLimit: Sendable {
    private struct State {
        var available: Int
        var waiters: [CheckedContinuation<Void, Never>] = []
        var waiterHead = 0
    }

    private let state: Mutex<State>
    public let capacity: Int

    public init(capacity: Int) {
        precondition(capacity > 0)
        self.capacity = capacity
        self.state = Mutex(State(available: capacity))
    }

    /// Waits for a free slot.
    public func acquire() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let granted = state.withLock { s -> Bool in
                if s.available > 0 {
                    s.available -= 1
                    return true
                }
                s.waiters.append(continuation)
                return false
            }
            if granted { continuation.resume() }
        }
    }

    /// Returns a slot, handing it straight to the longest waiter if there is one.
    public func release() {
        let waiter = state.withLock { s -> CheckedContinuation<Void, Never>? in
            if s.waiterHead < s.waiters.count {
                let w = s.waiters[s.waiterHead]
                s.waiterHead += 1
                if s.waiterHead == s.waiters.count {
                    s.waiters.removeAll(keepingCapacity: true)
                    s.waiterHead = 0
                }
                return w
            }
            s.available += 1
            return nil
        }
        waiter?.resume()
    }

    /// Slots in use.
    public var inUse: Int { state.withLock { capacity - $0.available } }
}
