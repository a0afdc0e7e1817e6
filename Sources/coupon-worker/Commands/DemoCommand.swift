import ArgumentParser
import CouponWorkerDevTools

/// The embedded default (`Demo`): mock Kafka, both sandboxes and SQLite in one process.
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Run the whole product in-process: mock Kafka, both sandboxes, SQLite; send sample commands and show the results.")

    @Flag(help: "Stay up after the samples and print the Kafka bootstrap address.") var keepRunning = false
    @Option(help: "Also serve /healthz, /readyz, /metrics and /requests on this port.") var httpPort: Int?
    @Option(help: "Give up waiting for results after this many seconds.") var timeout = 120
    @Flag(help: "Show the worker's logs.") var verbose = false
    @Flag(help: "Record every span in-process and print each command's span tree with durations.") var trace = false

    func run() async throws {
        let passed = try await Demo.run(keepRunning: keepRunning, httpPort: httpPort, timeout: timeout, verbose: verbose, trace: trace)
        if !passed { throw ExitCode(1) }
    }
}
