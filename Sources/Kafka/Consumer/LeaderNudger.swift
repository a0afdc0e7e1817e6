import CRdKafka
import Foundation
import Logging
import Synchronization

/// Wakes the fetcher of resumed partitions, so a resume is a fetch now, not in a second.
///
/// librdkafka 2.0.2's resume only clears the partition's paused flag; the leader's broker
/// thread decides what to fetch when it next wakes. While it fetches other partitions of this
/// consumer that is at once; when the resumed partitions were all it had (every one paused),
/// it sleeps until its idle wake-up, up to a second later. A worker that pauses a partition
/// per command (`partition_buffer` 1) then read one record a second from a partition that was
/// its broker's only one; the fetch gate's resume of a whole assignment waits the same second.
///
/// Any request to the leader wakes that thread. The cheapest public one in 2.0.2 is a
/// ListOffsets for the latest offset (`rd_kafka_offsets_for_times` with `RD_KAFKA_OFFSET_END`,
/// read-only, one request per leader for all partitions waiting). It blocks until answered or
/// timed out, so it runs on a thread of its own, never on the poll thread or the cooperative
/// pool. Not `rd_kafka_query_watermark_offsets`: in 2.0.2 its wait ignores its timeout (4 s
/// for a 1 s timeout when the leader answers in 4 s; with the leader down it had not returned
/// after 80 s), and a call in progress holds off the consumer's destruction. Best effort: a request
/// that fails or times out leaves the partitions to the idle wake-up, as before.
final class LeaderNudger: Sendable {
    private struct Pending {
        var partitions: [KafkaTopicPartition] = []
        var stopped = false
    }

    /// The longest a nudge waits for its answers: past librdkafka's own idle wake-up it would
    /// gain nothing, and a consumer being destroyed waits for it.
    static let timeoutMilliseconds: Int32 = 1_000

    private let pending = Mutex(Pending())
    /// `NSCondition` is thread-safe (its own lock guards its state); it only wakes the thread.
    private let signal = NSCondition()

    /// Starts the nudging thread; it ends after `stop()`.
    init(handle: RDKafkaHandle, lifecycle: ClientLifecycle, logger: Logger) {
        let thread = Thread { [self] in
            serve(handle: handle, lifecycle: lifecycle, logger: logger)
        }
        thread.name = "kafka-consumer-nudge"
        thread.start()
    }

    /// Asks for `partitions`' leaders to be woken (each partition once, however often asked
    /// before its turn).
    func nudge(_ partitions: [KafkaTopicPartition]) {
        guard !partitions.isEmpty else { return }
        pending.withLock { pending in
            for partition in partitions where !pending.partitions.contains(partition) {
                pending.partitions.append(partition)
            }
        }
        wake()
    }

    /// Ends the thread after the nudge in progress (if any); called before the handle goes.
    func stop() {
        pending.withLock { $0.stopped = true }
        wake()
    }

    private func wake() {
        signal.lock()
        signal.broadcast()
        signal.unlock()
    }

    /// The next partitions to nudge, waiting for some; nil once stopped.
    private func next() -> [KafkaTopicPartition]? {
        signal.lock()
        defer { signal.unlock() }
        while true {
            let taken = pending.withLock { pending -> [KafkaTopicPartition]? in
                if pending.stopped { return nil }
                let partitions = pending.partitions
                pending.partitions.removeAll()
                return partitions
            }
            guard let taken else { return nil }
            if !taken.isEmpty { return taken }
            // `nudge` and `stop` change `pending` before they take this lock to signal, so a
            // change after the check above wakes this wait.
            signal.wait()
        }
    }

    private func serve(handle: RDKafkaHandle, lifecycle: ClientLifecycle, logger: Logger) {
        while let partitions = next() {
            if lifecycle.isStopRequested { return }
            let list = RDKafkaTopicPartitionList(
                partitions, offsets: Array(repeating: Int64(RD_KAFKA_OFFSET_END), count: partitions.count))
            let result: rd_kafka_resp_err_t
            do {
                result = try lifecycle.withLease { () throws(KafkaError) in
                    rd_kafka_offsets_for_times(handle.pointer, list.pointer, Self.timeoutMilliseconds)
                }
            } catch {
                return  // the handle is being destroyed
            }
            if logger.logLevel <= .debug { Self.report(result, list.entries, logger: logger) }
        }
    }

    /// One debug line per partition: the latest offset its leader answered, or why the wake-up
    /// failed.
    private static func report(_ result: rd_kafka_resp_err_t, _ entries: [RDKafkaTopicPartitionList.Entry], logger: Logger) {
        for entry in entries {
            let error = result != RD_KAFKA_RESP_ERR_NO_ERROR ? KafkaErrorCode(result) : entry.error
            if error.rawValue == 0 {
                logger.debug(
                    "woke the leader of a resumed partition",
                    metadata: ["kafka.partition": "\(entry.topicPartition)", "kafka.high_watermark": "\(entry.offset)"])
            } else {
                logger.debug(
                    "could not wake the leader of a resumed partition; it is fetched at the leader's next wake-up",
                    metadata: ["kafka.partition": "\(entry.topicPartition)", "kafka.error": "\(error.name)"])
            }
        }
    }
}
