import Kafka

/// A rebalance listener that reports every call as an event tests can wait for.
final class RebalanceRecorder: KafkaRebalanceListener {
    enum Event: Equatable, Sendable {
        case assigned(Set<KafkaTopicPartition>)
        case revoked(Set<KafkaTopicPartition>)
    }

    let events: AsyncStream<Event>
    private let continuation: AsyncStream<Event>.Continuation

    init() {
        (events, continuation) = AsyncStream.makeStream(of: Event.self)
    }

    func partitionsAssigned(_ partitions: [KafkaTopicPartition]) async {
        continuation.yield(.assigned(Set(partitions)))
    }

    func partitionsRevoked(_ partitions: [KafkaTopicPartition]) async {
        continuation.yield(.revoked(Set(partitions)))
    }

    /// Waits for the next event with a non-empty partition set.
    func nextEvent() async -> Event? {
        for await event in events {
            switch event {
            case .assigned(let partitions), .revoked(let partitions):
                if !partitions.isEmpty { return event }
            }
        }
        return nil
    }
}
