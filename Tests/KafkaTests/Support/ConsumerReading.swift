import Kafka

extension KafkaConsumer {
    /// Reads the next `count` records (waits for them; the suite's time limit bounds it).
    func read(_ count: Int) async throws -> [KafkaConsumerMessage] {
        var result: [KafkaConsumerMessage] = []
        var iterator = messages.makeAsyncIterator()
        while result.count < count, let message = try await iterator.next() {
            result.append(message)
        }
        return result
    }

    /// Reads the next record.
    func readOne() async throws -> KafkaConsumerMessage? {
        try await read(1).first
    }
}

extension KafkaConsumerMessage {
    var valueString: String { String(decoding: value, as: UTF8.self) }
    var keyString: String? { key.map { String(decoding: $0, as: UTF8.self) } }
}

extension String {
    var bytes: [UInt8] { Array(utf8) }
}
