import Kafka

/// Produces many records with a bounded number awaiting their delivery reports at once.
///
/// `KafkaProducer.send` returns at the record's delivery report, so sending one at a time
/// would measure one round trip (plus `linger.ms`) per record; a window keeps librdkafka's
/// batches full the way a busy application does.
enum SendWindow {
    /// Sends `count` records made by `message(index)`, at most `window` unacknowledged.
    static func send(
        count: Int, window: Int, producer: KafkaProducer, message: @escaping @Sendable (Int) -> KafkaOutgoingMessage
    ) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<count {
                if index >= window { try await group.next() }
                group.addTask { _ = try await producer.send(message(index)) }
            }
            try await group.waitForAll()
        }
    }
}
