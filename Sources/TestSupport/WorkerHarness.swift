import AsyncHTTPClient
import CouponModel
import CouponSandbox
import CouponWorker
import CouponWorkerDevTools
import CouponWorkerRuntime
import Foundation
import IdempotencyStore
import Kafka
import Logging
import Synchronization

/// A whole pipeline for one test: a mock Kafka cluster with unique topics, both provider
/// sandboxes, an SQLite store in a temporary folder, and a downstream reader of the results
/// and dead-letter topics. Workers are made and run by the test, so it can start a second
/// instance or stop one.
public final class WorkerHarness: Sendable {
    public struct Topics: Sendable {
        public var issue: String
        public var query: String
        public var results: String
        public var deadLetters: String
    }

    public let kafka: MockKafka
    public let sandboxes: ProviderSandboxes
    public let topics: Topics
    public let store: any IdempotencyStore
    /// The default store's clock: a test moves it to expire leases without waiting.
    public let storeClock: StoreClock
    public let groupID: String
    public let producer: KafkaProducer
    public let downstream: DownstreamReader
    public let httpClient: HTTPClient
    let folder: URL
    let logger: Logger

    /// Starts a harness, runs `body` with it and stops it, whether `body` throws or not (for
    /// tests that start and stop their own workers).
    public static func run(partitions: Int32 = 3, _ body: (WorkerHarness) async throws -> Void) async throws {
        let harness = try await start(partitions: partitions)
        do {
            try await body(harness)
        } catch {
            await harness.shutdown()
            throw error
        }
        await harness.shutdown()
    }

    /// Starts everything but the workers.
    public static func start(
        partitions: Int32 = 3, forgetDuplicates: Bool = true, store: (any IdempotencyStore)? = nil
    ) async throws -> WorkerHarness {
        var logger = Logger(label: "worker-harness")
        logger.logLevel = .notice
        let kafka = try MockKafka(logger: logger)
        let topics = Topics(
            issue: try kafka.createTopic(prefix: "issue", partitions: partitions),
            query: try kafka.createTopic(prefix: "query", partitions: partitions),
            results: try kafka.createTopic(prefix: "results", partitions: partitions),
            deadLetters: try kafka.createTopic(prefix: "dlq", partitions: 1))
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("worker-harness-\(UUID().uuidString)")
        var sandboxLogger = logger
        sandboxLogger.logLevel = .critical  // Hummingbird reports its own cancellation at stop as an error
        let sandboxes = try await ProviderSandboxes.start(
            keysDirectory: folder.appendingPathComponent("keys"), forgetDuplicates: forgetDuplicates, logger: sandboxLogger)
        let theStore: any IdempotencyStore
        let storeClock = StoreClock()
        if let store {
            theStore = store
        } else {
            theStore = try await SQLiteIdempotencyStore.open(
                path: folder.appendingPathComponent("store.sqlite").path, clock: storeClock, logger: logger)
        }
        try await theStore.migrate()
        // The workers' group and the downstream reader's group have different coordinators
        // (brokers 1 and 2), so a test can fault one group's requests and not the other's.
        let groupID = MockKafka.uniqueName("workers")
        try kafka.cluster.setGroupCoordinator(group: groupID, brokerID: WorkerHarness.workersCoordinator)
        let downstream = try DownstreamReader(kafka: kafka, topics: [topics.results, topics.deadLetters], deadLetterTopic: topics.deadLetters)
        return WorkerHarness(
            kafka: kafka, sandboxes: sandboxes, topics: topics, store: theStore, storeClock: storeClock,
            groupID: groupID,
            producer: try kafka.makeProducer(), downstream: downstream, httpClient: HTTPClient(eventLoopGroupProvider: .singleton, configuration: .providers(maxInFlight: 64)),
            folder: folder, logger: logger)
    }

    private init(
        kafka: MockKafka, sandboxes: ProviderSandboxes, topics: Topics, store: any IdempotencyStore,
        storeClock: StoreClock, groupID: String,
        producer: KafkaProducer, downstream: DownstreamReader, httpClient: HTTPClient, folder: URL, logger: Logger
    ) {
        self.kafka = kafka
        self.sandboxes = sandboxes
        self.topics = topics
        self.store = store
        self.storeClock = storeClock
        self.groupID = groupID
        self.producer = producer
        self.downstream = downstream
        self.httpClient = httpClient
        self.folder = folder
        self.logger = logger
    }

    /// The provider routes a worker uses to reach the sandboxes, built by `ProviderAssembly`
    /// from the sandboxes' key files, exactly as `coupon-worker run` builds them.
    public func providers(timeout: Duration = .seconds(5), ratePerSecond: Double = 10_000) throws -> ProviderDirectory {
        var settings = WorkerSettings()
        settings.useSandboxes(sandboxes, ratePerSecond: ratePerSecond)
        return try ProviderAssembly.directory(settings, httpClient: httpClient, timeout: timeout, logger: logger)
    }

    /// A worker instance in the harness's group. `owner` names it in lease records;
    /// `ambiguousSettle` defaults to the provider timeout, as in production, and is waited on
    /// `settleClock` (a test's manual clock decides when it is over). `producer`: the worker's
    /// own instead of the harness's (to break it without breaking the test's sends).
    public func makeWorker(
        owner: String = "worker-\(UUID().uuidString.prefix(6))", providerTimeout: Duration = .seconds(5),
        leaseDuration: Duration = .seconds(30), maxInFlight: Int = 64, partitionBufferLimit: Int = 512,
        revokeGrace: Duration = .seconds(10), ambiguousSettle: Duration? = nil,
        settleClock: any Clock<Duration> = ContinuousClock(), store: (any IdempotencyStore)? = nil,
        intakeWaitMilliseconds: Int? = nil, producer: KafkaProducer? = nil, logger: Logger? = nil
    ) throws -> CouponWorker {
        var settings = WorkerSettings()
        settings.topics = .init(issue: topics.issue, query: topics.query, results: topics.results, dlq: topics.deadLetters)
        settings.worker.maxInFlight = maxInFlight
        settings.worker.partitionBuffer = partitionBufferLimit
        settings.worker.revokeGraceSeconds = revokeGrace.seconds
        settings.worker.leaseSeconds = leaseDuration.seconds
        settings.worker.providerTimeoutSeconds = providerTimeout.seconds
        // Derived as `run` derives it; only what a test drives differs: fast retries, the
        // settle's clock and length.
        var pipeline = PipelineSettings(settings, owner: owner)
        pipeline.processor.retry = RetryPolicy(
            maxAttempts: 4, budget: .seconds(30), baseDelay: .milliseconds(5), maxDelay: .milliseconds(50))
        pipeline.processor.ambiguousSettle = ambiguousSettle ?? providerTimeout
        pipeline.processor.settleClock = settleClock
        var consumer = kafka.consumerConfiguration(groupID: groupID)
        if let intakeWaitMilliseconds { consumer.intakeWaitMilliseconds = intakeWaitMilliseconds }
        return try CouponWorker(
            configuration: pipeline.worker, consumerConfiguration: consumer,
            producer: producer ?? self.producer, store: store ?? self.store, providers: try providers(timeout: providerTimeout),
            settings: pipeline.processor, logger: logger ?? self.logger)
    }

    /// Produces a command the way an order system would: keyed by out_request_no.
    public func send(_ json: String, key: String?, to kind: CommandKind = .issue, headers: [KafkaHeader] = []) async throws {
        try await send(bytes: Array(json.utf8), key: key, to: kind, headers: headers)
    }

    /// Produces raw bytes (for hostile input).
    public func send(bytes: [UInt8], key: String?, to kind: CommandKind = .issue, headers: [KafkaHeader] = []) async throws {
        _ = try await producer.send(KafkaOutgoingMessage(
            topic: kind == .issue ? topics.issue : topics.query, key: key.map { Array($0.utf8) }, value: bytes,
            headers: headers))
    }

    /// Stops everything the harness started.
    /// The broker that coordinates the workers' group (``groupID``).
    public static let workersCoordinator: Int32 = 1

    public func shutdown() async {
        await downstream.close()
        await producer.shutdown(timeout: .seconds(5))
        await store.close()
        try? await httpClient.shutdown()
        await sandboxes.stop()
        kafka.shutdown()
        try? FileManager.default.removeItem(at: folder)
    }

    // MARK: Command builders

    /// A WeChat issue command (no merchant: the only profile is used).
    public static func wechatIssue(_ outRequestNo: String, openid: String = "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o") -> String {
        ProviderSandboxes.SampleCommands.wechatIssue(outRequestNo, openid: openid)
    }

    /// A zvcms issue command.
    public static func zvcmsIssue(_ outRequestNo: String) -> String {
        ProviderSandboxes.SampleCommands.zvcmsIssue(outRequestNo)
    }
}

/// Reads results and dead letters like a downstream job, and lets a test wait for them.
public final class DownstreamReader: Sendable {
    private struct Waiter {
        var id: Int
        var condition: @Sendable (Counts) -> Bool
        var continuation: CheckedContinuation<Void, any Error>
    }

    private struct State {
        var results: [ResultEvent] = []
        var resultMessages: [KafkaConsumerMessage] = []
        var deadLetters: [KafkaConsumerMessage] = []
        var distinct: Set<String> = []
        var waiters: [Waiter] = []
        var nextWaiter = 0

        var counts: Counts { Counts(results: results.count, deadLetters: deadLetters.count, distinct: distinct.count) }

        /// What arrived, for a failure message: the counts and every result in order.
        var seen: String {
            let lines = results.map { "\($0.outRequestNo) \($0.status.rawValue)\($0.replayed ? " (replayed)" : "")" }
            let codes = deadLetters.map { message in
                message.header(named: "x-coupon-error-code").map { String(decoding: $0, as: UTF8.self) } ?? "?"
            }
            return "\(results.count) results [\(lines.joined(separator: ", "))], \(distinct.count) distinct, "
                + "\(deadLetters.count) dead letters [\(codes.joined(separator: ", "))]"
        }
    }

    /// What arrived so far.
    struct Counts: Sendable {
        var results: Int
        var deadLetters: Int
        /// Distinct out_request_nos among the results.
        var distinct: Int
    }

    /// A wait that ran out: what it waited for and what had arrived.
    public struct WaitTimedOut: Error, CustomStringConvertible {
        public var description: String
    }

    /// How long a wait may take before it fails. Generous: it only turns a hang into a failure
    /// that says what was missing; a passing test never comes near it.
    public static let deadline: Duration = .seconds(60)

    private let consumer: KafkaConsumer
    private let state = Mutex(State())
    private let pump: Mutex<Task<Void, Never>?> = Mutex(nil)

    init(kafka: MockKafka, topics: [String], deadLetterTopic: String) throws {
        let group = MockKafka.uniqueName("downstream")
        try kafka.cluster.setGroupCoordinator(group: group, brokerID: WorkerHarness.workersCoordinator + 1)
        consumer = try KafkaConsumer(
            configuration: kafka.consumerConfiguration(groupID: group), rebalanceListener: nil,
            logger: kafka.logger)
        try consumer.subscribe(topics: topics)
        let consumer = self.consumer
        let task = Task { [self] in
            do {
                for try await message in consumer.messages {
                    let ready = self.state.withLock { s -> [CheckedContinuation<Void, any Error>] in
                        if message.topic == deadLetterTopic {
                            s.deadLetters.append(message)
                        } else if let event = try? JSONDecoder().decode(ResultEvent.self, from: Data(message.value)) {
                            s.results.append(event)
                            s.resultMessages.append(message)
                            s.distinct.insert(event.outRequestNo)
                        }
                        let counts = s.counts
                        let ready = s.waiters.filter { $0.condition(counts) }.map(\.continuation)
                        s.waiters.removeAll { $0.condition(counts) }
                        return ready
                    }
                    for continuation in ready { continuation.resume() }
                }
            } catch {}
        }
        pump.withLock { $0 = task }
    }

    /// Waits until at least `results` results and `deadLetters` dead letters arrived; throws
    /// ``WaitTimedOut`` (what was awaited, what arrived) after ``deadline``.
    public func wait(results: Int, deadLetters: Int = 0) async throws {
        try await wait("\(results) results and \(deadLetters) dead letters") {
            $0.results >= results && $0.deadLetters >= deadLetters
        }
    }

    /// Waits until results for `count` different out_request_nos arrived (replays aside);
    /// throws ``WaitTimedOut`` after ``deadline``.
    public func wait(distinctResults count: Int) async throws {
        try await wait("results for \(count) distinct out_request_nos") { $0.distinct >= count }
    }

    private func wait(_ awaited: String, until condition: @escaping @Sendable (Counts) -> Bool) async throws {
        let id = state.withLock { s in
            defer { s.nextWaiter += 1 }
            return s.nextWaiter
        }
        let deadline = Self.deadline
        let timer = Task { [self] in
            try await Task.sleep(for: deadline)
            let expired = self.state.withLock { s -> (CheckedContinuation<Void, any Error>, String)? in
                guard let index = s.waiters.firstIndex(where: { $0.id == id }) else { return nil }
                return (s.waiters.remove(at: index).continuation, s.seen)
            }
            if let (continuation, seen) = expired {
                continuation.resume(throwing: WaitTimedOut(
                    description: "waited \(deadline) for \(awaited) downstream; saw \(seen)"))
            }
        }
        defer { timer.cancel() }
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            let ready = state.withLock { s -> Bool in
                if condition(s.counts) { return true }
                s.waiters.append(Waiter(id: id, condition: condition, continuation: continuation))
                return false
            }
            if ready { continuation.resume() }
        }
    }

    public var results: [ResultEvent] { state.withLock { $0.results } }
    public var resultMessages: [KafkaConsumerMessage] { state.withLock { $0.resultMessages } }
    public var deadLetters: [KafkaConsumerMessage] { state.withLock { $0.deadLetters } }

    func close() async {
        await consumer.close()
        let task = pump.withLock { $0 }
        await task?.value
    }
}
