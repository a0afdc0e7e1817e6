import Kafka
import Logging
import TestSupport
import Testing

@Suite("Kafka producer against a 3-broker mock cluster", .timeLimit(.minutes(2)))
struct ProducerTests {
    @Test("a record produced with a key and headers is consumed with the same key, value and headers")
    func roundTripWithKeysAndHeaders() async throws {
        let kafka = try MockKafka()
        let topic = try kafka.createTopic(prefix: "round-trip", partitions: 3)
        let producer = try kafka.makeProducer()
        try await producer.warmUp(topics: [topic])
        let headers = [
            KafkaHeader(key: "traceparent", string: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"),
            KafkaHeader(key: "empty", value: []),
            KafkaHeader(key: "null", value: nil),
            // Names are passed with their length: an empty one, and one beyond ASCII.
            KafkaHeader(key: "", string: "no name"),
            KafkaHeader(key: "schlüssel-名前", string: "v"),
        ]
        let report = try await producer.send(
            KafkaOutgoingMessage(topic: topic, key: "ORD-0001".bytes, value: #"{"a":1}"#.bytes, headers: headers)
        )
        let consumer = try KafkaConsumer(configuration: kafka.consumerConfiguration(), rebalanceListener: nil, logger: kafka.logger)
        try consumer.subscribe(topics: [topic])

        let message = try #require(try await consumer.readOne())

        #expect(message.topic == topic)
        #expect(message.topicPartition == KafkaTopicPartition(topic: topic, partition: report.partition))
        #expect(message.offset == report.offset)
        #expect(message.keyString == "ORD-0001")
        #expect(message.valueString == #"{"a":1}"#)
        #expect(message.headers == headers)
        #expect(message.header(named: "traceparent") == headers[0].value)
        #expect(message.timestamp != nil)
        await consumer.close()
        await producer.shutdown(timeout: .seconds(5))
    }

    @Test("producing to a partition the topic does not have is a typed error, not a crash")
    func missingPartitionIsATypedError() async throws {
        let kafka = try MockKafka()
        let topic = try kafka.createTopic(prefix: "missing-partition", partitions: 1)
        let producer = try kafka.makeProducer()
        try await producer.warmUp(topics: [topic])  // metadata known: produceva fails at once
        let message = KafkaOutgoingMessage(
            topic: topic,
            partition: 7,
            key: "k".bytes,
            value: "v".bytes,
            headers: [KafkaHeader(key: "h1", string: "v1"), KafkaHeader(key: "h2", string: "v2")]
        )

        // With headers: the case where librdkafka 2.0.2's produceva can free headers twice.
        // Repeated, because a double free or use-after-free tends to crash on a later round.
        for _ in 0..<3 {
            let error = await #expect(throws: KafkaError.self) { try await producer.send(message) }
            guard case .produce(let failedTopic, let code, let text) = error else {
                Issue.record("expected KafkaError.produce, got \(String(describing: error))")
                continue
            }
            #expect(failedTopic == topic)
            #expect(code == .unknownPartition)
            #expect(!text.isEmpty)
        }
        // The producer is still healthy.
        var valid = message
        valid.partition = 0
        let report = try await producer.send(valid)
        #expect(report.partition == 0)
        await producer.shutdown(timeout: .seconds(5))
    }

    @Test("a record produced while its partition leader is down is retried and delivered once the broker is back")
    func produceRetriesWhileLeaderIsDown() async throws {
        let down = try LeaderDown(prefix: "leader-down")
        let (kafka, topic, producer) = (down.kafka, down.topic, down.producer)

        async let delivered = producer.send(KafkaOutgoingMessage(topic: topic, key: "k".bytes, value: "survives".bytes))
        try await down.waitUntilPending()
        try kafka.cluster.setBrokerUp(2)

        // Broker 2 is the partition's only leader (the mock never moves leaders), so this
        // delivery can only have happened after it came back.
        let report = try await delivered
        #expect(report.topic == topic)
        #expect(report.partition == 0)
        await producer.shutdown(timeout: .seconds(5))
    }

    @Test("a send whose task is cancelled, before the call or while its record is pending, ends at once with cancelled; the record is enqueued all the same and not recalled",
          arguments: [false, true])
    func cancelledSendStopsWaiting(cancelledBeforeTheCall: Bool) async throws {
        let down = try LeaderDown(prefix: "cancelled-send")
        let (kafka, topic, producer) = (down.kafka, down.topic, down.producer)
        // Read cancellation-aware: a send that waited for its delivery would wait for
        // `message.timeout.ms` (300 s), and the suite's time limit must still end the test.
        let (outcomes, outcome) = AsyncStream<Result<KafkaDeliveryReport, KafkaError>>.makeStream()
        let sending = Task {
            if cancelledBeforeTheCall { withUnsafeCurrentTask { $0?.cancel() } }
            do throws(KafkaError) {
                outcome.yield(.success(try await producer.send(
                    KafkaOutgoingMessage(topic: topic, key: "k".bytes, value: "pending".bytes))))
            } catch {
                outcome.yield(.failure(error))
            }
        }
        if !cancelledBeforeTheCall {
            try await down.waitUntilPending()
            sending.cancel()
        }
        var iterator = outcomes.makeAsyncIterator()
        let ended = try #require(await iterator.next(), "the send did not end before the time limit")
        #expect(throws: KafkaError.cancelled(topic: topic)) { try ended.get() }

        // Enqueued and not recalled: once the leader is back the record is delivered after all.
        try kafka.cluster.setBrokerUp(2)
        let consumer = try KafkaConsumer(configuration: kafka.consumerConfiguration(), rebalanceListener: nil, logger: kafka.logger)
        try consumer.subscribe(topics: [topic])
        let message = try #require(try await consumer.readOne())
        #expect(message.valueString == "pending")
        await consumer.close()
        await producer.shutdown(timeout: .seconds(5))
    }

    @Test("an unknown or invalid property fails creation with librdkafka's own message; one the at-least-once recipe depends on is refused by name")
    func badPropertyIsATypedError() throws {
        let kafka = try MockKafka(brokers: 1)
        /// Expects `create` to fail with `KafkaError.configuration` naming `property`, with `words` in its message.
        func expectRefused(_ property: String, saying words: String, _ create: () throws -> Void) {
            let error = #expect(throws: KafkaError.self) { try create() }
            guard case .configuration(let refused, let message) = error else {
                Issue.record("expected KafkaError.configuration for \(property), got \(String(describing: error))")
                return
            }
            #expect(refused == property)
            #expect(message.contains(words), "\(message)")
        }

        var producer = kafka.producerConfiguration()
        producer.properties["no.such.property"] = "1"
        expectRefused("no.such.property", saying: "No such configuration property") {
            _ = try KafkaProducer(configuration: producer, logger: kafka.logger)
        }
        var consumer = kafka.consumerConfiguration()
        consumer.properties["session.timeout.ms"] = "soon"
        expectRefused("session.timeout.ms", saying: "Invalid value") {
            _ = try KafkaConsumer(configuration: consumer, rebalanceListener: nil, logger: kafka.logger)
        }
        // What the at-least-once recipe depends on cannot be overridden.
        for (property, value) in [("enable.auto.offset.store", "true"), ("partition.assignment.strategy", "cooperative-sticky")] {
            var reserved = kafka.consumerConfiguration()
            reserved.properties[property] = value
            expectRefused(property, saying: "may not be overridden") {
                _ = try KafkaConsumer(configuration: reserved, rebalanceListener: nil, logger: kafka.logger)
            }
        }
    }

    @Test("after shutdown, send fails with shutDown and a second shutdown returns at once")
    func shutdownHappensOnce() async throws {
        let kafka = try MockKafka(brokers: 1)
        let topic = try kafka.createTopic(prefix: "shutdown")
        let producer = try kafka.makeProducer()
        _ = try await producer.send(KafkaOutgoingMessage(topic: topic, key: nil, value: "before".bytes))

        await producer.shutdown(timeout: .seconds(5))
        await producer.shutdown(timeout: .seconds(5))

        await #expect(throws: KafkaError.shutDown) {
            try await producer.send(KafkaOutgoingMessage(topic: topic, key: nil, value: "after".bytes))
        }
    }

    @Test("after a fatal producer error every send fails with KafkaError.fatal and its cause, at once")
    func fatalErrorEndsSending() async throws {
        let kafka = try MockKafka(brokers: 1)
        let topic = try kafka.createTopic(prefix: "fatal")
        let producer = try kafka.makeProducer()
        _ = try await producer.send(KafkaOutgoingMessage(topic: topic, key: nil, value: "before".bytes))

        try producer.raiseFatalErrorForTesting(code: .outOfOrderSequenceNumber, reason: "sequence desynchronised")
        for value in ["after", "again"] {
            do {
                _ = try await producer.send(KafkaOutgoingMessage(topic: topic, key: nil, value: value.bytes))
                Issue.record("a send after the fatal error was delivered")
            } catch {
                guard case .fatal(let client, let code, let reason) = error else {
                    Issue.record("expected KafkaError.fatal, got \(error)")
                    continue
                }
                #expect(client == "producer")
                #expect(code == .outOfOrderSequenceNumber)
                #expect(reason.contains("sequence desynchronised"))
            }
        }
        await producer.shutdown(timeout: .seconds(5))
    }
}

/// A one-partition topic whose only leader, broker 2, is down, and a producer: what it sends
/// stays pending until the broker is up again (the mock never moves leaders).
private struct LeaderDown {
    let logs = LogRecorder()
    let kafka: MockKafka
    let topic: String
    let producer: KafkaProducer

    init(prefix: String) throws {
        kafka = try MockKafka(logger: logs.logger(label: prefix))
        topic = try kafka.createTopic(prefix: prefix, partitions: 1)
        try kafka.cluster.setPartitionLeader(topic: topic, partition: 0, brokerID: 2)
        try kafka.cluster.setBrokerDown(2)
        producer = try kafka.makeProducer()
    }

    /// Returns once librdkafka reported that it could not talk to broker 2: a record sent
    /// before is pending on a failed broker (an event, not a time).
    func waitUntilPending() async throws {
        _ = try await logs.first { $0.message.contains("/2: ") && $0.facility == "FAIL" }
    }
}
