import ArgumentParser
import CouponModel
import Foundation
import Kafka
import Logging
import Synchronization

/// Re-drives dead-letter records to the topic they came from, after the cause was fixed.
///
/// The original key, bytes and headers are produced again (without the `x-coupon-error-*`
/// headers); the worker then treats them as any command, so idempotency still holds: a
/// command that already took effect gets its stored result again.
struct ReplayDLQCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay-dlq",
        abstract: "Re-drive selected dead-letter records to their source topic.")

    @Option(help: "Kafka bootstrap servers (default: COUPON_KAFKA_BROKERS).") var brokers: String?
    @Option(help: "The dead-letter topic.") var topic = Topology.deadLetters
    @Option(name: .customLong("out-request-no"), help: "Replay records with this key (repeatable).")
    var outRequestNos: [String] = []
    @Option(help: "Replay records with this x-coupon-error-code (repeatable).") var errorCode: [String] = []
    @Flag(help: "Replay every record (otherwise a selection is required).") var all = false
    @Flag(help: "Show what would be replayed; produce nothing.") var dryRun = false
    @Option(help: "Stop after this many seconds without a new record.") var idleSeconds = 5
    @Option(help: "Consumer group of the replayer (its committed offsets remember what was read).")
    var group = "coupon-worker-dlq-replay"

    func validate() throws {
        if !all && outRequestNos.isEmpty && errorCode.isEmpty {
            throw ValidationError("choose records with --out-request-no / --error-code, or pass --all")
        }
    }

    func run() async throws {
        LoggingSetup.bootstrap(format: nil, level: "warning")
        let logger = Logger(label: "coupon-worker.replay-dlq")
        guard let servers = brokers ?? ProcessInfo.processInfo.environment["COUPON_KAFKA_BROKERS"] else {
            printError("replay-dlq: --brokers or COUPON_KAFKA_BROKERS is required")
            throw ExitCode(78)
        }
        var configuration = KafkaConsumerConfiguration(bootstrapServers: servers, groupID: group)
        configuration.autoOffsetReset = "earliest"
        let lastActivity = ActivityClock()
        let consumer = try KafkaConsumer(
            configuration: configuration, rebalanceListener: AssignmentStartsClock(clock: lastActivity), logger: logger)
        try consumer.subscribe(topics: [topic])
        let producer = try KafkaProducer(configuration: KafkaProducerConfiguration(bootstrapServers: servers), logger: logger)
        let dryRun = self.dryRun
        let selection = DeadLetterSelection(outRequestNos: Set(outRequestNos), errorCodes: Set(errorCode), all: all)

        let idle = Duration.seconds(idleSeconds)
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
struct DeadLetterSelection: Sendable {
    var outRequestNos: Set<String>
    var errorCodes: Set<String>
    var all: Bool

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
