@testable import Kafka
import TestSupport
import Testing

/// Static membership (KIP-345, `group.instance.id`) as far as librdkafka 2.0.2's mock cluster
/// goes: it takes the id and lets the member consume and commit, and it can answer a
/// heartbeat with FENCED_INSTANCE_ID. It does not give a restarted static member its old
/// assignment without a rebalance (it looks members up by member id only); that part is
/// measured against a real broker (README, "Many instances").
@Suite("Static membership", .timeLimit(.minutes(2)))
struct StaticMembershipTests {
    @Test("a static member consumes and commits; restarted with the same instance id it resumes right after its committed offsets")
    func restartedStaticMemberResumes() async throws {
        let kafka = try MockKafka()
        let topic = try kafka.createTopic(prefix: "static", partitions: 2)
        let producer = try kafka.makeProducer()
        for index in 0..<6 {
            _ = try await producer.send(KafkaOutgoingMessage(
                topic: topic, partition: 0, key: "k\(index)".bytes, value: "m\(index)".bytes))
        }
        var configuration = kafka.consumerConfiguration()
        configuration.groupInstanceID = "worker-0"
        #expect(configuration.librdkafkaProperties.contains { $0.key == "group.instance.id" && $0.value == "worker-0" })

        let first = try KafkaConsumer(configuration: configuration, rebalanceListener: nil, logger: kafka.logger)
        try first.subscribe(topics: [topic])
        let processed = try await first.read(4)
        #expect(processed.map(\.valueString) == ["m0", "m1", "m2", "m3"])
        let last = try #require(processed.last)
        try first.storeOffset(last.topicPartition, nextOffset: last.offset + 1)
        await first.close()

        let second = try KafkaConsumer(configuration: configuration, rebalanceListener: nil, logger: kafka.logger)
        try second.subscribe(topics: [topic])
        let resumed = try #require(try await second.readOne())
        #expect(resumed.offset == 4)
        #expect(resumed.valueString == "m4")
        await second.close()
        await producer.shutdown(timeout: .seconds(5))
    }

    @Test("a member the group fences (FENCED_INSTANCE_ID) ends its records with that fatal error")
    func fencedMemberFailsFatally() async throws {
        let kafka = try MockKafka()
        let topic = try kafka.createTopic(prefix: "fenced", partitions: 1)
        let producer = try kafka.makeProducer()
        _ = try await producer.send(KafkaOutgoingMessage(topic: topic, key: "k".bytes, value: "m".bytes))
        var configuration = kafka.consumerConfiguration()
        configuration.groupInstanceID = "worker-0"
        let consumer = try KafkaConsumer(configuration: configuration, rebalanceListener: nil, logger: kafka.logger)
        try consumer.subscribe(topics: [topic])
        var iterator = consumer.messages.makeAsyncIterator()
        // A member in the group (it got a record): its next heartbeat is answered "fenced".
        _ = try await iterator.next()
        try kafka.cluster.pushRequestErrors(.heartbeat, errors: [.fencedInstanceID])
        await #expect {
            while try await iterator.next() != nil {}
        } throws: { error in
            (error as? KafkaError)?.code == .fencedInstanceID
        }
        await consumer.close()
        await producer.shutdown(timeout: .seconds(5))
    }
}
