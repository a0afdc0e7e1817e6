import Kafka
import TestSupport
import Testing

@Suite("Kafka admin against the mock cluster", .timeLimit(.minutes(1)))
struct AdminTests {
    @Test("creating topics on a cluster without a controller (the mock) fails with a typed error carrying librdkafka's message")
    func createTopicsWithoutControllerIsATypedError() async throws {
        let kafka = try MockKafka(brokers: 1)
        let admin = try KafkaAdmin(bootstrapServers: kafka.bootstrapServers, logger: kafka.logger)
        let topic = KafkaTopicSpecification(name: MockKafka.uniqueName("admin"), partitions: 3, replicationFactor: 1)

        let error = await #expect(throws: KafkaError.self) {
            try await admin.createTopics([topic], timeout: .seconds(2))
        }

        guard case .client(let operation, let code, let message) = error else {
            Issue.record("expected KafkaError.client, got \(String(describing: error))")
            return
        }
        #expect(operation == "create topics")
        #expect(code.name == "_TIMED_OUT")
        #expect(message.contains("controller"))
    }
}
