import Kafka
import TestSupport
import Testing

@Suite("Interoperability with kcat over the mock cluster", .timeLimit(.minutes(2)))
struct KcatInteropTests {
    @Test("our consumer reads the key, value and header that kcat produced")
    func consumesWhatKcatProduced() async throws {
        let kafka = try MockKafka()
        let topic = try kafka.createTopic(prefix: "kcat-in", partitions: 1)
        _ = try await Kcat.run(
            ["-P", "-b", kafka.bootstrapServers, "-t", topic, "-K:", "-H", "source=kcat"],
            input: "ORD-7:hello from kcat\n"
        )
        let consumer = try KafkaConsumer(configuration: kafka.consumerConfiguration(), rebalanceListener: nil, logger: kafka.logger)
        try consumer.subscribe(topics: [topic])

        let message = try #require(try await consumer.readOne())
        #expect(message.keyString == "ORD-7")
        #expect(message.valueString == "hello from kcat")
        #expect(message.header(named: "source") == "kcat".bytes)
        await consumer.close()
    }

    @Test("kcat reads the keys and values our producer produced")
    func kcatConsumesWhatWeProduced() async throws {
        let kafka = try MockKafka()
        let topic = try kafka.createTopic(prefix: "kcat-out", partitions: 1)
        let producer = try kafka.makeProducer()
        for index in 1...2 {
            _ = try await producer.send(KafkaOutgoingMessage(topic: topic, key: "ORD-\(index)".bytes, value: "value \(index)".bytes))
        }

        let output = try await Kcat.run(
            ["-C", "-b", kafka.bootstrapServers, "-t", topic, "-o", "beginning", "-e", "-q", "-f", "%k|%s\n"]
        )

        #expect(output == "ORD-1|value 1\nORD-2|value 2\n")
        await producer.shutdown(timeout: .seconds(5))
    }
}
