import Kafka
import Synchronization

/// What `PauseApplier` drives: librdkafka's pause and resume (`KafkaConsumer`), or a
/// recording stand-in in tests.
protocol PartitionPauser: Sendable {
    func pause(_ partitions: [KafkaTopicPartition]) throws(KafkaError)
    func resume(_ partitions: [KafkaTopicPartition]) throws(KafkaError)
}

extension KafkaConsumer: PartitionPauser {}

/// The worker's consumer, once it exists.
///
/// The consumer is created with the worker's rebalance listener, which needs the pause
/// applier, which needs the consumer: this slot breaks the cycle. It is filled right after
/// the consumer is created, before `subscribe`, so no rebalance (and no record) can reach the
/// applier while it is empty; a call then fails like a call on a closed consumer.
final class PartitionPauserSlot: PartitionPauser {
    private let target = Mutex<(any PartitionPauser)?>(nil)

    init() {}

    func fill(_ pauser: any PartitionPauser) {
        target.withLock { $0 = pauser }
    }

    func pause(_ partitions: [KafkaTopicPartition]) throws(KafkaError) {
        guard let pauser = target.withLock({ $0 }) else { throw KafkaError.shutDown }
        try pauser.pause(partitions)
    }

    func resume(_ partitions: [KafkaTopicPartition]) throws(KafkaError) {
        guard let pauser = target.withLock({ $0 }) else { throw KafkaError.shutDown }
        try pauser.resume(partitions)
    }
}
