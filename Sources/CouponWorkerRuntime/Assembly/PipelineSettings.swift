import CouponWorker
import Foundation

/// What the settings tell the pipeline: the worker's configuration and the command processor's
/// knobs, with every default in one place. `run`, the demo, the benchmark and the test harness
/// all derive their workers from it, so a default changed here changes them all.
public struct PipelineSettings: Sendable {
    public var worker: CouponWorker.Configuration
    public var processor: CommandProcessor.Settings
    /// How long one provider request may take (`provider_timeout_seconds`, default 10 s).
    public var providerTimeout: Duration

    /// - Parameter owner: this process's name in lease records (unique per process).
    public init(_ settings: WorkerSettings, owner: String) {
        let w = settings.worker
        providerTimeout = .seconds(w.providerTimeoutSeconds ?? 10)
        worker = CouponWorker.Configuration()
        worker.issueTopic = settings.topics.issue ?? Topology.issue
        worker.queryTopic = settings.topics.query ?? Topology.query
        worker.resultsTopic = settings.topics.results ?? Topology.results
        worker.deadLetterTopic = settings.topics.dlq ?? Topology.deadLetters
        worker.maxInFlight = w.maxInFlight ?? 256
        worker.partitionBufferLimit = w.partitionBuffer ?? 512
        worker.revokeGrace = .seconds(w.revokeGraceSeconds ?? 10)
        processor = CommandProcessor.Settings(
            leaseDuration: .seconds(w.leaseSeconds ?? 60),
            retry: RetryPolicy(maxAttempts: w.maxAttempts ?? 5, budget: .seconds(w.retryBudgetSeconds ?? 60)),
            // An ambiguous issue is given as long again as the worker waited for its answer.
            owner: owner, ambiguousSettle: providerTimeout)
    }

    /// A name for this process in lease records: host, pid and a random part, so a restarted
    /// process with a reused pid is still someone else.
    public static func processOwner() -> String {
        "\(ProcessInfo.processInfo.hostName)/\(ProcessInfo.processInfo.processIdentifier)/\(UInt32.random(in: 0...UInt32.max))"
    }
}
