import Foundation
@testable import Kafka
import Logging
import TestSupport
import Synchronization
import Testing

@Suite("Kafka consumer groups against a 3-broker mock cluster", .timeLimit(.minutes(2)))
struct ConsumerTests {
    @Test("two consumers in one group split the partitions, and the first sees its partitions revoked and reassigned")
    func twoConsumersSplitPartitions() async throws {
        let kafka = try MockKafka()
        let topic = try kafka.createTopic(prefix: "split", partitions: 4)
        let all = Set((0..<4).map { KafkaTopicPartition(topic: topic, partition: Int32($0)) })
        let configuration = kafka.consumerConfiguration()
        let producer = try kafka.makeProducer()
        let firstListener = RebalanceRecorder()
        let first = try KafkaConsumer(configuration: configuration, rebalanceListener: firstListener, logger: kafka.logger)
        try first.subscribe(topics: [topic])
        #expect(await firstListener.nextEvent() == .assigned(all))
        for partition in all {
            _ = try await producer.send(KafkaOutgoingMessage(topic: topic, partition: partition.partition, key: nil, value: "before".bytes))
        }
        let generationBefore = try #require(try await first.read(4).map(\.assignmentGeneration).max())

        let secondListener = RebalanceRecorder()
        let second = try KafkaConsumer(configuration: configuration, rebalanceListener: secondListener, logger: kafka.logger)
        try second.subscribe(topics: [topic])

        #expect(await firstListener.nextEvent() == .revoked(all))
        guard case .assigned(let firstShare) = await firstListener.nextEvent(),
            case .assigned(let secondShare) = await secondListener.nextEvent()
        else {
            Issue.record("both consumers should get an assignment")
            return
        }
        #expect(firstShare.count == 2)
        #expect(secondShare.count == 2)
        #expect(firstShare.isDisjoint(with: secondShare))
        #expect(firstShare.union(secondShare) == all)

        // Records handed out under the new assignment carry a newer generation.
        for partition in firstShare {
            _ = try await producer.send(KafkaOutgoingMessage(topic: topic, partition: partition.partition, key: nil, value: "after".bytes))
        }
        let afterRebalance = try #require(try await first.readOne())
        #expect(firstShare.contains(afterRebalance.topicPartition))
        #expect(afterRebalance.assignmentGeneration > generationBefore)

        await second.close()
        await first.close()
        await producer.shutdown(timeout: .seconds(5))
    }

    @Test("stored offsets are committed and a new consumer in the group resumes right after them")
    func committedOffsetsAreResumed() async throws {
        let kafka = try MockKafka()
        let topic = try kafka.createTopic(prefix: "resume", partitions: 1)
        let producer = try kafka.makeProducer()
        for index in 0..<5 {
            _ = try await producer.send(KafkaOutgoingMessage(topic: topic, key: "k\(index)".bytes, value: "m\(index)".bytes))
        }
        let configuration = kafka.consumerConfiguration()

        let first = try KafkaConsumer(configuration: configuration, rebalanceListener: nil, logger: kafka.logger)
        try first.subscribe(topics: [topic])
        let processed = try await first.read(3)
        #expect(processed.map(\.valueString) == ["m0", "m1", "m2"])
        let last = try #require(processed.last)
        try first.storeOffset(last.topicPartition, nextOffset: last.offset + 1)
        try await first.commit()
        await first.close()

        let second = try KafkaConsumer(configuration: configuration, rebalanceListener: nil, logger: kafka.logger)
        try second.subscribe(topics: [topic])
        let resumed = try #require(try await second.readOne())
        #expect(resumed.offset == 3)
        #expect(resumed.valueString == "m3")
        await second.close()
        await producer.shutdown(timeout: .seconds(5))
    }

    @Test("offsets stored by the revoke listener are committed before the partition moves on")
    func revokeListenerOffsetsAreCommitted() async throws {
        let kafka = try MockKafka()
        let topic = try kafka.createTopic(prefix: "revoke-commit", partitions: 1)
        let producer = try kafka.makeProducer()
        for index in 0..<4 {
            _ = try await producer.send(KafkaOutgoingMessage(topic: topic, key: nil, value: "m\(index)".bytes))
        }
        let configuration = kafka.consumerConfiguration()
        let listener = OffsetStoringListener()
        let first = try KafkaConsumer(configuration: configuration, rebalanceListener: listener, logger: kafka.logger)
        listener.attach(first)
        try first.subscribe(topics: [topic])
        let processed = try await first.read(2)
        let last = try #require(processed.last)
        listener.finished(last.topicPartition, nextOffset: last.offset + 1)

        // Nothing is stored yet: only the revoke (here: the one close() triggers) stores it.
        await first.close()
        #expect(listener.storeError == nil)

        let second = try KafkaConsumer(configuration: configuration, rebalanceListener: nil, logger: kafka.logger)
        try second.subscribe(topics: [topic])
        let resumed = try #require(try await second.readOne())
        #expect(resumed.offset == 2)
        #expect(resumed.valueString == "m2")
        await second.close()
        await producer.shutdown(timeout: .seconds(5))
    }

    @Test("a paused partition delivers nothing while another keeps flowing, and delivers again after resume")
    func pauseAndResume() async throws {
        let kafka = try MockKafka()
        let topic = try kafka.createTopic(prefix: "pause", partitions: 2)
        let paused = KafkaTopicPartition(topic: topic, partition: 0)
        let flowing = KafkaTopicPartition(topic: topic, partition: 1)
        let producer = try kafka.makeProducer()
        let consumer = try KafkaConsumer(configuration: kafka.consumerConfiguration(), rebalanceListener: nil, logger: kafka.logger)
        try consumer.subscribe(topics: [topic])
        // One record per partition proves both are assigned and fetching.
        for partition in [paused, flowing] {
            _ = try await producer.send(
                KafkaOutgoingMessage(topic: topic, partition: partition.partition, key: nil, value: "warm".bytes)
            )
        }
        #expect(Set(try await consumer.read(2).map(\.topicPartition)) == [paused, flowing])

        try consumer.pause([paused])
        _ = try await producer.send(KafkaOutgoingMessage(topic: topic, partition: paused.partition, key: nil, value: "held".bytes))
        // Each marker is written after "held" is on the broker; had the partition not been
        // paused, "held" would be fetched alongside them.
        for index in 0..<3 {
            _ = try await producer.send(
                KafkaOutgoingMessage(topic: topic, partition: flowing.partition, key: nil, value: "marker-\(index)".bytes)
            )
            let next = try #require(try await consumer.readOne())
            #expect(next.topicPartition == flowing)
            #expect(next.valueString == "marker-\(index)")
        }

        try consumer.resume([paused])
        let released = try #require(try await consumer.readOne())
        #expect(released.topicPartition == paused)
        #expect(released.valueString == "held")
        #expect(try consumer.positions(of: [paused, flowing]) == [paused: released.offset + 1, flowing: 4])
        await consumer.close()
        await producer.shutdown(timeout: .seconds(5))
    }

    /// A consumer of a fresh one-partition topic led by broker `leader` (the group's
    /// coordinator is broker 1), that has read "warm" and then paused the partition.
    private func consumerPausedAfterWarmUp(
        _ kafka: MockKafka, logs: LogRecorder, leader: Int32
    ) async throws -> (KafkaConsumer, KafkaProducer, KafkaTopicPartition) {
        let topic = try kafka.createTopic(prefix: "nudge", partitions: 1)
        let partition = KafkaTopicPartition(topic: topic, partition: 0)
        let groupID = MockKafka.uniqueName("group")
        try kafka.cluster.setPartitionLeader(topic: topic, partition: 0, brokerID: leader)
        try kafka.cluster.setGroupCoordinator(group: groupID, brokerID: 1)
        let producer = try kafka.makeProducer()
        let consumer = try KafkaConsumer(
            configuration: kafka.consumerConfiguration(groupID: groupID), rebalanceListener: nil,
            logger: logs.logger(label: "nudge"))
        try consumer.subscribe(topics: [topic])
        _ = try await producer.send(KafkaOutgoingMessage(topic: topic, partition: 0, key: nil, value: "warm".bytes))
        #expect(try await consumer.readOne()?.valueString == "warm")
        try consumer.pause([partition])
        return (consumer, producer, partition)
    }

    @Test(
        "resuming a partition sends its leader a request (which wakes librdkafka's idle fetcher), and the partition delivers",
        .timeLimit(.minutes(1)))
    func resumeNudgesTheLeader() async throws {
        let kafka = try MockKafka()
        let logs = LogRecorder()
        let (consumer, producer, partition) = try await consumerPausedAfterWarmUp(kafka, logs: logs, leader: 2)
        _ = try await producer.send(
            KafkaOutgoingMessage(topic: partition.topic, partition: 0, key: nil, value: "held".bytes))
        // The partition's only leader is idle now (its one partition is paused): librdkafka
        // 2.0.2 would fetch "held" at that broker's next idle wake-up. The nudge asks the
        // leader for the partition's latest offset; 2 (after "warm" and "held") is an answer
        // only a broker can give.
        try consumer.resume([partition])
        let nudge = try await logs.first { $0.message == "woke the leader of a resumed partition" }
        #expect(nudge.metadata["kafka.partition"] == "\(partition)")
        #expect(nudge.metadata["kafka.high_watermark"] == "2")
        #expect(try await consumer.readOne()?.valueString == "held")
        await consumer.close()
        await producer.shutdown(timeout: .seconds(5))
    }

    @Test(
        "resuming a partition whose leader is down: the wake-up gives up at its timeout, and the consumer still closes",
        .timeLimit(.minutes(1)))
    func resumeWithLeaderDown() async throws {
        let kafka = try MockKafka()
        let logs = LogRecorder()
        let (consumer, producer, partition) = try await consumerPausedAfterWarmUp(kafka, logs: logs, leader: 2)
        try kafka.cluster.setBrokerDown(2)
        // librdkafka 2.0.2's watermark query (the nudge's first form) waits for as long as the
        // leader is down, holding the handle, and `close()` waits for it; the nudge's own
        // timeout must end it.
        try consumer.resume([partition])
        let nudge = try await logs.first { $0.message.hasPrefix("could not wake the leader") }
        #expect(nudge.metadata["kafka.partition"] == "\(partition)")
        #expect(nudge.metadata["kafka.error"] == "\(KafkaErrorCode.timedOut.name)")
        await consumer.close()
        await producer.shutdown(timeout: .seconds(5))
    }

    @Test("buffered counts the records handed over by the poll thread and not read yet")
    func bufferedCountsUnreadRecords() async throws {
        let kafka = try MockKafka()
        let topic = try kafka.createTopic(prefix: "buffered", partitions: 1)
        let producer = try kafka.makeProducer()
        let total = 40
        for index in 0..<total {
            _ = try await producer.send(KafkaOutgoingMessage(topic: topic, key: nil, value: "m\(index)".bytes))
        }
        let consumer = try KafkaConsumer(configuration: kafka.consumerConfiguration(), rebalanceListener: nil, logger: kafka.logger)
        try consumer.subscribe(topics: [topic])
        #expect(consumer.messages.buffered == 0, "nothing can be handed over before the assignment")
        var iterator = consumer.messages.makeAsyncIterator()
        for read in 1...total {
            _ = try #require(try await iterator.next())
            // Never more than what is left unread, never negative.
            #expect((0...(total - read)).contains(consumer.messages.buffered))
        }
        #expect(consumer.messages.buffered == 0)
        await consumer.close()
        await producer.shutdown(timeout: .seconds(5))
    }

    @Test("a cooperative-sticky group assigns, consumes and revokes on close")
    func cooperativeStickyConsumes() async throws {
        let kafka = try MockKafka()
        let topic = try kafka.createTopic(prefix: "cooperative", partitions: 2)
        let all = Set((0..<2).map { KafkaTopicPartition(topic: topic, partition: Int32($0)) })
        let producer = try kafka.makeProducer()
        for index in 0..<4 {
            _ = try await producer.send(KafkaOutgoingMessage(topic: topic, key: "k\(index)".bytes, value: "v\(index)".bytes))
        }
        let listener = RebalanceRecorder()
        let consumer = try KafkaConsumer(
            configuration: kafka.consumerConfiguration(assignmentStrategy: .cooperativeSticky),
            rebalanceListener: listener,
            logger: kafka.logger
        )
        try consumer.subscribe(topics: [topic])

        #expect(await listener.nextEvent() == .assigned(all))
        let values = try await consumer.read(4).map(\.valueString)
        #expect(Set(values) == ["v0", "v1", "v2", "v3"])
        #expect(Set(try consumer.assignment()) == all)

        await consumer.close()
        #expect(await listener.nextEvent() == .revoked(all))
        await producer.shutdown(timeout: .seconds(5))
    }

    @Test("with statistics enabled, consumer lag per partition is reported")
    func consumerLagFromStatistics() async throws {
        let kafka = try MockKafka(brokers: 1)
        let topic = try kafka.createTopic(prefix: "lag", partitions: 1)
        let producer = try kafka.makeProducer()
        for index in 0..<4 {
            _ = try await producer.send(KafkaOutgoingMessage(topic: topic, key: nil, value: "v\(index)".bytes))
        }
        var configuration = kafka.consumerConfiguration()
        configuration.statisticsIntervalMilliseconds = 100
        let consumer = try KafkaConsumer(configuration: configuration, rebalanceListener: nil, logger: kafka.logger)
        try consumer.subscribe(topics: [topic])
        let first = try #require(try await consumer.readOne())
        try consumer.storeOffset(first.topicPartition, nextOffset: first.offset + 1)
        try await consumer.commit()

        // Statistics arrive every 100 ms on their own schedule and there is no event to wait
        // for; poll the reported value a bounded number of times.
        var lag: Int64?
        for _ in 0..<100 where lag != 3 {
            lag = consumer.consumerLag()[first.topicPartition]
            if lag != 3 { try await Task.sleep(for: .milliseconds(50)) }
        }
        #expect(lag == 3)
        await consumer.close()
        await producer.shutdown(timeout: .seconds(5))
    }

    @Test("the poll thread reads no more than the intake limit ahead of the application")
    func intakeLimitBoundsTheBuffer() async throws {
        let kafka = try MockKafka()
        let topic = try kafka.createTopic(prefix: "intake", partitions: 1)
        let producer = try kafka.makeProducer()
        for index in 0..<40 {
            _ = try await producer.send(KafkaOutgoingMessage(topic: topic, key: nil, value: "m\(index)".bytes))
        }
        var configuration = kafka.consumerConfiguration()
        configuration.intakeLimit = 4
        // Longer than the test may run: only reading can let the poll thread go on, so the
        // bound below holds exactly.
        configuration.intakeWaitMilliseconds = 600_000
        let consumer = try KafkaConsumer(configuration: configuration, rebalanceListener: nil, logger: kafka.logger)
        try consumer.subscribe(topics: [topic])
        // Nothing is read yet: the poll thread hands four records over, then waits for room.
        while !consumer.messages.window.pollerIsWaiting { await Task.yield() }
        #expect(consumer.messages.buffered == 4)
        var iterator = consumer.messages.makeAsyncIterator()
        var values: [String] = []
        var mostBuffered = 0
        while values.count < 40, let message = try await iterator.next() {
            values.append(message.valueString)
            mostBuffered = max(mostBuffered, consumer.messages.buffered)
        }
        #expect(values == (0..<40).map { "m\($0)" })
        #expect(mostBuffered <= 4)
        await consumer.close()
        await producer.shutdown(timeout: .seconds(5))
        withExtendedLifetime(kafka) {}
    }

    @Test("a poll thread waiting for room goes on once the application read down to half, and at once when woken to stop")
    func intakeWindowWakes() async {
        let window = IntakeWindow(limit: 4)
        let stop = Atomic<Bool>(false)
        /// Runs one wait for room on a thread of its own; returns when it returned.
        func waitOnThread() async {
            await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
                Thread {
                    // Ten minutes: only a read or a wake can end it within the test's limit.
                    window.waitForRoom(timeoutMilliseconds: 600_000) { stop.load(ordering: .sequentiallyConsistent) }
                    done.resume()
                }.start()
            }
        }
        for _ in 0..<4 { window.handOver() }
        async let first: Void = waitOnThread()
        while !window.pollerIsWaiting { await Task.yield() }
        window.take()  // 3 left: above half, it keeps waiting
        #expect(window.pollerIsWaiting)
        window.take()  // 2 left: half, it goes on
        await first
        #expect(!window.pollerIsWaiting)

        for _ in 0..<2 { window.handOver() }
        async let second: Void = waitOnThread()
        while !window.pollerIsWaiting { await Task.yield() }
        stop.store(true, ordering: .sequentiallyConsistent)
        window.wake()  // what close() does
        await second
        #expect(window.buffered == 4)
    }
}
