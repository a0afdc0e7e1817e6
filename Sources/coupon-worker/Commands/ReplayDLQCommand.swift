import ArgumentParser
import CouponWorkerRuntime
import Foundation
import Logging

/// Re-drives dead-letter records to the topic they came from (`DeadLetterReplay`).
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
        guard let servers = brokers ?? ProcessInfo.processInfo.environment["COUPON_KAFKA_BROKERS"] else {
            Console.error("replay-dlq: --brokers or COUPON_KAFKA_BROKERS is required")
            throw ExitCode(78)
        }
        let replay = DeadLetterReplay(
            servers: servers, topic: topic,
            selection: DeadLetterSelection(outRequestNos: Set(outRequestNos), errorCodes: Set(errorCode), all: all),
            dryRun: dryRun, idle: .seconds(idleSeconds), group: group)
        try await replay.run(logger: Logger(label: "coupon-worker.replay-dlq"))
    }
}
