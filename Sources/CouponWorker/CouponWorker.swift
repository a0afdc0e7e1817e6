import CouponModel
import Foundation
import IdempotencyStore
import Kafka
import Logging
import ServiceLifecycle
import Synchronization
import Tracing

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
/// - Backpressure: the consumer's poll thread reads at most `maxInFlight` records ahead of the
///   pipeline and leaves the rest in librdkafka's prefetch (`intakeLimit`), so a saturated
///   worker runs steadily without pausing. A partition with `partitionBufferLimit` commands in
///   flight is paused, and resumed at half; when the pipeline stops (store or results topic
///   down) and records still pile up, they close the `FetchGate`, which pauses the whole
///   assignment until they have drained. `FlowControl` (a pure state machine)
///   decides what should be paused; `PauseApplier` alone calls pause/resume, and never
///   resumes a partition it did not pause.
/// - Never silent: a partition that cannot make progress (a command abandoned outside a
///   revoke, or one running past `stuckCommandLimit`) is logged once, counted and fails
///   `/healthz` (`Status.stalledPartitions`); its later records are still processed.
/// - Rebalance: a revoked partition admits nothing more; its running commands get
///   `revokeGrace` to finish, then are cancelled (their claims protect them) and waited for;
///   only then does the revoke return and the Kafka layer commit the stored offsets. A
///   cancelled command still stores and publishes an answer that is on its way, but does not
///   wait for the result's acknowledgement (a results topic that is down cannot hold the
///   revoke): it keeps its offset, and the next owner replays the stored outcome.
/// - Shutdown (`ServiceLifecycle` graceful shutdown, i.e. SIGTERM/SIGINT): the same as a
///   revoke of everything, then the consumer closes and the producer flushes.
/// - A fatal Kafka error (the consumer fenced, the idempotent producer's sequence broken)
///   stops the consuming at once and ends `run` with it after the same drain: the process
///   exits non-zero and is restarted with fresh clients; what could not be published keeps
///   its offset.
///
/// Read on from `consume()`: each step is one type — `Admission` (slot, flow control, the
/// key's turn, and the way out), `CommandProcessor` (decode, claim, call, store),
/// `ResultPublisher` (result and dead letter, acknowledged), then the offset; around them
/// `FetchGateFeed`, `RevokeCoordinator`, `LagReporter`, `OutcomeLog` and ``Status``.
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
    private let admission: Admission
    private let fetchGate: FetchGateFeed
    private let processor: CommandProcessor
    private let publisher: ResultPublisher
    private let outcomeLog: OutcomeLog
    private let flows: PartitionFlows
    /// The rebalance listener; shutdown drains through it too, as a revoke of everything.
    private let revokes: RevokeCoordinator
    private let lagReporter: LagReporter
    /// Why the consumer or the producer stopped for good, when it was not asked to (a fatal
    /// librdkafka error): `run` ends with it.
    private let kafkaFailure = Mutex<KafkaError?>(nil)
    /// Yields once the producer failed for good: no result can be published any more, so the
    /// worker stops consuming instead of filling every slot with commands it cannot finish.
    private let producerFailed = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
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
        var consumerConfiguration = consumerConfiguration
        consumerConfiguration.intakeLimit = consumerConfiguration.intakeLimit ?? configuration.maxInFlight
        self.producer = producer
        self.metrics = metrics
        self.logger = logger
        let flows = PartitionFlows(
            partitionBufferLimit: configuration.partitionBufferLimit, gate: FetchGate(maxInFlight: configuration.maxInFlight))
        self.flows = flows
        let storeHealth = StoreHealth(metrics: metrics)
        self.storeHealth = storeHealth
        let consumerSlot = PartitionPauserSlot()
        let applier = PauseApplier(pauser: consumerSlot, desired: { flows.desiredPaused }, metrics: metrics, logger: logger)
        let assignmentClock = AssignmentClock(metrics: metrics)
        let revokes = RevokeCoordinator(
            flows: flows, applier: applier, grace: configuration.revokeGrace, clock: assignmentClock, logger: logger)
        self.revokes = revokes
        let consumer = try KafkaConsumer(configuration: consumerConfiguration, rebalanceListener: revokes, logger: logger)
        consumerSlot.fill(consumer)  // before `subscribe`: no rebalance can reach the applier earlier
        self.consumer = consumer
        self.admission = Admission(
            flows: flows, limit: InFlightLimit(capacity: configuration.maxInFlight), scheduler: KeyedScheduler(),
            applier: applier, stuckCommandLimit: configuration.stuckCommandLimit, metrics: metrics, logger: logger)
        self.fetchGate = FetchGateFeed(flows: flows, applier: applier, buffered: { consumer.messages.buffered })
        self.processor = CommandProcessor(
            store: store, providers: providers, settings: settings, storeHealth: storeHealth, metrics: metrics,
            logger: logger)
        self.publisher = ResultPublisher(
            producer: producer,
            topics: .init(results: configuration.resultsTopic, deadLetters: configuration.deadLetterTopic), logger: logger)
        self.outcomeLog = OutcomeLog(logger: logger)
        self.lagReporter = LagReporter(
            consumer: consumer, flows: flows, assignmentClock: assignmentClock, interval: configuration.lagInterval,
            stuckCommandLimit: configuration.stuckCommandLimit, metrics: metrics, logger: logger)
    }

    /// See ``Status``.
    public var status: Status {
        let assigned = (try? consumer.assignment().count) ?? 0
        let now = ContinuousClock.now
        return Status(
            assignedPartitions: assigned, pausedPartitions: admission.applier.pausedCount, inFlight: admission.limit.inUse,
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
            group.addTask { await self.lagReporter.run() }
            group.addTask { await self.fetchGate.watch() }
            await cancelWhenGracefulShutdown {
                await withTaskGroup(of: Void.self) { loop in
                    loop.addTask { await self.consume() }
                    loop.addTask { for await _ in self.producerFailed.stream { return } }
                    await loop.next()  // consuming ended, or the producer failed for good
                    loop.cancelAll()
                }
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
        if let failure = kafkaFailure.withLock({ $0 }) {
            logger.info("worker stopped after a fatal Kafka error")
            throw KafkaClientFailure(cause: failure)
        }
        logger.info("worker stopped")
    }

    /// `run` ended because a Kafka client failed for good (a fatal librdkafka error: the
    /// consumer fenced by another instance's `FENCED_INSTANCE_ID`, the idempotent producer's
    /// sequence broken), not because it was asked to stop: the process must exit non-zero so
    /// the orchestrator restarts it with fresh clients.
    public struct KafkaClientFailure: Error, CustomStringConvertible {
        public var cause: KafkaError
        public var description: String { "\(cause)" }
    }

    // MARK: The pipeline, one record at a time

    /// consume: reads records until cancelled, or until the consumer fails for good.
    private func consume() async {
        do {
            for try await message in consumer.messages {
                if Task.isCancelled { break }
                metrics.consumed(topic: message.topic)
                await fetchGate.observe()
                let kind: CommandKind = message.topic == configuration.queryTopic ? .query : .issue
                let received = DefaultTracerClock.now
                // admit: a slot, flow control's verdict, the key's turn and the command's task.
                let admitted = await admission.admit(message) { id, turn in
                    let acknowledged = await self.processAndPublish(message, kind: kind, turn: turn, received: received)
                    await self.admission.finish(id, acknowledged: acknowledged, storeOffset: self.storeOffset)
                }
                guard admitted else { break }  // cancelled while waiting for a slot
            }
        } catch {
            // A fatal consumer error (fenced by another instance with the same instance id,
            // …): nothing more will be consumed. Drain, then end `run` with it.
            failedForGood(error, client: "consumer")
        }
    }

    /// process → publish: runs one command in its key's turn; true when its result (and dead
    /// letter) were acknowledged by Kafka. Its span starts when the record was `received`, so
    /// the wait for a slot is part of the command's life.
    private func processAndPublish(
        _ message: KafkaConsumerMessage, kind: CommandKind, turn: KeyedScheduler.Turn, received: DefaultTracerClock.Instant
    ) async -> Bool {
        await withSpan(
            CommandSpans.command(topic: message.topic), context: TraceHeaders.context(of: message.headers),
            ofKind: .consumer, at: received
        ) { span in
            CommandSpans.annotate(span, record: message)
            startSpan(CommandSpans.waitForSlot, at: received).end()
            await withSpan(CommandSpans.waitForKeyTurn) { _ in await admission.scheduler.wait(for: turn) }
            defer { admission.scheduler.end(turn) }
            let started = ContinuousClock.now
            let incoming = IncomingCommand(
                bytes: message.value, kind: kind,
                source: SourcePosition(topic: message.topic, partition: message.partition, offset: message.offset),
                recordKey: message.key)
            do {
                try Task.checkCancellation()
                let outcome = try await processor.process(incoming)
                CommandSpans.annotate(span, outcome: outcome)
                // The records this command produces continue its trace (its span's context).
                let traceHeaders = TraceHeaders.forwarded(from: message.headers)
                // The dead letter goes first: a crash between the two leaves the result unpublished,
                // so the redelivery publishes both again (a replay dead-letters `unknown` again).
                if let cause = outcome.deadLetter {
                    try await publisher.deadLetter(message, cause: cause)
                    metrics.deadLettered(cause)
                }
                if let result = outcome.result {
                    if let tooLarge = try await publisher.publish(
                        result, encoded: outcome.encodedResult, traceHeaders: traceHeaders)
                    {
                        try await publisher.deadLetter(message, cause: tooLarge)
                        metrics.deadLettered(tooLarge)
                    }
                    metrics.result(result)
                    if result.replayed { metrics.replayed() }
                    metrics.commandLatency(started.duration(to: .now), status: result.status)
                }
                outcomeLog.done(outcome, message: message, latency: started.duration(to: .now))
                return true
            } catch {
                if let failure = error as? KafkaError, failure.isFatal {
                    // No result can be published any more: stop consuming too.
                    if failedForGood(failure, client: "producer") { producerFailed.continuation.yield() }
                }
                span.updateAttributesIfRecording { $0["coupon.abandoned"] = true }
                outcomeLog.abandoned(message)
                return false
            }
        }
    }

    /// A Kafka client failed for good: the first failure is kept for `run` to end with, counted
    /// and logged once. Returns whether this was the first.
    @discardableResult
    private func failedForGood(_ failure: KafkaError, client: String) -> Bool {
        let first = kafkaFailure.withLock { recorded in
            defer { recorded = recorded ?? failure }
            return recorded == nil
        }
        guard first else { return false }
        metrics.fatalKafkaError(failure.code?.name ?? "unknown")
        logger.critical("\(client) stopped by a fatal error; the worker drains and stops", metadata: ["error": "\(failure)"])
        return true
    }

    /// offset: the partition's next offset to commit, once its contiguous prefix of
    /// acknowledged commands grew (called by flow control, in prefix order).
    private func storeOffset(_ partition: KafkaTopicPartition, next: Int64) {
        do { try consumer.storeOffset(partition, nextOffset: next) } catch {
            logger.warning("offset store failed", metadata: ["partition": "\(partition)", "error": "\(error)"])
        }
    }

    /// A revoke of everything: returns once every command's task has stopped.
    private func drainAll() async {
        await revokes.partitionsRevoked(flows.partitions)
    }
}
