import ArgumentParser
import CouponWorkerRuntime
import Foundation

/// The production worker: `WorkerRuntime.run` with the settings of `--config` and the
/// environment.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run the worker: consume commands, call providers exactly once, publish results.",
        discussion: "Configuration: --config FILE (JSON) plus COUPON_* environment variables; see README.")

    @Option(help: "The JSON configuration file.") var config: String?

    func run() async throws {
        do {
            let settings = try WorkerSettings.load(file: config, environment: ProcessInfo.processInfo.environment)
            try await WorkerRuntime.run(settings: settings)
        } catch let problems as ConfigurationProblems {
            Console.error(problems.description)
            throw ExitCode(78)
        } catch is WorkerRuntime.ServiceFailure {
            throw ExitCode(WorkerRuntime.ServiceFailure.exitStatus)
        }
    }
}
