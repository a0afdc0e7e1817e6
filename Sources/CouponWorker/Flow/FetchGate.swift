import Kafka
import Synchronization

/// Pauses fetching for the whole assignment while too many records wait in the consumer's
/// buffer for a slot in the pipeline, and resumes it once they have drained, with hysteresis.
///
/// The records wait there when the pipeline is full: the providers are slower than the input,
/// or the store or the results topic is down. Without the gate, the consumer would keep
/// fetching a backlog into memory. Closing at `closeAt` and reopening at `openAt` (well below)
/// keeps a saturated worker from pausing and resuming for every record, which costs two
/// librdkafka calls each time and discards what the consumer had prefetched.
public final class FetchGate: Sendable {
    private let paused = Mutex<[KafkaTopicPartition]?>(nil)
    /// Buffered records at which fetching pauses.
    public let closeAt: Int
    /// Buffered records at which fetching resumes.
    public let openAt: Int

    public init(closeAt: Int, openAt: Int) {
        precondition(openAt < closeAt)
        self.closeAt = closeAt
        self.openAt = openAt
    }

    /// Whether fetching is paused by the gate.
    public var isClosed: Bool { paused.withLock { $0 != nil } }

    /// Whether the gate paused `partition`: then only opening the gate may resume it.
    public func holds(_ partition: KafkaTopicPartition) -> Bool {
        paused.withLock { $0?.contains(partition) ?? false }
    }

    /// The partitions to pause now: `assignment`, when `buffered` reached `closeAt` and the
    /// gate was open; otherwise nil. `assignment` is read only then (it may cost a round trip
    /// to librdkafka's main thread).
    public func close(
        buffered: Int, assignment: () -> [KafkaTopicPartition]
    ) -> [KafkaTopicPartition]? {
        guard buffered >= closeAt, !isClosed else { return nil }
        let partitions = assignment()
        return paused.withLock { paused in
            guard paused == nil else { return nil }
            paused = partitions
            return partitions
        }
    }

    /// The partitions to resume now: those the gate paused, when `buffered` has drained to
    /// `openAt`; otherwise nil.
    public func open(buffered: Int) -> [KafkaTopicPartition]? {
        guard buffered <= openAt else { return nil }
        return paused.withLock { paused in
            guard let partitions = paused else { return nil }
            paused = nil
            return partitions
        }
    }
}
