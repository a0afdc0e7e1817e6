import Synchronization

/// The assignment generation of each assigned partition (see
/// `KafkaConsumerMessage.assignmentGeneration`).
///
/// Updated by the rebalance callback and read when a record is handed out, both on the
/// consumer poll thread, so a record is always stamped with the assignment it was fetched
/// under; the lock only makes the type safely shareable.
final class AssignmentGenerations: Sendable {
    private struct State {
        var latest: UInt64 = 0
        var byPartition: [KafkaTopicPartition: UInt64] = [:]
    }

    private let state = Mutex(State())

    /// Gives `partitions` a new generation, larger than every earlier one, and returns it.
    @discardableResult
    func assign(_ partitions: [KafkaTopicPartition]) -> UInt64 {
        state.withLock { state in
            state.latest += 1
            for partition in partitions {
                state.byPartition[partition] = state.latest
            }
            return state.latest
        }
    }

    func revoke(_ partitions: [KafkaTopicPartition]) {
        state.withLock { state in
            for partition in partitions {
                state.byPartition[partition] = nil
            }
        }
    }

    /// The generation `partition` is assigned under (0 if it is not assigned).
    func current(_ partition: KafkaTopicPartition) -> UInt64 {
        state.withLock { $0.byPartition[partition] ?? 0 }
    }
}
