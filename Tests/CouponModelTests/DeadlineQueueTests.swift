import Synchronization
import TestSupport
import Testing

import CouponModel

/// The shared deadlines behind store-call deadlines and lease heartbeats, on a manual clock:
/// which ones expire, in which order, and that the queue's one task comes and goes.
@Suite("DeadlineQueue", .timeLimit(.minutes(1)))
struct DeadlineQueueTests {
    /// Collects expired deadlines' names, and lets a test wait for a number of them.
    final class Expiries: Sendable {
        private let names = Mutex<[String]>([])
        private let stream: AsyncStream<String>
        private let continuation: AsyncStream<String>.Continuation

        init() {
            (stream, continuation) = AsyncStream.makeStream()
        }

        func expire(_ name: String) -> @Sendable () -> Void {
            { [self] in
                names.withLock { $0.append(name) }
                continuation.yield(name)
            }
        }

        /// Waits until `count` more deadlines expired; returns their names in order.
        func next(_ count: Int) async -> [String] {
            var result: [String] = []
            for await name in stream {
                result.append(name)
                if result.count == count { break }
            }
            return result
        }

        var all: [String] { names.withLock { $0 } }
    }

    @Test("deadlines expire after their length in the order set; cancelled ones never do")
    func expireInOrderUnlessCancelled() async {
        let clock = ManualClock()
        let queue = DeadlineQueue(length: .seconds(10), clock: clock)
        let expiries = Expiries()
        _ = queue.set(expiries.expire("a"))
        let cancelled = queue.set(expiries.expire("b"))
        await clock.sleeps(1)  // the queue's task sleeps until a's deadline
        clock.advance(by: .seconds(4))
        _ = queue.set(expiries.expire("c"))  // due at 14 s
        queue.cancel(cancelled)
        clock.advance(by: .seconds(6))  // 10 s: a is due, c is not
        #expect(await expiries.next(1) == ["a"])
        await clock.sleeps(2)  // asleep again, now until c's deadline
        #expect(clock.pendingSleeps == [.seconds(4)])
        clock.advance(by: .seconds(4))
        #expect(await expiries.next(1) == ["c"])
        #expect(expiries.all == ["a", "c"])
        #expect(queue.pendingCount == 0)
    }

    @Test("the queue's task ends when nothing is pending, and a later deadline starts another")
    func tickerComesAndGoes() async {
        let clock = ManualClock()
        let queue = DeadlineQueue(length: .seconds(3), clock: clock)
        let expiries = Expiries()
        let first = queue.set(expiries.expire("first"))
        await clock.sleeps(1)
        queue.cancel(first)
        clock.advance(by: .seconds(3))  // wakes for a cancelled deadline, finds none, ends
        let second = queue.set(expiries.expire("second"))
        _ = second
        await clock.sleeps(2)  // a task sleeps for the new deadline
        #expect(clock.pendingSleeps == [.seconds(3)])
        clock.advance(by: .seconds(3))
        #expect(await expiries.next(1) == ["second"])
        #expect(expiries.all == ["second"])
    }
}
