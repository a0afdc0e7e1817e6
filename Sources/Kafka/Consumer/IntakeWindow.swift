import Foundation
import Synchronization

/// How far the consumer's poll thread may run ahead of the application: the records handed
/// over and not read yet, and, with a `limit`, the poll thread's wait for room.
///
/// Without a limit the poll thread empties librdkafka's queue into memory as fast as it can,
/// and the only brake left is pausing partitions, which throws away what librdkafka had
/// prefetched and costs a fetch round trip on resume: a saturated pipeline then runs in
/// bursts. With a limit the poll thread stops taking records at `limit` and goes on at
/// `resumeAt` (half of it), so librdkafka keeps its prefetch (bounded by
/// `queued.max.messages.kbytes`) and the application always finds records waiting.
///
/// Rebalances, errors and statistics are served only by polling, so the poll thread never
/// waits longer than the `waitForRoom` timeout; each poll after a timeout may take one record
/// over the limit. An application that stops reading for long must still pause partitions
/// (the worker's fetch gate) to bound memory.
final class IntakeWindow: Sendable {
    /// Records handed over at which the poll thread waits; nil: it never waits.
    let limit: Int?
    /// Records handed over at which a waiting poll thread goes on.
    let resumeAt: Int

    private let depth = Atomic<Int>(0)
    /// Whether the poll thread waits (or is about to): only then does a read signal.
    private let pollerWaits = Atomic<Bool>(false)
    /// `NSCondition` is thread-safe (its own lock guards its state).
    private let room = NSCondition()

    init(limit: Int?) {
        self.limit = limit.map { max(1, $0) }
        self.resumeAt = (self.limit ?? 2) / 2
    }

    /// Records handed over and not read yet.
    var buffered: Int { depth.load(ordering: .relaxed) }

    /// Whether the poll thread waits for room now.
    var pollerIsWaiting: Bool { pollerWaits.load(ordering: .sequentiallyConsistent) }

    /// The poll thread hands a record over (counted before it can be read, so the count never
    /// goes below zero).
    func handOver() {
        depth.add(1, ordering: .sequentiallyConsistent)
    }

    /// A record handed over was not delivered after all (the sequence had ended).
    func withdraw() {
        depth.subtract(1, ordering: .sequentiallyConsistent)
    }

    /// The application read a record; wakes the poll thread when it waits and room opened.
    func take() {
        let now = depth.subtract(1, ordering: .sequentiallyConsistent).newValue
        if now <= resumeAt && pollerWaits.load(ordering: .sequentiallyConsistent) {
            wake()
        }
    }

    /// Wakes the poll thread now (room opened, or it must stop).
    func wake() {
        room.lock()
        room.broadcast()
        room.unlock()
    }

    /// Called by the poll thread before each poll: returns at once while under the limit;
    /// otherwise waits until the application read down to `resumeAt`, the timeout passed, or
    /// `isStopped()` (after `wake()`).
    func waitForRoom(timeoutMilliseconds: Int, isStopped: () -> Bool) {
        guard let limit, depth.load(ordering: .sequentiallyConsistent) >= limit else { return }
        let deadline = Date(timeIntervalSinceNow: Double(timeoutMilliseconds) / 1000)
        room.lock()
        // Announce the wait before checking the depth: a read that lowers it after the check
        // sees the announcement and signals under the lock, which this thread only gives up
        // inside `wait`.
        pollerWaits.store(true, ordering: .sequentiallyConsistent)
        while depth.load(ordering: .sequentiallyConsistent) > resumeAt && !isStopped() {
            if !room.wait(until: deadline) { break }
        }
        pollerWaits.store(false, ordering: .sequentiallyConsistent)
        room.unlock()
    }
}
