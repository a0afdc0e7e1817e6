import CouponModel
import Foundation
import IdempotencyStore
import Kafka
import Logging
import ServiceLifecycle

/// coupon-worker's pipeline, one instance of many in a consumer group:
///
///     consume → decode + validate → claim → rate-limit → call → classify/retry
///             → store outcome → publish result (+ dead letter) → store offset
///
/// - Commands with the same Kafka key (out_request_no) run in arrival order; others run
///   concurrently up to `maxInFlight`, not one per partition (`KeyedScheduler`, `InFlightLimit`).
/// - A partition's stored offset is the end of its contiguous completed prefix, moved only
///   after the command's result was acknowledged by Kafka (`PartitionFlows`, `OffsetTracker`).
///   Crash anywhere → the command is delivered again; the idempotency store makes its effect once.
/// - Backpressure: a partition with `partitionBufferLimit` commands in flight is paused, and
///   resumed at half; when the pipeline is full (providers slower than the input, store or
///   results topic down), the records waiting for a slot close the `FetchGate`, which pauses
///   the whole assignment until they have drained.
/// - Rebalance: a revoked partition admits nothing more; its running commands get
///   `revokeGrace` to finish, then are cancelled (their claims protect them); the Kafka layer
///   commits the stored offsets before the revoke completes.
/// - Shutdown (`ServiceLifecycle` graceful shutdown, i.e. SIGTERM/SIGINT): the same as a
///   revoke of everything, then the consumer closes and the producer flushes.
public final class CouponWorker: Service, Sendable {
    /// Topics and limits of the pipeline.
    public struct Configuration: Sendable {
        public var issueTopic = "coupon.commands.issue"
        public var queryTopic = "coupon.commands.query"
        public var resultsTopic = "coupon.results"
        public var deadLetterTopic = "coupon.commands.dlq"
        /// Commands running at once across all partitions.
        public var maxInFlight = 256
        /// Commands in flight per partition before it is paused.
        public var partitionBufferLimit = 512
        /// How long running commands of a revoked partition may take to finish.
        public var revokeGrace: Duration = .seconds(10)
        /// How often consumer lag is read from librdkafka's statistics into metrics.
        public var lagInterval: Duration = .seconds(5)
        /// A command running longer than this makes the instance not live (`/healthz` 503), so
        /// its orchestrator restarts it. librdkafka 2.0.2 resets `max.poll.interval.ms` on any
        /// poll, so Kafka alone would keep a stuck instance in the group forever. Keep it above
        /// the retry budget plus a provider timeout.
        public var stuckCommandLimit: Duration = .seconds(300)

        public init() {}
    }

    private let configuration: Configuration
    private let consumer: KafkaConsumer
    private let producer: KafkaProducer
    private let processor: CommandProcessor
    private let publisher: ResultPublisher
    private let flows: PartitionFlows
    /// The rebalance listener; shutdown drains through it too, as a revoke of everything.
    private let revokes: RevokeCoordinator
    private let scheduler = KeyedScheduler()
    private let limit: InFlightLimit
    private let fetchGate: FetchGate
    private let metrics: WorkerMetrics
    private let logger: Logger
    /// Whether the store answered last time; readiness reads it.
    public let storeHealth: StoreHealth

    /// Builds the worker and its consumer. The consumer's rebalance listener is this
    /// worker's partition bookkeeping, so revokes wait for the pipeline.
    public init(
        configuration: Configuration, consumerConfiguration: KafkaConsumerConfiguration, producer: KafkaProducer,
        store: any IdempotencyStore, providers: ProviderDirectory, settings: CommandProcessor.Settings,
        metrics: WorkerMetrics = WorkerMetrics(), logger: Logger
    ) throws(KafkaError) {
        self.configuration = configuration
        self.producer = producer
        self.metrics = metrics
        self.logger = logger
        self.limit = InFlightLimit(capacity: configuration.maxInFlight)
        self.fetchGate = FetchGate(closeAt: 2 * configuration.maxInFlight, openAt: configuration.maxInFlight / 2)
        let flows = PartitionFlows(partitionBufferLimit: configuration.partitionBufferLimit)
        self.flows = flows
        let storeHealth = StoreHealth()
        self.storeHealth = storeHealth
        let revokes = RevokeCoordinator(flows: flows, grace: configuration.revokeGrace, logger: logger)
        self.revokes = revokes
        self.consumer = try KafkaConsumer(configuration: consumerConfiguration, rebalanceListener: revokes, logger: logger)
        self.processor = CommandProcessor(
            store: store, providers: providers, settings: settings, storeHealth: storeHealth, metrics: metrics,
            logger: logger)
        self.publisher = ResultPublisher(
            producer: producer,
            topics: .init(results: configuration.resultsTopic, deadLetters: configuration.deadLetterTopic), logger: logger)
    }

    /// A snapshot for `/healthz`, `/readyz` and operators.
    public struct Status: Sendable, Hashable {
        public var assignedPartitions: Int
        public var pausedPartitions: Int
        public var inFlight: Int
        public var storeError: String?
        /// How long the longest-running command has run.
        public var oldestCommandAge: Duration?
        public var stuckCommandLimit: Duration

        public init(
            assignedPartitions: Int, pausedPartitions: Int, inFlight: Int, storeError: String?,
            oldestCommandAge: Duration?, stuckCommandLimit: Duration
        ) {
            self.assignedPartitions = assignedPartitions
            self.pausedPartitions = pausedPartitions
            self.inFlight = inFlight
            self.storeError = storeError
            self.oldestCommandAge = oldestCommandAge
            self.stuckCommandLimit = stuckCommandLimit
        }

        /// Ready for work: partitions assigned and the store answering.
        public var isReady: Bool { assignedPartitions > 0 && storeError == nil }
        /// Not stuck: no command has outlived `stuckCommandLimit`.
        public var isLive: Bool { (oldestCommandAge ?? .zero) < stuckCommandLimit }
    }

    public var status: Status {
        let assigned = (try? consumer.assignment().count) ?? 0
        return Status(
            assignedPartitions: assigned, pausedPartitions: flows.pausedPartitions.count, inFlight: limit.inUse,
            storeError: storeHealth.lastError, oldestCommandAge: flows.oldestRunning,
            stuckCommandLimit: configuration.stuckCommandLimit)
    }

    /// Runs until cancelled or gracefully shut down; then drains, commits and closes.
    public func run() async throws {
        try consumer.subscribe(topics: [configuration.issueTopic, configuration.queryTopic])
        try? await producer.warmUp(topics: [configuration.resultsTopic, configuration.deadLetterTopic])
        logger.info("worker started", metadata: [
            "topics": "\(configuration.issueTopic),\(configuration.queryTopic)", "max_in_flight": "\(configuration.maxInFlight)",
        ])
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.reportLag() }
            group.addTask { await self.watchFetchGate() }
            await cancelWhenGracefulShutdown {
                await self.consume()
            }
            group.cancelAll()
        }
        // Drain in a task of its own: `run` may have been cancelled, but the revoke grace
        // and the final commit still deserve their time.
        await Task {
            await self.drainAll()
            // Commit while still a member: once close() starts leaving the group, the
            // coordinator may refuse the commit as a rebalance in progress.
            do { try await self.consumer.commit() } catch {
                self.logger.warning("final commit before leaving the group failed", metadata: ["error": "\(error)"])
            }
            await self.consumer.close()
        }.value
        logger.info("worker stopped")
    }

    private func consume() async {
        do {
            for try await message in consumer.messages {
                if Task.isCancelled { break }
                guard await admit(message) else { break }
            }
        } catch {
            logger.error("consumer stream ended with an error", metadata: ["error": "\(error)"])
        }
    }

    /// Returns false when reading must stop (cancelled while waiting for a slot).
    private func admit(_ message: KafkaConsumerMessage) async -> Bool {
        metrics.consumed(topic: message.topic)
        let kind: CommandKind = message.topic == configuration.queryTopic ? .query : .issue
        operateFetchGate()
        do { try await limit.acquire() } catch { return false }
        switch flows.admit(message) {
        case .drop:
            limit.release()
            return true
        case .redelivered:
            limit.release()
            logger.warning("record delivered again in the same assignment; dropped (it is running or done)", metadata: [
                "topic": "\(message.topic)", "partition": "\(message.partition)", "offset": "\(message.offset)",
            ])
            return true
        case .start(let pause):
            if pause {
                try? consumer.pause([message.topicPartition])
                metrics.pausedPartitions(flows.pausedPartitions.count)
            }
        }
        metrics.inFlight(limit.inUse)
        let key = message.key.map { String(decoding: $0, as: UTF8.self) } ?? "\(message.topic)/\(message.partition)/\(message.offset)"
        let turn = scheduler.enqueue(key: key)
        let tp = message.topicPartition
        let generation = message.assignmentGeneration
        let task = Task {
            let acknowledged = await self.handle(message, kind: kind, turn: turn)
            let completion = self.flows.finish(tp, offset: message.offset, generation: generation, acknowledged: acknowledged)
            if let next = completion.storeOffset {
                do { try self.consumer.storeOffset(tp, nextOffset: next) } catch {
                    self.logger.warning("offset store failed", metadata: ["partition": "\(tp)", "error": "\(error)"])
                }
            }
            self.limit.release()
            self.finished(tp, resume: completion.resume)
        }
        flows.attach(task, to: tp, offset: message.offset, generation: generation)
        return true
    }

    /// Resumes the finished command's partition if it was paused as full, unless the fetch
    /// gate paused it too (opening the gate resumes it then).
    private func finished(_ tp: KafkaTopicPartition, resume: Bool) {
        metrics.inFlight(limit.inUse)
        if resume && !fetchGate.holds(tp) {
            try? consumer.resume([tp])
        }
    }

    /// Pauses the assignment when records pile up in the consumer's buffer, and resumes it
    /// (but for partitions that are full on their own) once they have drained. Called for
    /// every record read, and periodically while the reading loop waits for a slot.
    private func operateFetchGate() {
        let buffered = consumer.messages.buffered
        // The whole assignment, not only the partitions records came from: a worker starting
        // on a backlog closes the gate before most partitions delivered anything.
        if let partitions = fetchGate.close(buffered: buffered, assignment: { self.assignedPartitions() }) {
            try? consumer.pause(partitions)
            metrics.pausedPartitions(partitions.count)
        } else if let partitions = fetchGate.open(buffered: buffered) {
            let stillFull = Set(flows.pausedPartitions)
            try? consumer.resume(partitions.filter { !stillFull.contains($0) })
            metrics.pausedPartitions(stillFull.count)
        }
    }

    private func assignedPartitions() -> [KafkaTopicPartition] {
        (try? consumer.assignment()) ?? flows.partitions
    }

    /// Closes the fetch gate while the reading loop is stuck waiting for a slot (the store or
    /// the results topic is down), when no record is read to do it.
    private func watchFetchGate() async {
        while !Task.isCancelled {
            operateFetchGate()
            try? await Task.sleep(for: .milliseconds(100))
        }
    }

    /// Runs one command in its key's turn; true when its result (and dead letter) were acknowledged.
    private func handle(_ message: KafkaConsumerMessage, kind: CommandKind, turn: KeyedScheduler.Turn) async -> Bool {
        await scheduler.wait(for: turn)
        defer { scheduler.end(turn) }
        let started = ContinuousClock.now
        let incoming = IncomingCommand(
            bytes: message.value, kind: kind,
            source: SourcePosition(topic: message.topic, partition: message.partition, offset: message.offset))
        do {
            try Task.checkCancellation()
            let outcome = try await processor.process(incoming)
            let traceHeaders = message.headers.filter { $0.key == "traceparent" || $0.key == "tracestate" }
            if let result = outcome.result {
                try await publisher.publish(result, traceHeaders: traceHeaders)
                metrics.result(result)
                if result.replayed { metrics.replayed() }
                metrics.commandLatency(started.duration(to: .now), status: result.status)
            }
            if let cause = outcome.deadLetter {
                try await publisher.deadLetter(message, cause: cause)
                metrics.deadLettered(cause)
            }
            logOutcome(outcome, message: message, latency: started.duration(to: .now))
            return true
        } catch {
            logger.notice("command abandoned", metadata: [
                "topic": "\(message.topic)", "partition": "\(message.partition)", "offset": "\(message.offset)",
            ])
            return false
        }
    }

    private func logOutcome(_ outcome: CommandOutcome, message: KafkaConsumerMessage, latency: Duration) {
        // Built only when it will be written: this runs once per command.
        guard logger.logLevel <= .info else { return }
        var metadata: Logger.Metadata = [
            "topic": "\(message.topic)", "partition": "\(message.partition)", "offset": "\(message.offset)",
            "latency_ms": "\(Int(latency.seconds * 1000))",
        ]
        if let result = outcome.result {
            metadata["out_request_no"] = "\(result.outRequestNo)"
            metadata["operation"] = "\(result.operation ?? "-")"
            metadata["status"] = "\(result.status.rawValue)"
            metadata["attempts"] = "\(result.attempts)"
            metadata["replayed"] = "\(result.replayed)"
            if let error = result.error { metadata["error_code"] = "\(error.code.rawValue)" }
        }
        if let cause = outcome.deadLetter { metadata["dead_letter"] = "\(cause.code.rawValue)" }
        logger.info("command done", metadata: metadata)
    }

    private func drainAll() async {
        let partitions = flows.partitions
        await revokes.partitionsRevoked(partitions)
    }

    /// Reads consumer lag into metrics and reports a stuck command, every `lagInterval`.
    private func reportLag() async {
        var reportedStuck = false
        while !Task.isCancelled {
            for (tp, lag) in consumer.consumerLag() {
                metrics.consumerLag(topic: tp.topic, partition: tp.partition, lag: lag)
            }
            let status = self.status
            if !status.isLive && !reportedStuck {
                logger.critical("a command has run past the stuck-command limit; /healthz reports not live", metadata: [
                    "running_for_s": "\(Int((status.oldestCommandAge ?? .zero).seconds))",
                ])
            }
            reportedStuck = !status.isLive
            try? await Task.sleep(for: configuration.lagInterval)
        }
    }
}
