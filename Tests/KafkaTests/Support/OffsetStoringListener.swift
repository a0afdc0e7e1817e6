import Kafka
import Synchronization

/// A rebalance listener that, like the worker, stores the offset of its finished work only
/// when told its partitions are being revoked.
final class OffsetStoringListener: KafkaRebalanceListener {
    private struct State {
        var consumer: KafkaConsumer?
        var finished: (partition: KafkaTopicPartition, nextOffset: Int64)?
        var storeError: KafkaError?
    }

    private let state = Mutex(State())

    /// Connects the consumer (it is created with this listener, so it comes second).
    func attach(_ consumer: KafkaConsumer) {
        state.withLock { $0.consumer = consumer }
    }

    /// Work up to `nextOffset` is done; its offset is stored on the next revoke.
    func finished(_ partition: KafkaTopicPartition, nextOffset: Int64) {
        state.withLock { $0.finished = (partition, nextOffset) }
    }

    var storeError: KafkaError? { state.withLock { $0.storeError } }

    func partitionsAssigned(_ partitions: [KafkaTopicPartition]) async {}

    func partitionsRevoked(_ partitions: [KafkaTopicPartition]) async {
        state.withLock { state in
            defer { state.consumer = nil }  // breaks the consumer ↔ listener cycle
            guard let consumer = state.consumer, let finished = state.finished else { return }
            do throws(KafkaError) {
                try consumer.storeOffset(finished.partition, nextOffset: finished.nextOffset)
            } catch {
                state.storeError = error
            }
        }
    }
}
