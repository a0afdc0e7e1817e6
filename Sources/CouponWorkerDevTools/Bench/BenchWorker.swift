import AsyncHTTPClient
import CouponSandbox
import CouponWorker
import CouponWorkerRuntime
import Foundation
import IdempotencyStore
import Kafka
import Logging

/// One worker instance, assembled exactly as `coupon-worker run` assembles it
/// (`WorkerRuntime.assemble`), pointed at the bench's cluster, sandboxes and topics.
struct BenchWorker: Sendable {
    /// The knobs a scenario turns; everything else is `run`'s default.
    struct Shape: Sendable {
        var maxInFlight = 256
        /// `worker.partition_buffer`: commands in flight per partition before it is paused.
        var partitionBuffer = 512
        var providers: Set<Provider> = [.zvcms]
        /// The worker consumer's `fetch.wait.max.ms` (see `BenchStage.consumerProperties`).
        var fetchWaitMilliseconds = BenchStage.defaultFetchWaitMilliseconds

        enum Provider: String, Sendable { case zvcms, wechat }
    }

    private let parts: WorkerRuntime.Assembled
    private let task: Task<Void, any Error>

    /// Assembles and starts a worker that reads `topics`, calls the stage's sandboxes and
    /// stores in a fresh SQLite file.
    static func start(on stage: BenchStage, topics: BenchStage.Topics, shape: Shape) async throws -> BenchWorker {
        let sandboxes = stage.sandboxes
        var settings = WorkerSettings()
        settings.kafka.brokers = stage.bootstrapServers
        settings.kafka.group = BenchStage.uniqueName("workers")
        settings.kafka.consumerProperties = BenchStage.consumerProperties(fetchWaitMilliseconds: shape.fetchWaitMilliseconds)
        settings.topics = .init(issue: topics.issue, query: topics.query, results: topics.results, dlq: topics.deadLetters)
        settings.store = "sqlite:\(stage.sqlitePath("worker"))"
        settings.http.port = 0
        settings.worker.maxInFlight = shape.maxInFlight
        settings.worker.partitionBuffer = shape.partitionBuffer
        settings.worker.leaseSeconds = 60
        // Rate limits must not cap a benchmark: it measures the worker, not the limiter.
        settings.useSandboxes(
            sandboxes, wechat: shape.providers.contains(.wechat), zvcms: shape.providers.contains(.zvcms),
            ratePerSecond: 1_000_000)
        let parts = try await WorkerRuntime.assemble(settings: settings, logger: stage.logger)
        let task = Task { try await parts.worker.run() }
        return BenchWorker(parts: parts, task: task)
    }

    /// Stops the worker (drain, commit) and releases what it assembled.
    func stop() async {
        task.cancel()
        _ = await task.result
        await parts.release()
    }
}
