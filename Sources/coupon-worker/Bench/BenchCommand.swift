import ArgumentParser
import Foundation
import IdempotencyStore
import Logging
import Metrics
import Prometheus

/// Measures the worker against its ceilings, every scenario in one run (issue 8).
///
/// Everything runs in this process on the mock Kafka cluster and the sandboxes, so ratios
/// (pipeline ÷ relay, WeChat ÷ RSA ceiling, …) compare figures taken on the same machine in
/// the same minute. It reports; it never fails on a missed target, only when a scenario
/// could not run at all.
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure throughput, latency and memory against the ceilings measured in the same run (release build).",
        discussion: """
            Scenarios: \(BenchScenario.allCases.map(\.rawValue).joined(separator: ", ")).
            PostgreSQL for `store`: --postgres-url or COUPON_TEST_POSTGRES_URL (skipped without).
            Build with `swift build -c release --product coupon-worker`: debug figures mean little.
            """)

    @Option(help: "Also write the figures to this file as JSON.") var json: String?
    @Option(help: "Comma-separated scenarios to run (default: all).") var scenarios: String?
    @Flag(help: "Smaller runs (20k relay records, 5k commands): a minute instead of several.") var quick = false
    @Option(help: "PostgreSQL URL for the store scenario (default: $COUPON_TEST_POSTGRES_URL).") var postgresUrl: String?

    func validate() throws {
        if let scenarios { _ = try BenchScenario.list(scenarios) }
    }

    func run() async throws {
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
        if !failures.isEmpty { throw ExitCode(1) }
    }
}
