import CouponModel
import Foundation
import IdempotencyStore

/// Runs the scenarios one after the other on one stage and turns their measurements into
/// figures; keeps what later scenarios are stated against (the relay rate, the 50 ms
/// maximum).
struct BenchRun {
    /// How big each scenario is.
    struct Sizes: Sendable {
        var relayMessages: Int
        var zvcmsCommands: Int
        var latencyBoundCommands: Int
        var partitionSerialCommands: Int
        var wechatCommands: Int
        var latencyDuration: Duration
        var storePairs: Int
        var rsaDuration: Duration

        static let full = Sizes(
            relayMessages: 100_000, zvcmsCommands: 20_000, latencyBoundCommands: 20_000, partitionSerialCommands: 1_200,
            wechatCommands: 5_000, latencyDuration: .seconds(15), storePairs: 20_000, rsaDuration: .seconds(2))
        static let quick = Sizes(
            relayMessages: 20_000, zvcmsCommands: 5_000, latencyBoundCommands: 5_000, partitionSerialCommands: 300,
            wechatCommands: 1_000, latencyDuration: .seconds(5), storePairs: 5_000, rsaDuration: .milliseconds(500))
    }

    let stage: BenchStage
    let sizes: Sizes
    let postgresURL: String?

    /// Records/s of the relay, once measured.
    private var relayRate: Double?
    /// Commands/s with 50 ms provider latency and max_in_flight 256, once measured.
    private var latencyBoundRate: Double?
    private var memoryFigures: [BenchFigure] = []

    static let providerLatency = Duration.milliseconds(50)
    static let maxInFlight = 256

    init(stage: BenchStage, sizes: Sizes, postgresURL: String?) {
        self.stage = stage
        self.sizes = sizes
        self.postgresURL = postgresURL
    }

    mutating func figures(for scenario: BenchScenario) async throws -> [BenchFigure] {
        switch scenario {
        case .relay: try await relay()
        case .zvcms: try await zvcms()
        case .zvcmsLatency: try await zvcmsLatency()
        case .memory: memoryFigures
        case .wechat: try await wechat()
        case .latency: try await latency()
        case .store: try await store()
        }
    }

    // MARK: Scenarios

    private mutating func relay() async throws -> [BenchFigure] {
        let name = BenchScenario.relay.rawValue
        let m = try await RelayScenario(messages: sizes.relayMessages).run(on: stage)
        relayRate = m.relayRate
        var figures = [
            BenchFigure.info(name, "produce (load the input, window 5,000)", m.loadRate, "/s"),
            BenchFigure.info(
                name, "consume → produce, window \(Self.maxInFlight)", m.relayRate, "/s",
                note: "\(sizes.relayMessages) records of \(BenchCommands.zvcmsIssue("BENCH-relay-0000000").count) bytes, 6 partitions; idempotent producer, acks=all; the baseline"),
        ]
        switch m.kcatRate {
        case .success(let rate):
            figures.append(.info(name, "kcat consume (same records)", rate, "/s", note: "process start to exit, incl. start-up"))
            figures.append(.info(name, "relay ÷ kcat consume", m.relayRate / rate, "×"))
        case .failure(let failure):
            figures.append(.skipped(name, "kcat consume (same records)", target: nil, note: failure.description))
        }
        return figures
    }

    private func zvcms() async throws -> [BenchFigure] {
        let name = BenchScenario.zvcms.rawValue
        let shipped = try await PipelineThroughput(provider: .zvcms, commands: sizes.zvcmsCommands).run(on: stage)
        var figures: [BenchFigure] = [
            .atLeast(
                name, "commands/s, SQLite, max_in_flight \(Self.maxInFlight)", shipped.rate, "/s", minimum: 5_000,
                target: "≥ 5,000 /s", note: Self.outcomeNote(shipped.tally, commands: sizes.zvcmsCommands))
        ]
        if let relayRate {
            figures.append(.atLeast(
                name, "commands/s vs relay", shipped.rate, "/s", minimum: 0.25 * relayRate, reference: relayRate,
                target: "≥ 0.25 × relay"))
        } else {
            figures.append(.skipped(name, "commands/s vs relay", target: "≥ 0.25 × relay", note: "relay not run"))
        }
        return figures
    }

    private mutating func zvcmsLatency() async throws -> [BenchFigure] {
        let name = BenchScenario.zvcmsLatency.rawValue
        let bound = Double(Self.maxInFlight) / Self.providerLatency.seconds
        let partitions: Int32 = 6
        let rssBefore = PeakMemory.currentBytes()
        let peakReset = PeakMemory.resetPeak()
        func slow(_ commands: Int, _ adjust: (inout BenchWorker.Shape) -> Void) async throws -> PipelineThroughput.Measurement {
            var run = PipelineThroughput(provider: .zvcms, commands: commands, partitions: partitions)
            run.providerLatency = Self.providerLatency
            run.shape.maxInFlight = Self.maxInFlight
            adjust(&run.shape)
            return try await run.run(on: stage)
        }
        let shipped = try await slow(sizes.latencyBoundCommands) { _ in }
        latencyBoundRate = shipped.rate
        // As the brief states it: a partition pauses at 1 command in flight.
        let paused = try await slow(sizes.partitionSerialCommands) { $0.partitionBuffer = 1 }
        // Strictly partition-serial throughput: never more commands at once than partitions.
        let serial = try await slow(sizes.partitionSerialCommands) {
            $0.partitionBuffer = 1
            $0.maxInFlight = Int(partitions)
        }
        let peak = PeakMemory.peakBytes()
        memoryFigures = Self.memory(peak: peak, peakReset: peakReset, rssBefore: rssBefore)

        let serialBound = Double(partitions) / Self.providerLatency.seconds
        let pausedNote = paused.rate > serialBound * 1.05
            ? "above \(Int(serialBound)) /s (6 ÷ 50 ms): more than 1 in flight per partition, the pause is not a hard limit; "
            : ""
        return [
            .atLeast(
                name, "commands/s, max_in_flight \(Self.maxInFlight), 6 partitions", shipped.rate, "/s", minimum: 0.8 * bound,
                reference: bound, target: "≥ 0.8 × \(Int(bound)) /s (256 ÷ 50 ms)",
                note: Self.outcomeNote(shipped.tally, commands: sizes.latencyBoundCommands)),
            .info(
                name, "commands/s, partition_buffer 1", paused.rate, "/s",
                note: pausedNote + Self.outcomeNote(paused.tally, commands: sizes.partitionSerialCommands)),
            .info(
                name, "commands/s, partition-serial (partition_buffer 1, max_in_flight 6)", serial.rate, "/s",
                note: Self.outcomeNote(serial.tally, commands: sizes.partitionSerialCommands)),
            .atLeast(
                name, "max_in_flight \(Self.maxInFlight) vs partition-serial", shipped.rate, "/s", minimum: 30 * serial.rate,
                reference: serial.rate, target: "≥ 30 × partition-serial"),
        ]
    }

    private static func memory(peak: Double?, peakReset: Bool, rssBefore: Double?) -> [BenchFigure] {
        let name = BenchScenario.memory.rawValue
        let scenario = BenchScenario.zvcmsLatency.rawValue
        guard let peak else {
            return [.skipped(name, "peak RSS during \(scenario)", target: "≤ 200 MB", note: "/proc/self/status unreadable")]
        }
        let note = (peakReset ? "peak reset before the scenario" : "peak since process start (clear_refs refused)")
            + "; RSS before: \(Int((rssBefore ?? 0) / 1_048_576)) MB; the process also holds the broker and the sandboxes"
        return [.atMost(
            name, "peak RSS (VmHWM) during \(scenario)", peak / 1_048_576, "MB", maximum: 200, target: "≤ 200 MB", note: note)]
    }

    private func wechat() async throws -> [BenchFigure] {
        let name = BenchScenario.wechat.rawValue
        let ceiling = try RSACeiling(duration: sizes.rsaDuration).measure(privateKeyFile: stage.sandboxes.keyFiles.wechatPrivateKey)
        let shipped = try await PipelineThroughput(provider: .wechat, commands: sizes.wechatCommands).run(on: stage)
        var figures: [BenchFigure] = [
            .info(name, "RSA-2048 signs/s, 1 thread", ceiling.signsPerSecond, "/s"),
            .info(name, "RSA ceiling: signs/s × \(ceiling.cores) cores ÷ 2", ceiling.commandsPerSecond, "/s"),
        ]
        figures.append(.atLeast(
            name, "commands/s, SQLite, max_in_flight \(Self.maxInFlight)", shipped.rate, "/s",
            minimum: 0.7 * ceiling.commandsPerSecond, reference: ceiling.commandsPerSecond, target: "≥ 0.7 × RSA ceiling",
            note: Self.outcomeNote(shipped.tally, commands: sizes.wechatCommands)))
        return figures
    }

    private func latency() async throws -> [BenchFigure] {
        let name = BenchScenario.latency.rawValue
        guard let maximum = latencyBoundRate, maximum > 0 else {
            return [.skipped(name, "p99", target: "≤ 70 ms", note: "no maximum rate from zvcms-50ms")]
        }
        let rate = maximum / 2
        let m = try await LatencyScenario(ratePerSecond: rate, duration: sizes.latencyDuration, providerLatency: Self.providerLatency)
            .run(on: stage)
        let limit = Self.providerLatency.seconds * 1000 + 20
        let context = "at \(Int(rate)) commands/s (half of \(Int(maximum))), 50 ms provider, \(m.histogram.totalCount) samples"
        return [
            .info(name, "p50 produced → result read", m.milliseconds(atPercentile: 50), "ms", note: context),
            .atMost(
                name, "p99 produced → result read", m.milliseconds(atPercentile: 99), "ms", maximum: limit,
                target: "≤ \(Int(limit)) ms (provider + 20)"),
            .info(name, "p99.9 produced → result read", m.milliseconds(atPercentile: 99.9), "ms"),
            .info(name, "max produced → result read", Double(m.histogram.max) / 1000, "ms",
                  note: m.tally.allSucceeded ? nil : m.tally.statusSummary),
        ]
    }

    private func store() async throws -> [BenchFigure] {
        let name = BenchScenario.store.rawValue
        let throughput = StoreThroughput(pairs: sizes.storePairs)
        let sqlite = try await IdempotencyStoreFactory.open("sqlite:\(stage.sqlitePath("store"))", logger: stage.logger)
        let sqliteRate: Double
        do {
            sqliteRate = try await throughput.measure(sqlite)
            await sqlite.close()
        } catch {
            await sqlite.close()
            throw error
        }
        var figures = [BenchFigure.atLeast(
            name, "claim+complete pairs/s, SQLite, \(throughput.concurrency) tasks", sqliteRate, "/s", minimum: 5_000,
            target: "≥ 5,000 /s", note: "\(sizes.storePairs) pairs, temp file")]
        let postgresMeasure = "claim+complete pairs/s, PostgreSQL, \(throughput.concurrency) tasks"
        if let postgresURL {
            let postgres = try await IdempotencyStoreFactory.open(postgresURL, logger: stage.logger)
            let rate: Double
            do {
                rate = try await throughput.measure(postgres)
                await postgres.close()
            } catch {
                await postgres.close()
                throw error
            }
            figures.append(.atLeast(name, postgresMeasure, rate, "/s", minimum: 2_000, target: "≥ 2,000 /s"))
        } else {
            figures.append(.skipped(
                name, postgresMeasure, target: "≥ 2,000 /s",
                note: "no PostgreSQL: pass --postgres-url or set COUPON_TEST_POSTGRES_URL (eval \"$(bash .ci/postgres.sh)\")"))
        }
        return figures
    }

    /// How the commands ended, when not all succeeded, plus the run's span.
    private static func outcomeNote(_ tally: ResultTally, commands: Int) -> String {
        let span = String(format: "%.1f s", tally.span)
        return tally.allSucceeded
            ? "\(commands) commands, all succeeded, \(span)" : "\(commands) commands: \(tally.statusSummary), \(span)"
    }
}
