@testable import CouponWorker
import Kafka
import Logging
import TestSupport
import Testing

/// Forwards rebalances to the worker's listener, then tells the test they happened.
final class ObservingListener: KafkaRebalanceListener {
    enum Event: Sendable, Hashable {
        case assigned(Set<KafkaTopicPartition>, generation: UInt64)
        case revoked(Set<KafkaTopicPartition>)
    }

    private let inner: any KafkaRebalanceListener
    private let events: AsyncStream<Event>
    private let continuation: AsyncStream<Event>.Continuation

    init(inner: any KafkaRebalanceListener) {
        self.inner = inner
        (events, continuation) = AsyncStream.makeStream(of: Event.self)
    }

    func partitionsAssigned(_ partitions: [KafkaTopicPartition]) async {
        await inner.partitionsAssigned(partitions)
    }

    func assignmentCompleted(_ partitions: [KafkaTopicPartition], generation: UInt64) async {
        await inner.assignmentCompleted(partitions, generation: generation)
        continuation.yield(.assigned(Set(partitions), generation: generation))
    }

    func partitionsRevoked(_ partitions: [KafkaTopicPartition]) async {
        await inner.partitionsRevoked(partitions)
        continuation.yield(.revoked(Set(partitions)))
    }

    /// The next rebalance that moved at least one partition.
    func next() async -> Event? {
        for await event in events {
            switch event {
            case .assigned(let partitions, _), .revoked(let partitions):
                if !partitions.isEmpty { return event }
            }
        }
        return nil
    }
}

/// A real consumer on the mock cluster whose pauses go through the worker's flow control:
/// `PartitionFlows` (the state machine), `PauseApplier` (recorded) and `RevokeCoordinator`.
struct ConsumerRig {
    let consumer: KafkaConsumer
    let flows: PartitionFlows
    let applier: PauseApplier
    let pauser: RecordingPauser
    let rebalances: ObservingListener

    init(kafka: MockKafka, partitionBufferLimit: Int, maxInFlight: Int) throws {
        let flows = PartitionFlows(partitionBufferLimit: partitionBufferLimit, gate: FetchGate(maxInFlight: maxInFlight))
        let slot = PartitionPauserSlot()
        let pauser = RecordingPauser(inner: slot)
        let applier = PauseApplier(pauser: pauser, desired: { flows.desiredPaused }, metrics: WorkerMetrics(), logger: kafka.logger)
        let rebalances = ObservingListener(
            inner: RevokeCoordinator(flows: flows, applier: applier, grace: .seconds(10), clock: AssignmentClock(metrics: WorkerMetrics()), logger: kafka.logger))
        consumer = try KafkaConsumer(configuration: kafka.consumerConfiguration(), rebalanceListener: rebalances, logger: kafka.logger)
        slot.fill(consumer)
        self.flows = flows
        self.applier = applier
        self.pauser = pauser
        self.rebalances = rebalances
    }

    /// The next record; nil (the test fails) if none comes within `deadline`, which only
    /// bounds a failure: the caller asks only when a record must come.
    func next(within deadline: Duration = .seconds(15)) async throws -> KafkaConsumerMessage? {
        let messages = consumer.messages
        return try await withThrowingTaskGroup(of: KafkaConsumerMessage?.self) { group in
            group.addTask {
                var iterator = messages.makeAsyncIterator()
                return try await iterator.next()
            }
            group.addTask {
                try await Task.sleep(for: deadline)
                return nil
            }
            let first = try await group.next() ?? nil
            group.cancelAll()
            return first
        }
    }

    /// Admits `message` with a task that does nothing (the test finishes commands itself).
    func admit(_ message: KafkaConsumerMessage) async -> FlowControl.Admission {
        let admission = flows.admit(message, at: .now) { _ in Task {} }
        if case .start(_, pausesChanged: true) = admission { await applier.apply() }
        return admission
    }

    func finish(_ id: FlowControl.CommandID, acknowledged: Bool) async {
        let completion = flows.finish(id, acknowledged: acknowledged) { partition, next in
            try? consumer.storeOffset(partition, nextOffset: next)
        }
        if completion.pausesChanged { await applier.apply() }
    }

    func observeBuffer(_ depth: Int) async {
        if flows.observeBuffer(depth) { await applier.apply() }
    }
}

/// The pause applier driven against a real `KafkaConsumer` (librdkafka 2.0.2, mock cluster of
/// three brokers): the events come from the test, seeded, one at a time; the consumer's
/// behaviour is what it is.
@Suite("Pause applier against a real consumer", .serialized, .timeLimit(.minutes(5)))
struct PauseApplierConsumerTests {
    static let partitions: Int32 = 4
    static let recordsPerPartition = 30

    @Test(
        "random admits, finishes and buffer depths: the ledger always equals the desired set, no resume of an unpaused partition, no offset delivered twice, every record delivered",
        arguments: [11, 23, 37, 51, 73] as [UInt64])
    func randomInterleavings(seed: UInt64) async throws {
        print("PauseApplierConsumerTests.randomInterleavings seed \(seed)")
        var random = SeededGenerator(seed: seed)
        let kafka = try MockKafka(brokers: 3)
        let topic = try kafka.createTopic(prefix: "pauses", partitions: Self.partitions)
        let all = Set((0..<Self.partitions).map { KafkaTopicPartition(topic: topic, partition: $0) })
        let producer = try kafka.makeProducer()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for partition in 0..<Self.partitions {
                for index in 0..<Self.recordsPerPartition {
                    group.addTask {
                        _ = try await producer.send(
                            KafkaOutgoingMessage(topic: topic, partition: partition, key: nil, value: Array("\(index)".utf8)))
                    }
                }
            }
            try await group.waitForAll()
        }
        // Small limits so every mechanism toggles often: the gate closes at 8 buffered
        // records and opens at 2; a partition is full at 3 running commands.
        let maxInFlight = 4
        let rig = try ConsumerRig(kafka: kafka, partitionBufferLimit: 3, maxInFlight: maxInFlight)
        try rig.consumer.subscribe(topics: [topic])
        guard case .assigned(all, let generation) = await rig.rebalances.next() else {
            Issue.record("seed \(seed): the consumer should get every partition")
            return
        }

        var running: [FlowControl.CommandID] = []
        var delivered: [KafkaTopicPartition: [Int64]] = [:]
        var total: Int { delivered.values.map(\.count).reduce(0, +) }

        /// Reads one record and admits it; false if the run must stop.
        func read(step: Int) async throws -> Bool {
            guard let message = try await rig.next() else {
                Issue.record("seed \(seed) step \(step): no record within the deadline")
                return false
            }
            #expect(message.assignmentGeneration == generation, "seed \(seed) step \(step)")
            let previous = delivered[message.topicPartition]?.last
            #expect(previous.map { message.offset > $0 } ?? true,
                """
                seed \(seed) step \(step): \(message.topicPartition) offset \(message.offset) delivered again \
                (after \(previous ?? -1)); last calls: \(rig.pauser.calls.suffix(4))
                """)
            delivered[message.topicPartition, default: []].append(message.offset)
            switch await rig.admit(message) {
            case .start(let id, _): running.append(id)
            case let other: Issue.record("seed \(seed) step \(step): \(other)")
            }
            return true
        }

        /// Whether a record must come: one is buffered, or a partition that is not paused has
        /// records not delivered yet.
        func recordIsDue() async -> Bool {
            if rig.consumer.messages.buffered > 0 { return true }
            let ledger = await rig.applier.ledger
            return all.contains { !ledger.contains($0) && (delivered[$0]?.count ?? 0) < Self.recordsPerPartition }
        }

        func checkInStep(_ step: Int) async {
            let ledger = await rig.applier.ledger
            #expect(ledger == rig.flows.desiredPaused, "seed \(seed) step \(step)")
            #expect(rig.pauser.paused == ledger, "seed \(seed) step \(step): calls and ledger agree")
            #expect(rig.pauser.violations.isEmpty, "seed \(seed) step \(step)")
        }

        for step in 0..<300 {
            let roll = Int.random(in: 0..<10, using: &random)
            if roll < 4, await recordIsDue() {
                guard try await read(step: step) else { return }
            } else if roll < 7, !running.isEmpty {
                let id = running.remove(at: Int.random(in: 0..<running.count, using: &random))
                await rig.finish(id, acknowledged: Int.random(in: 0..<20, using: &random) != 0)
            } else {
                await rig.observeBuffer(Int.random(in: 0...(4 * maxInFlight), using: &random))
            }
            await checkInStep(step)
        }

        // Open the gate, finish everything, and read the rest: every record must come.
        await rig.observeBuffer(0)
        for id in running { await rig.finish(id, acknowledged: true) }
        running = []
        var step = 300
        while total < all.count * Self.recordsPerPartition {
            guard try await read(step: step) else { return }
            for id in running { await rig.finish(id, acknowledged: true) }
            running = []
            await checkInStep(step)
            step += 1
        }
        for partition in all {
            #expect(delivered[partition] == (0..<Int64(Self.recordsPerPartition)).map { $0 }, "seed \(seed): \(partition)")
        }
        print("PauseApplierConsumerTests seed \(seed): \(rig.pauser.calls.count) pause/resume calls, \(step) steps")
        await rig.consumer.close()
        #expect(rig.pauser.violations.isEmpty, "seed \(seed)")
        await producer.shutdown(timeout: .seconds(5))
        kafka.shutdown()
    }

    @Test("a partition revoked while paused fetches again once it is assigned again: the revoke resumed it (librdkafka 2.0.2 keeps a pause across a re-assign)")
    func partitionRevokedWhilePausedFetchesAfterReassign() async throws {
        let kafka = try MockKafka(brokers: 3)
        let topic = try kafka.createTopic(prefix: "reassign", partitions: 2)
        let other = try kafka.createTopic(prefix: "reassign-other", partitions: 1)
        let paused = KafkaTopicPartition(topic: topic, partition: 0)
        let producer = try kafka.makeProducer()
        let rig = try ConsumerRig(kafka: kafka, partitionBufferLimit: 1, maxInFlight: 64)
        try rig.consumer.subscribe(topics: [topic])
        guard case .assigned(_, let first) = await rig.rebalances.next() else {
            Issue.record("no assignment")
            return
        }
        _ = try await producer.send(KafkaOutgoingMessage(topic: topic, partition: 0, key: nil, value: Array("first".utf8)))
        let message = try #require(try await rig.next())
        guard case .start = await rig.admit(message) else {
            Issue.record("not admitted")
            return
        }
        #expect(await rig.applier.ledger == [paused], "full: its command still runs")
        _ = try await producer.send(KafkaOutgoingMessage(topic: topic, partition: 0, key: nil, value: Array("held".utf8)))

        // A new subscription makes the eager group revoke everything and assign it again.
        try rig.consumer.subscribe(topics: [topic, other])
        #expect(await rig.rebalances.next() == .revoked([paused, KafkaTopicPartition(topic: topic, partition: 1)]))
        #expect(rig.pauser.calls.last == .resume([paused]), "released by the revoke")
        guard case .assigned(let partitions, let second) = await rig.rebalances.next() else {
            Issue.record("no second assignment")
            return
        }
        #expect(partitions.contains(paused))
        #expect(second > first)
        #expect(await rig.applier.ledger.isEmpty)

        // Nothing was committed, so it starts over at "first", under the new assignment.
        let again = try #require(try await rig.next(), "the partition must fetch without any resume")
        #expect(again.topicPartition == paused)
        #expect(again.assignmentGeneration == second)
        #expect(rig.pauser.violations.isEmpty)
        await rig.consumer.close()
        await producer.shutdown(timeout: .seconds(5))
        kafka.shutdown()
    }
}
