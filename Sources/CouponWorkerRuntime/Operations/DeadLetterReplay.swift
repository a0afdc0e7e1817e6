import CouponModel
import Foundation
import Kafka
import Logging
import Synchronization

/// Re-drives dead-letter records to the topic they came from, after the cause was fixed
/// (`coupon-worker replay-dlq`).
///
/// The original key, bytes and headers are produced again (without the `x-coupon-error-*`
/// headers); the worker then treats them as any command, so idempotency still holds: a
/// command that already took effect gets its stored result again. The replayer's consumer
/// group commits what it read, so a second run does not replay the same records again.
public struct DeadLetterReplay: Sendable {
    /// Kafka bootstrap servers.
    public var servers: String
    /// The dead-letter topic.
    public var topic: String
    /// Which records to replay.
    public var selection: DeadLetterSelection
    /// List what would be replayed; produce nothing.
    public var dryRun: Bool
    /// Stop after this long without a new record (after the partitions were assigned).
    public var idle: Duration
    /// The replayer's consumer group.
    public var group: String

    public init(
        servers: String, topic: String = Topology.deadLetters, selection: DeadLetterSelection, dryRun: Bool,
        idle: Duration, group: String
    ) {
        self.servers = servers
        self.topic = topic
        self.selection = selection
        self.dryRun = dryRun
        self.idle = idle
        self.group = group
    }

    /// Reads the dead-letter topic until `idle` passes without a new record, replays the
    /// selected records (or only lists them when `dryRun`), and prints a summary line.
    public func run(logger: Logger) async throws {
        var configuration = KafkaConsumerConfiguration(bootstrapServers: servers, groupID: group)
        configuration.autoOffsetReset = "earliest"
        let lastActivity = ActivityClock()
        let consumer = try KafkaConsumer(
            configuration: configuration, rebalanceListener: AssignmentStartsClock(clock: lastActivity), logger: logger)
        try consumer.subscribe(topics: [topic])
        let producer = try KafkaProducer(configuration: KafkaProducerConfiguration(bootstrapServers: servers), logger: logger)
        let dryRun = self.dryRun
        let selection = self.selection
        let idle = self.idle
        let counts = try await withThrowingTaskGroup(of: (read: Int, replayed: Int)?.self) { group in
            group.addTask {
                var read = 0
                var replayed = 0
                for try await record in consumer.messages {
                    lastActivity.touch()
                    read += 1
                    guard selection.matches(record), let source = record.header(named: DeadLetterHeaders.sourceTopic) else {
                        try consumer.storeOffset(record.topicPartition, nextOffset: record.offset + 1)
                        continue
                    }
                    let sourceTopic = String(decoding: source, as: UTF8.self)
                    let key = record.key.map { String(decoding: $0, as: UTF8.self) } ?? "-"
                    Console.line("\(dryRun ? "would replay" : "replaying") \(key) → \(sourceTopic)")
                    if !dryRun {
                        _ = try await producer.send(KafkaOutgoingMessage(
                            topic: sourceTopic, key: record.key, value: record.value,
                            headers: record.headers.filter { !$0.key.hasPrefix(DeadLetterHeaders.prefix) }))
                        try consumer.storeOffset(record.topicPartition, nextOffset: record.offset + 1)
                    }
                    replayed += 1
                }
                return (read, replayed)
            }
            group.addTask {
                // Dead-letter topics have no end marker: stop once nothing new arrived for a
                // while after the partitions were assigned (joining a group takes seconds).
                while true {
                    try await Task.sleep(for: .milliseconds(250))
                    if let idleFor = lastActivity.idleFor, idleFor > idle { break }
                }
                await consumer.close()
                return nil
            }
            var counts = (read: 0, replayed: 0)
            for try await result in group { if let result { counts = result } }
            return counts
        }
        await producer.shutdown(timeout: .seconds(10))
        Console.line("read \(counts.read) dead-letter records, \(dryRun ? "would replay" : "replayed") \(counts.replayed)")
    }
}

/// Which dead-letter records an operator chose to replay.
public struct DeadLetterSelection: Sendable {
    /// Records whose key (the `out_request_no`) is one of these.
    public var outRequestNos: Set<String>
    /// Records whose `x-coupon-error-code` header is one of these.
    public var errorCodes: Set<String>
    /// Every record, whatever the two sets say.
    public var all: Bool

    public init(outRequestNos: Set<String>, errorCodes: Set<String>, all: Bool) {
        self.outRequestNos = outRequestNos
        self.errorCodes = errorCodes
        self.all = all
    }

    func matches(_ record: KafkaConsumerMessage) -> Bool {
        if all { return true }
        if let key = record.key, outRequestNos.contains(String(decoding: key, as: UTF8.self)) { return true }
        if let code = record.header(named: DeadLetterHeaders.code), errorCodes.contains(String(decoding: code, as: UTF8.self)) {
            return true
        }
        return false
    }
}

/// When something last happened, for stopping after a quiet period; it starts at the
/// first `touch`.
final class ActivityClock: Sendable {
    private let last = Mutex<ContinuousClock.Instant?>(nil)

    func touch() { last.withLock { $0 = .now } }

    /// Nil until the first `touch`.
    var idleFor: Duration? { last.withLock { $0 }?.duration(to: .now) }
}

/// Starts the replayer's quiet-period clock when the dead-letter partitions are assigned.
struct AssignmentStartsClock: KafkaRebalanceListener {
    let clock: ActivityClock

    func partitionsAssigned(_ partitions: [KafkaTopicPartition]) async { clock.touch() }
    func partitionsRevoked(_ partitions: [KafkaTopicPartition]) async {}
}
