import ArgumentParser
import CouponWorkerDevTools

/// The benchmark (`Bench`): reports figures, fails only when a scenario could not run.
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure a worker process's throughput, CPU, memory, stalls and latency against issue 18's goals (release build).",
        discussion: """
            The broker, the sandboxes, the producer and the reader run in this process; each worker runs as
            `coupon-worker run --config FILE` in a process of its own, whose CPU and memory are read from /proc.
            Scenarios: \(Bench.scenarioNames.joined(separator: ", ")).
            PostgreSQL for `store`: --postgres-url or COUPON_TEST_POSTGRES_URL (skipped without).
            Build with `swift build -c release --product coupon-worker`: debug figures mean little.
            """)

    @Option(help: "Also write the figures to this file as JSON.") var json: String?
    @Option(help: "Comma-separated scenarios to run (default: all).") var scenarios: String?
    @Flag(help: "Smaller runs (20k relay records, 5k commands): a minute instead of several.") var quick = false
    @Option(help: "PostgreSQL URL for the store scenario (default: $COUPON_TEST_POSTGRES_URL).") var postgresUrl: String?
    @Flag(help: "Record the worker with perf during each throughput scenario and print the top 15 entries (self time).")
    var profile = false

    func validate() throws {
        guard let scenarios else { return }
        do { try Bench.validate(scenarios: scenarios) } catch { throw ValidationError("\(error)") }
    }

    func run() async throws {
        let completed = try await Bench.run(json: json, scenarios: scenarios, quick: quick, postgresUrl: postgresUrl, profile: profile)
        if !completed { throw ExitCode(1) }
    }
}
