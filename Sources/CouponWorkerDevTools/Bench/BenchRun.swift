import CouponModel
import CouponWorkerRuntime
import Foundation
import IdempotencyStore

/// Runs the scenarios one after the other on one stage and turns their measurements into
/// figures against issue 18's goals; keeps what later scenarios are stated against (the
/// relay rate, the 50 ms maximum).
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
            relayMessages: 100_000, zvcmsCommands: 20_000, latencyBoundCommands: 10_000, partitionSerialCommands: 1_200,
            wechatCommands: 5_000, latencyDuration: .seconds(15), storePairs: 20_000, rsaDuration: .seconds(2))
        static let quick = Sizes(
            relayMessages: 20_000, zvcmsCommands: 5_000, latencyBoundCommands: 5_000, partitionSerialCommands: 300,
            wechatCommands: 1_000, latencyDuration: .seconds(5), storePairs: 5_000, rsaDuration: .milliseconds(500))
    }

    let stage: BenchStage
    let sizes: Sizes
    let postgresURL: String?
    /// Record the worker with perf during each throughput scenario (`--profile`).
    let profile: Bool

    /// perf's top entries per scenario (`--profile`).
    private(set) var profiles: [String: [String]] = [:]

    /// Records/s of the relay, once measured.
    private var relayRate: Double?
    /// Commands/s with 50 ms provider latency and max_in_flight 256, once measured.
    private var latencyBoundRate: Double?
    private var memoryFigures: [BenchFigure] = []

    static let providerLatency = Duration.milliseconds(50)
    static let maxInFlight = 256

    init(stage: BenchStage, sizes: Sizes, postgresURL: String?, profile: Bool) {
        self.stage = stage
        self.sizes = sizes
        self.postgresURL = postgresURL
        self.profile = profile
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

    private mutating func zvcms() async throws -> [BenchFigure] {
        let name = BenchScenario.zvcms.rawValue
        let shipped = try await throughput(.zvcms, commands: sizes.zvcmsCommands, profileAs: name)
        var figures: [BenchFigure] = [
            .atLeast(
                name, "commands/s, SQLite, max_in_flight \(Self.maxInFlight)", shipped.rate, "/s", minimum: 4_000,
                target: "≥ 4,000 /s", note: Self.outcomeNote(shipped.tally, commands: sizes.zvcmsCommands))
        ]
        if let relayRate {
            figures.append(.info(name, "commands/s ÷ relay", shipped.rate / relayRate, "×"))
        }
        figures += Self.workerFigures(name, shipped, cpuTarget: 0.2, steadinessTargets: true)
        return figures
    }

    /// One throughput run of `commands` against `provider`, profiled when `--profile` asked.
    private mutating func throughput(
        _ provider: PipelineThroughput.Provider, commands: Int, profileAs scenario: String?,
        _ adjust: (inout PipelineThroughput) -> Void = { _ in }
    ) async throws -> PipelineThroughput.Measurement {
        var run = PipelineThroughput(provider: provider, commands: commands)
        run.profile = profile && scenario != nil
        adjust(&run)
        let measurement = try await run.run(on: stage)
        if let scenario, let entries = measurement.usage.profile {
            profiles[scenario] = entries
            Console.line("  worker profile (perf, self time, first to last result), top \(entries.count):")
            for entry in entries { Console.line("    \(entry)") }
        }
        return measurement
    }

    /// What every throughput run reports about the worker process: CPU per command, peak
    /// RSS, and how steadily results came. `cpuTarget` in ms (`nil`: info only);
    /// `steadinessTargets`: the gap figures are held to ≤ 100 ms and ≤ 1 %.
    private static func workerFigures(
        _ name: String, _ m: PipelineThroughput.Measurement, cpuTarget: Double?, steadinessTargets: Bool
    ) -> [BenchFigure] {
        var figures: [BenchFigure] = []
        let cpuMeasure = "worker CPU per command"
        if let cpu = m.usage.cpuPerCommand {
            let note = "worker process utime+stime (/proc/<pid>/stat) from the first result read to the last, ÷ \(m.usage.commandsBetween) results"
                + (m.usage.cores.map { String(format: "; %.2f cores busy", $0) } ?? "")
            figures.append(cpuTarget.map {
                .atMost(name, cpuMeasure, cpu * 1000, "ms", maximum: $0, target: "≤ \($0) ms", note: note)
            } ?? .info(name, cpuMeasure, cpu * 1000, "ms", note: note))
        } else {
            figures.append(.skipped(
                name, cpuMeasure, target: cpuTarget.map { "≤ \($0) ms" }, note: "/proc/<pid>/stat of the worker unreadable"))
        }
        if let peak = m.usage.peakResidentBytes {
            figures.append(.info(name, "worker peak RSS (VmHWM)", peak / 1_048_576, "MB"))
        }
        guard let gaps = m.tally.gaps else {
            figures.append(.skipped(name, "longest gap between results", target: nil, note: "fewer than two timestamped results"))
            return figures
        }
        let gapMeasure = "longest gap between two results"
        let slotMeasure = "empty 100 ms slots while input waited"
        let slotNote = "\(gaps.emptySlots) of \(gaps.slots) slots between the first and the last result; from the results' Kafka timestamps"
        if steadinessTargets {
            figures.append(.atMost(name, gapMeasure, gaps.longest * 1000, "ms", maximum: 100, target: "≤ 100 ms"))
            figures.append(.atMost(name, slotMeasure, gaps.emptyShare * 100, "%", maximum: 1, target: "≤ 1 %", note: slotNote))
        } else {
            figures.append(.info(name, gapMeasure, gaps.longest * 1000, "ms"))
            figures.append(.info(name, slotMeasure, gaps.emptyShare * 100, "%", note: slotNote))
        }
        return figures
    }

    private mutating func zvcmsLatency() async throws -> [BenchFigure] {
        let name = BenchScenario.zvcmsLatency.rawValue
        let partitions: Int32 = 6
        func slow(_ commands: Int, profileAs scenario: String?, _ adjust: (inout BenchWorker.Shape) -> Void) async throws
            -> PipelineThroughput.Measurement
        {
            try await throughput(.zvcms, commands: commands, profileAs: scenario) { run in
                run.partitions = partitions
                run.providerLatency = Self.providerLatency
                run.shape.maxInFlight = Self.maxInFlight
                adjust(&run.shape)
            }
        }
        let shipped = try await slow(sizes.latencyBoundCommands, profileAs: name) { _ in }
        latencyBoundRate = shipped.rate
        memoryFigures = Self.memory(peak: shipped.usage.peakResidentBytes)
        // As the brief of issue 8 stated it: a partition pauses at 1 command in flight.
        let paused = try await slow(sizes.partitionSerialCommands, profileAs: nil) { $0.partitionBuffer = 1 }
        // Strictly partition-serial throughput: never more commands at once than partitions.
        let serial = try await slow(sizes.partitionSerialCommands, profileAs: nil) {
            $0.partitionBuffer = 1
            $0.maxInFlight = Int(partitions)
        }

        let serialBound = Double(partitions) / Self.providerLatency.seconds
        let pausedNote = paused.rate > serialBound * 1.05
            ? "above \(Int(serialBound)) /s (6 ÷ 50 ms): more than 1 in flight per partition, the pause is not a hard limit; "
            : ""
        var figures: [BenchFigure] = [
            .atLeast(
                name, "commands/s, max_in_flight \(Self.maxInFlight), 6 partitions", shipped.rate, "/s", minimum: 4_000,
                target: "≥ 4,000 /s", note: Self.outcomeNote(shipped.tally, commands: sizes.latencyBoundCommands)
                    + "; the bound is \(Int(Double(Self.maxInFlight) / Self.providerLatency.seconds)) /s (256 ÷ 50 ms)"),
        ]
        figures += Self.workerFigures(name, shipped, cpuTarget: nil, steadinessTargets: true)
        figures += [
            .info(
                name, "commands/s, partition_buffer 1", paused.rate, "/s",
                note: pausedNote + Self.outcomeNote(paused.tally, commands: sizes.partitionSerialCommands)),
            .info(
                name, "commands/s, partition-serial (partition_buffer 1, max_in_flight 6)", serial.rate, "/s",
                note: Self.outcomeNote(serial.tally, commands: sizes.partitionSerialCommands)),
            .info(name, "max_in_flight \(Self.maxInFlight) ÷ partition-serial", shipped.rate / serial.rate, "×"),
        ]
        return figures
    }

    private static func memory(peak: Double?) -> [BenchFigure] {
        let name = BenchScenario.memory.rawValue
        let measure = "worker peak RSS (VmHWM) during \(BenchScenario.zvcmsLatency.rawValue), max_in_flight \(maxInFlight)"
        guard let peak else {
            return [.skipped(name, measure, target: "≤ 80 MB", note: "/proc/<pid>/status of the worker unreadable")]
        }
        return [.atMost(
            name, measure, peak / 1_048_576, "MB", maximum: 80, target: "≤ 80 MB",
            note: "the worker process alone, since its start (a fresh worker per run), read at the last result")]
    }

    private mutating func wechat() async throws -> [BenchFigure] {
        let name = BenchScenario.wechat.rawValue
        let ceiling = try RSACeiling(duration: sizes.rsaDuration).measure(privateKeyFile: stage.sandboxes.keyFiles.wechatPrivateKey)
        let shipped = try await throughput(.wechat, commands: sizes.wechatCommands, profileAs: name)
        var figures: [BenchFigure] = [
            .info(name, "RSA-2048 signs/s, 1 thread", ceiling.signsPerSecond, "/s"),
            .info(name, "RSA ceiling: signs/s × \(ceiling.cores) cores ÷ 2", ceiling.commandsPerSecond, "/s"),
        ]
        figures.append(.atLeast(
            name, "commands/s, SQLite, max_in_flight \(Self.maxInFlight)", shipped.rate, "/s",
            minimum: 0.7 * ceiling.commandsPerSecond, reference: ceiling.commandsPerSecond, target: "≥ 0.7 × RSA ceiling",
            note: Self.outcomeNote(shipped.tally, commands: sizes.wechatCommands)))
        figures += Self.workerFigures(name, shipped, cpuTarget: nil, steadinessTargets: false)
        return figures
    }

    private func latency() async throws -> [BenchFigure] {
        let name = BenchScenario.latency.rawValue
        guard let maximum = latencyBoundRate, maximum > 0 else {
            return [.skipped(name, "p99", target: "≤ 60 ms", note: "no maximum rate from zvcms-50ms")]
        }
        let rate = maximum / 2
        let m = try await LatencyScenario(ratePerSecond: rate, duration: sizes.latencyDuration, providerLatency: Self.providerLatency)
            .run(on: stage)
        let context = "at \(Int(rate)) commands/s (half of \(Int(maximum))), 50 ms provider, \(m.histogram.totalCount) samples"
        return [
            .info(name, "p50 produced → result read", m.milliseconds(atPercentile: 50), "ms", note: context),
            .atMost(
                name, "p99 produced → result read", m.milliseconds(atPercentile: 99), "ms", maximum: 60, target: "≤ 60 ms"),
            .atMost(
                name, "p99.9 produced → result read", m.milliseconds(atPercentile: 99.9), "ms", maximum: 80,
                target: "≤ 80 ms"),
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
            name, "claim+complete pairs/s, SQLite, \(throughput.concurrency) tasks", sqliteRate, "/s", minimum: 20_000,
            target: "≥ 20,000 /s", note: "\(sizes.storePairs) pairs, temp file")]
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
            figures.append(.atLeast(name, postgresMeasure, rate, "/s", minimum: 5_000, target: "≥ 5,000 /s"))
        } else {
            figures.append(.skipped(
                name, postgresMeasure, target: "≥ 5,000 /s",
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
