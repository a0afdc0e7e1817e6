import CouponModel
import CouponWorkerRuntime
import Foundation
import IdempotencyStore
import Logging

/// `coupon-worker bench`: measures the worker against issue 18's goals and the ceilings
/// measured in the same run.
///
/// The deployment shape: this process holds the mock Kafka cluster, both sandboxes, the
/// producer of the input and the reader of the results (`BenchStage`); every worker is a
/// child process, this executable run as `coupon-worker run --config FILE` (`BenchWorker`),
/// so its CPU and memory are its own, read from `/proc/<pid>`. Ratios (WeChat ÷ RSA
/// ceiling, …) compare figures taken on the same machine in the same minute.
public enum Bench {
    /// The scenario names `--scenarios` accepts, for the command's help.
    public static var scenarioNames: [String] { BenchScenario.allCases.map(\.rawValue) }

    /// Throws when `scenarios` (comma-separated) names an unknown scenario.
    public static func validate(scenarios: String) throws {
        _ = try BenchScenario.list(scenarios)
    }

    /// Runs the selected scenarios (all when `scenarios` is nil), prints the table and writes
    /// `json` when given. Returns whether every scenario could run; a missed target is a
    /// figure, not a failure.
    ///
    /// `profile`: record the worker with perf during each throughput scenario and print the
    /// top entries (`PerfProfile`). SIGINT or SIGTERM stops the bench and its worker process.
    public static func run(json: String?, scenarios: String?, quick: Bool, postgresUrl: String?, profile: Bool) async throws
        -> Bool
    {
        LoggingSetup.bootstrap(format: nil, level: "error")
        let logger = Logger(label: "coupon-worker.bench")
        var selected = try scenarios.map(BenchScenario.list) ?? Set(BenchScenario.allCases)
        // `memory` is measured during, and `latency` paced from, the 50 ms scenario.
        if selected.contains(.memory) || selected.contains(.latency) { selected.insert(.zvcmsLatency) }

        let startedAt = ISO8601DateFormatter().string(from: Date())
        let machine = BenchMachine.current()
        Console.line("coupon-worker bench — \(machine.summary)\(quick ? " — quick" : "")")
        if machine.build == "debug" { Console.line("  (debug build: figures are not representative; use -c release)") }
        var profiling = profile
        if profile, let reason = await PerfProfile.unavailableReason() {
            Console.line("  --profile: no profile, \(reason)")
            profiling = false
        }
        let stage = try await BenchStage.start(logger: logger)
        Console.line("  mock cluster (3 brokers): \(stage.bootstrapServers)\n")

        let run = BenchRun(
            stage: stage, sizes: quick ? .quick : .full,
            postgresURL: postgresUrl ?? ProcessInfo.processInfo.environment["COUPON_TEST_POSTGRES_URL"], profile: profiling)
        let order = BenchScenario.runOrder.filter(selected.contains)
        let measured = await withTaskGroup(of: Measured?.self) { group in
            group.addTask { await measure(order, with: run) }
            group.addTask {
                await Signals.waitForTermination()
                return nil
            }
            let first = await group.next() ?? nil
            guard let first else {
                // Stopped by a signal: no worker process may outlive the bench.
                BenchWorker.killAll()
                PerfProfile.killAll()
                try? FileManager.default.removeItem(at: stage.folder)
                Console.line("\ninterrupted: the worker process was killed")
                Foundation.exit(130)
            }
            group.cancelAll()
            return first
        }
        await stage.stop()

        let report = BenchReport(
            machine: machine, startedAt: startedAt, quick: quick,
            figures: BenchScenario.allCases.flatMap { measured.figures[$0] ?? [] }, failures: measured.failures,
            profiles: measured.profiles)
        Console.line("\n" + report.table())
        if let json {
            try report.json().write(to: URL(fileURLWithPath: json))
            Console.line("\nfigures written to \(json)")
        }
        return measured.failures.isEmpty
    }

    /// What the scenarios produced.
    private struct Measured: Sendable {
        var figures: [BenchScenario: [BenchFigure]] = [:]
        var failures: [String] = []
        var profiles: [String: [String]] = [:]
    }

    /// Runs `scenarios` in order; a scenario that cannot run is a failure, and the next runs.
    private static func measure(_ scenarios: [BenchScenario], with run: BenchRun) async -> Measured {
        var run = run
        var measured = Measured()
        for scenario in scenarios {
            Console.line("▶ \(scenario.rawValue)…")
            let started = ContinuousClock.now
            do {
                measured.figures[scenario, default: []] += try await run.figures(for: scenario)
            } catch {
                measured.failures.append("\(scenario.rawValue): \(error)")
                Console.line("  could not run: \(error)")
            }
            Console.line("  done in \(Int(started.duration(to: .now).seconds)) s")
        }
        measured.profiles = run.profiles
        return measured
    }
}
