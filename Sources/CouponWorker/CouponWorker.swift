import CouponModel
import Foundation
import IdempotencyStore
import Kafka
import Logging
import ServiceLifecycle
import Synchronization

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
///   the whole assignment until they have drained. `FlowControl` (a pure state machine)
///   decides what should be paused; `PauseApplier` alone calls pause/resume, and never
///   resumes a partition it did not pause.
/// - Never silent: a partition that cannot make progress (a command abandoned outside a
///   revoke, or one running past `stuckCommandLimit`) is logged once, counted and fails
///   `/healthz` (`Status.stalledPartitions`); its later records are still processed.
/// - Rebalance: a revoked partition admits nothing more; its running commands get
///   `revokeGrace` to finish, then are cancelled (their claims protect them) and waited for;
///   only then does the revoke return and the Kafka layer commit the stored offsets.
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
    /// The only caller of the consumer's pause and resume.
    private let applier: PauseApplier
    /// The rebalance listener; shutdown drains through it too, as a revoke of everything.
    private let revokes: RevokeCoordinator
    private let assignmentClock: AssignmentClock
    /// Why the consumer stopped, when it was not asked to (a fatal error).
    private let consumerFailure = Mutex<KafkaError?>(nil)
    private let scheduler = KeyedScheduler()
    private let limit: InFlightLimit
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
        let flows = PartitionFlows(
            partitionBufferLimit: configuration.partitionBufferLimit, gate: FetchGate(maxInFlight: configuration.maxInFlight))
        self.flows = flows
        let storeHealth = StoreHealth()
        self.storeHealth = storeHealth
        let consumerSlot = PartitionPauserSlot()
        let applier = PauseApplier(pauser: consumerSlot, desired: { flows.desiredPaused }, metrics: metrics, logger: logger)
        self.applier = applier
        let assignmentClock = AssignmentClock(metrics: metrics)
        self.assignmentClock = assignmentClock
        let revokes = RevokeCoordinator(
            flows: flows, applier: applier, grace: configuration.revokeGrace, clock: assignmentClock, logger: logger)
        self.revokes = revokes
        let consumer = try KafkaConsumer(configuration: consumerConfiguration, rebalanceListener: revokes, logger: logger)
        consumerSlot.fill(consumer)  // before `subscribe`: no rebalance can reach the applier earlier
        self.consumer = consumer
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
        /// Partitions that cannot make progress, one line each (`PartitionStall.description`,
        /// e.g. "coupon.commands.issue[3]: command at offset 42 abandoned"): a command abandoned
        /// outside a revoke, or one running past `stuckCommandLimit`. Any makes the instance not live.
        public var stalledPartitions: [String]

        public init(
            assignedPartitions: Int, pausedPartitions: Int, inFlight: Int, storeError: String?,
            oldestCommandAge: Duration?, stuckCommandLimit: Duration, stalledPartitions: [String] = []
        ) {
            self.assignedPartitions = assignedPartitions
            self.pausedPartitions = pausedPartitions
            self.inFlight = inFlight
            self.storeError = storeError
            self.oldestCommandAge = oldestCommandAge
            self.stuckCommandLimit = stuckCommandLimit
            self.stalledPartitions = stalledPartitions
        }

        /// Ready for work: partitions assigned and the store answering.
        public var isReady: Bool { assignedPartitions > 0 && storeError == nil }
        /// Not stuck: no command has outlived `stuckCommandLimit`, and no partition is stalled.
        public var isLive: Bool { (oldestCommandAge ?? .zero) < stuckCommandLimit && stalledPartitions.isEmpty }
    }

    public var status: Status {
        let assigned = (try? consumer.assignment().count) ?? 0
        let now = ContinuousClock.now
        return Status(
            assignedPartitions: assigned, pausedPartitions: applier.pausedCount, inFlight: limit.inUse,
            storeError: storeHealth.lastError, oldestCommandAge: flows.oldestRunning(at: now),
            stuckCommandLimit: configuration.stuckCommandLimit,
            stalledPartitions: flows.stalls(at: now, limit: configuration.stuckCommandLimit).map(\.description).sorted())
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
        if let failure = consumerFailure.withLock({ $0 }) {
            logger.info("worker stopped after a fatal consumer error")
            throw ConsumerFailure(cause: failure)
        }
        logger.info("worker stopped")
    }

    /// `run` ended because the consumer failed for good (a fatal librdkafka error such as
    /// `FENCED_INSTANCE_ID`), not because it was asked to stop: the process must exit non-zero
    /// so the orchestrator sees it.
    public struct ConsumerFailure: Error, CustomStringConvertible {
        public var cause: KafkaError
        public var description: String { "the Kafka consumer failed: \(cause)" }
    }

    private func consume() async {
        do {
            for try await message in consumer.messages {
                if Task.isCancelled { break }
                guard await admit(message) else { break }
            }
        } catch {
            // A fatal consumer error (fenced by another instance with the same instance id,
            // …): nothing more will be consumed. Drain, then end `run` with it.
            let failure: KafkaError = error
            metrics.fatalConsumerError(failure.code?.name ?? "unknown")
            logger.critical("consumer stopped by a fatal error; the worker drains and stops", metadata: ["error": "\(failure)"])
            consumerFailure.withLock { $0 = failure }
        }
    }

    /// Takes a slot and starts `message`'s command, unless flow control drops the record.
    /// Returns false when reading must stop (cancelled while waiting for a slot).
    private func admit(_ message: KafkaConsumerMessage) async -> Bool {
        metrics.consumed(topic: message.topic)
        await observeBuffer()
        do { try await limit.acquire() } catch { return false }
        let kind: CommandKind = message.topic == configuration.queryTopic ? .query : .issue
        // The task is created inside the admission, under flow control's lock: a revoke
        // either sees it or has stopped the admission.
        let admission = flows.admit(message, at: .now) { id in
            let key = message.key.map { String(decoding: $0, as: UTF8.self) } ?? "\(message.topic)/\(message.partition)/\(message.offset)"
            let turn = scheduler.enqueue(key: key)
            return Task {
                let acknowledged = await self.handle(message, kind: kind, turn: turn)
                await self.finished(id, acknowledged: acknowledged)
            }
        }
        switch admission {
        case .start(_, let pausesChanged):
            metrics.inFlight(limit.inUse)
            if pausesChanged { await applier.apply() }
        case .stale:
            limit.release()
            metrics.stale(topic: message.topic)
            logger.debug("record fetched before a rebalance; dropped", metadata: [
                "topic": "\(message.topic)", "partition": "\(message.partition)", "offset": "\(message.offset)",
            ])
        case .redelivered:
            limit.release()
            metrics.redelivered(topic: message.topic)
            logger.warning("record delivered again in the same assignment; dropped (it is running or done)", metadata: [
                "topic": "\(message.topic)", "partition": "\(message.partition)", "offset": "\(message.offset)",
            ])
        }
        return true
    }

    /// Ends a command: stores its partition's offset if the prefix grew, frees its slot,
    /// applies what changed in the desired pauses, and reports a partition it stalled.
    private func finished(_ id: PartitionFlows.CommandID, acknowledged: Bool) async {
        let completion = flows.finish(id, acknowledged: acknowledged) { partition, next in
            do { try consumer.storeOffset(partition, nextOffset: next) } catch {
                logger.warning("offset store failed", metadata: ["partition": "\(partition)", "error": "\(error)"])
            }
        }
        limit.release()
        metrics.inFlight(limit.inUse)
        if let stall = completion.stall {
            logger.error(
                "partition stalled: a command was abandoned outside a revoke; its offset cannot be committed past it until the partition moves; /healthz reports not live",
                metadata: ["partition": "\(stall.partition)", "offset": "\(id.offset)"])
            metrics.stalledPartitions(flows.stalls(at: .now, limit: configuration.stuckCommandLimit).count)
        }
        if completion.pausesChanged { await applier.apply() }
    }

    /// Feeds the consumer's buffer depth to the fetch gate, and applies a change.
    private func observeBuffer() async {
        if flows.observeBuffer(consumer.messages.buffered) {
            await applier.apply()
        }
    }

    /// Reads the buffer depth while the reading loop waits for a slot (the store or the
    /// results topic is down) and reads no record that would.
    private func watchFetchGate() async {
        while !Task.isCancelled {
            await observeBuffer()
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
            // The dead letter goes first: a crash between the two leaves the result unpublished,
            // so the redelivery publishes both again (a replay dead-letters `unknown` again).
            if let cause = outcome.deadLetter {
                try await publisher.deadLetter(message, cause: cause)
                metrics.deadLettered(cause)
            }
            if let result = outcome.result {
                if let tooLarge = try await publisher.publish(result, traceHeaders: traceHeaders) {
                    try await publisher.deadLetter(message, cause: tooLarge)
                    metrics.deadLettered(tooLarge)
                }
                metrics.result(result)
                if result.replayed { metrics.replayed() }
                metrics.commandLatency(started.duration(to: .now), status: result.status)
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

    /// A revoke of everything: returns once every command's task has stopped.
    private func drainAll() async {
        await revokes.partitionsRevoked(flows.partitions)
    }

    /// Reads consumer lag into metrics and reports stalled partitions, every `lagInterval`.
    private func reportLag() async {
        while !Task.isCancelled {
            for (tp, lag) in consumer.consumerLag() {
                metrics.consumerLag(topic: tp.topic, partition: tp.partition, lag: lag)
            }
            reportStalls()
            assignmentClock.report()
            try? await Task.sleep(for: configuration.lagInterval)
        }
    }

    /// Logs each newly stuck command once, and counts the stalled partitions.
    private func reportStalls() {
        let now = ContinuousClock.now
        for stall in flows.newlyStuck(at: now, limit: configuration.stuckCommandLimit) {
            logger.critical("partition stalled: a command has run past the stuck-command limit; /healthz reports not live", metadata: [
                "partition": "\(stall.partition)", "stall": "\(stall)",
            ])
        }
        metrics.stalledPartitions(flows.stalls(at: now, limit: configuration.stuckCommandLimit).count)
    }
}
