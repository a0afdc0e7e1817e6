import CouponModel
import CouponWorkerRuntime
import Foundation
import IdempotencyStore
import Logging
import Metrics
import Prometheus

/// `coupon-worker bench`: measures the worker against its ceilings, every scenario in one run
/// (issue 8).
///
/// Everything runs in this process on the mock Kafka cluster and the sandboxes, so ratios
/// (pipeline ÷ relay, WeChat ÷ RSA ceiling, …) compare figures taken on the same machine in
/// the same minute. Workers are assembled by `WorkerRuntime.assemble`, exactly as `run` does.
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
    public static func run(json: String?, scenarios: String?, quick: Bool, postgresUrl: String?) async throws -> Bool {
        LoggingSetup.bootstrap(format: nil, level: "error")
        // As in `run`: the worker's metrics go to Prometheus, so their cost is measured too.
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: PrometheusCollectorRegistry()))
        let logger = Logger(label: "coupon-worker.bench")
        var selected = try scenarios.map(BenchScenario.list) ?? Set(BenchScenario.allCases)
        // `memory` is measured during, and `latency` paced from, the 50 ms scenario.
        if selected.contains(.memory) || selected.contains(.latency) { selected.insert(.zvcmsLatency) }

        let startedAt = ISO8601DateFormatter().string(from: Date())
        let machine = BenchMachine.current()
        Console.line("coupon-worker bench — \(machine.summary)\(quick ? " — quick" : "")")
        if machine.build == "debug" { Console.line("  (debug build: figures are not representative; use -c release)") }
        let stage = try await BenchStage.start(logger: logger)
        Console.line("  mock cluster (3 brokers): \(stage.bootstrapServers)\n")

        var run = BenchRun(stage: stage, sizes: quick ? .quick : .full, postgresURL: postgresUrl
            ?? ProcessInfo.processInfo.environment["COUPON_TEST_POSTGRES_URL"])
        var figures: [BenchScenario: [BenchFigure]] = [:]
        var failures: [String] = []
        for scenario in BenchScenario.runOrder where selected.contains(scenario) {
            Console.line("▶ \(scenario.rawValue)…")
            let started = ContinuousClock.now
            do {
                let result = try await run.figures(for: scenario)
                figures[scenario, default: []] += result
            } catch {
                failures.append("\(scenario.rawValue): \(error)")
                Console.line("  could not run: \(error)")
            }
            Console.line("  done in \(Int(started.duration(to: .now).seconds)) s")
        }
        await stage.stop()

        let report = BenchReport(
            machine: machine, startedAt: startedAt, quick: quick,
            figures: BenchScenario.allCases.flatMap { figures[$0] ?? [] }, failures: failures)
        Console.line("\n" + report.table())
        if let json {
            try report.json().write(to: URL(fileURLWithPath: json))
            Console.line("\nfigures written to \(json)")
        }
        return failures.isEmpty
    }
}
