import ArgumentParser

/// Measures the worker against its ceilings, every scenario in one run (issue 8).
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure throughput, latency and memory against the ceilings measured in the same run (release build).")

    func run() async throws {
        print("bench: not built yet")
    }
}
