import CRdKafka
import Foundation
import Logging

/// A member of a consumer group that reads records as an `AsyncSequence`.
///
/// At-least-once: store an offset (`storeOffset`) only after a record is fully processed;
/// stored offsets are committed in the background, on `commit()`, before every revoke and
/// on `close()`. Call `close()` once done; if the consumer is released without it, it
/// closes itself in the background.
public final class KafkaConsumer: Sendable {
    private let handle: RDKafkaHandle
    private let consumerQueue: RDKafkaQueue
    private let lifecycle = ClientLifecycle()
    private let lag: ConsumerLagStatistics
    private let logger: Logger
    /// Wakes the leaders of resumed partitions (librdkafka 2.0.2 does not; see `LeaderNudger`).
    private let nudger: LeaderNudger

    /// The records this consumer reads; the sequence ends after `close()` (or throws after a
    /// fatal consumer error).
    public let messages: KafkaMessageSequence

    /// Creates the consumer; a property librdkafka rejects throws
    /// `KafkaError.configuration` with librdkafka's own message.
    ///
    /// `rebalanceListener` hears about assignments and revokes before they complete.
    public init(
        configuration: KafkaConsumerConfiguration,
        rebalanceListener: (any KafkaRebalanceListener)?,
        logger: Logger
    ) throws(KafkaError) {
        if let reserved = configuration.reservedPropertyError { throw reserved }
        let lag = ConsumerLagStatistics()
        let rebalance = RebalanceHandler(listener: rebalanceListener, logger: logger)
        let callbacks = RDKafkaCallbackContext(
            logger: logger,
            onStatistics: { json in lag.update(json: json) },
            onRebalance: { rk, event, partitions in
                rebalance.handle(rk: rk, event: event, list: partitions)
            }
        )
        let handle = try RDKafkaHandle(
            type: RD_KAFKA_CONSUMER,
            properties: configuration.librdkafkaProperties,
            callbacks: callbacks
        )
        // One queue (the consumer's) carries messages, rebalances, statistics and commits.
        let redirected = rd_kafka_poll_set_consumer(handle.pointer)
        guard redirected == RD_KAFKA_RESP_ERR_NO_ERROR, let consumerQueue = RDKafkaQueue(consumerQueueOf: handle) else {
            handle.destroy()
            let code = KafkaErrorCode(redirected)
            throw KafkaError.client(operation: "poll_set_consumer", code: code, message: code.explanation)
        }
        self.handle = handle
        self.consumerQueue = consumerQueue
        self.lag = lag
        var clientLogger = logger
        clientLogger[metadataKey: "kafka.client"] = "\(handle.name)"
        self.logger = clientLogger
        let nudger = LeaderNudger(handle: handle, lifecycle: lifecycle, logger: clientLogger)
        self.nudger = nudger

        let (stream, continuation) = AsyncThrowingStream.makeStream(
            of: KafkaConsumerMessage.self,
            throwing: (any Error).self,
            bufferingPolicy: .unbounded
        )
        let window = IntakeWindow(limit: configuration.intakeLimit)
        self.messages = KafkaMessageSequence(stream: stream, window: window)

        let lifecycle = self.lifecycle
        let pollLogger = clientLogger
        let thread = Thread {
            KafkaConsumer.servePoll(
                handle: handle,
                consumerQueue: consumerQueue,
                lifecycle: lifecycle,
                rebalance: rebalance,
                nudger: nudger,
                output: continuation,
                window: window,
                intakeWaitMilliseconds: configuration.intakeWaitMilliseconds,
                logger: pollLogger
            )
        }
        thread.name = "kafka-consumer-poll"
        thread.start()
    }

    deinit {
        // The poll thread owns teardown: it commits, leaves the group and destroys.
        if lifecycle.requestStop() {
            messages.window.wake()
            // Under a lease, as in `close`: the poll thread may already be destroying the handle.
            try? lifecycle.withLease { () throws(KafkaError) in
                consumerQueue.yield()
            }
        }
    }

    /// Subscribes to `topics` (replacing any previous subscription); assignment follows
    /// asynchronously through the group protocol.
    public func subscribe(topics: [String]) throws(KafkaError) {
        try lifecycle.withLease { () throws(KafkaError) in
            let list = RDKafkaTopicPartitionList(topics.map { KafkaTopicPartition(topic: $0, partition: -1) })
            let result = rd_kafka_subscribe(handle.pointer, list.pointer)
            try Self.check(result, operation: "subscribe to \(topics)")
        }
    }

    /// Marks `nextOffset` (the offset of the NEXT record to read: last processed + 1) for
    /// commit on `partition`, which must be assigned to this consumer.
    public func storeOffset(_ partition: KafkaTopicPartition, nextOffset: Int64) throws(KafkaError) {
        try lifecycle.withLease { () throws(KafkaError) in
            let list = RDKafkaTopicPartitionList([partition], offsets: [nextOffset])
            let result = rd_kafka_offsets_store(handle.pointer, list.pointer)
            try list.throwFirstError(operation: "store offset \(nextOffset)")
            try Self.check(result, operation: "store offset \(nextOffset) for \(partition)")
        }
    }

    /// Commits the stored offsets now and returns once the coordinator acknowledged them
    /// (a no-op when nothing new is stored). Blocks a dedicated thread, not the caller's.
    public func commit() async throws(KafkaError) {
        let handle = self.handle
        try await lifecycle.withLease { () async throws(KafkaError) in
            try await BlockingCallThread.run(name: "kafka-consumer-commit") {
                let result = rd_kafka_commit(handle.pointer, nil, 0)
                if result == RD_KAFKA_RESP_ERR__NO_OFFSET {
                    return .success(())
                }
                return Result { () throws(KafkaError) in try Self.check(result, operation: "commit") }
            }
        }
    }

    /// Stops fetching from `partitions` (already buffered records of them are discarded and
    /// fetched again after `resume`). Use it to bound memory when processing falls behind.
    public func pause(_ partitions: [KafkaTopicPartition]) throws(KafkaError) {
        try lifecycle.withLease { () throws(KafkaError) in
            let list = RDKafkaTopicPartitionList(partitions)
            let result = rd_kafka_pause_partitions(handle.pointer, list.pointer)
            try list.throwFirstError(operation: "pause")
            try Self.check(result, operation: "pause \(partitions)")
        }
    }

    /// Resumes fetching from `partitions`, from the last record handed out, and wakes their
    /// leaders so the fetch starts now (see `LeaderNudger`).
    public func resume(_ partitions: [KafkaTopicPartition]) throws(KafkaError) {
        try lifecycle.withLease { () throws(KafkaError) in
            let list = RDKafkaTopicPartitionList(partitions)
            let result = rd_kafka_resume_partitions(handle.pointer, list.pointer)
            try list.throwFirstError(operation: "resume")
            try Self.check(result, operation: "resume \(partitions)")
        }
        nudger.nudge(partitions)
    }

    /// The partitions currently assigned to this consumer.
    public func assignment() throws(KafkaError) -> [KafkaTopicPartition] {
        try lifecycle.withLease { () throws(KafkaError) in
            var pointer: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>?
            let result = rd_kafka_assignment(handle.pointer, &pointer)
            let list = pointer.map(RDKafkaTopicPartitionList.init(adopting:))
            try Self.check(result, operation: "assignment")
            return list?.entries.map(\.topicPartition) ?? []
        }
    }

    /// The offset of the next record to hand out for each of `partitions`, as known
    /// locally; partitions nothing was consumed from yet are absent.
    public func positions(of partitions: [KafkaTopicPartition]) throws(KafkaError) -> [KafkaTopicPartition: Int64] {
        try lifecycle.withLease { () throws(KafkaError) in
            let list = RDKafkaTopicPartitionList(partitions)
            let result = rd_kafka_position(handle.pointer, list.pointer)
            try Self.check(result, operation: "position")
            var positions: [KafkaTopicPartition: Int64] = [:]
            for entry in list.entries where entry.offset >= 0 {
                positions[entry.topicPartition] = entry.offset
            }
            return positions
        }
    }

    /// Lag per partition (log end offset minus committed offset) from the latest
    /// statistics; empty unless `statisticsIntervalMilliseconds > 0`.
    public func consumerLag() -> [KafkaTopicPartition: Int64] {
        lag.current
    }

    /// Commits stored offsets, leaves the group (the listener hears a final revoke), ends
    /// `messages` and destroys the consumer. Safe to call more than once and concurrently;
    /// every call returns after the consumer is destroyed.
    public func close() async {
        if lifecycle.requestStop() {
            messages.window.wake()  // the poll thread may wait for room that will never open
            try? lifecycle.withLease { () throws(KafkaError) in
                consumerQueue.yield()  // wake the poll thread now, not in 100 ms
            }
        }
        await lifecycle.waitUntilDestroyed()
    }

    private static func check(_ result: rd_kafka_resp_err_t, operation: String) throws(KafkaError) {
        guard result != RD_KAFKA_RESP_ERR_NO_ERROR else { return }
        let code = KafkaErrorCode(result)
        throw KafkaError.client(operation: operation, code: code, message: code.explanation)
    }

    /// The poll thread: feeds `output` until asked to stop, then closes and destroys the
    /// consumer exactly once.
    private static func servePoll(
        handle: RDKafkaHandle,
        consumerQueue: RDKafkaQueue,
        lifecycle: ClientLifecycle,
        rebalance: RebalanceHandler,
        nudger: LeaderNudger,
        output: AsyncThrowingStream<KafkaConsumerMessage, any Error>.Continuation,
        window: IntakeWindow,
        intakeWaitMilliseconds: Int,
        logger: Logger
    ) {
        let rk = handle.pointer
        var failed = false
        while !lifecycle.isStopRequested {
            // Runs ahead of the application by at most the intake limit, but polls at least
            // every `intakeWait`: rebalances and errors are served only here.
            window.waitForRoom(timeoutMilliseconds: intakeWaitMilliseconds) { lifecycle.isStopRequested }
            if lifecycle.isStopRequested { break }
            // Blocks in librdkafka for up to 100 ms; rebalance and statistics callbacks run
            // inside this call, on this thread.
            guard let message = rd_kafka_consumer_poll(rk, 100) else { continue }
            let error = message.pointee.err
            if error == RD_KAFKA_RESP_ERR_NO_ERROR {
                window.handOver()
                if case .terminated = output.yield(
                    RDKafkaMessage.consumerMessage(from: message, assignmentGeneration: rebalance.generations.current))
                {
                    window.withdraw()
                }
            } else if error == RD_KAFKA_RESP_ERR__FATAL {
                // The consumer cannot continue; end the sequence with the underlying cause
                // (once: librdkafka keeps reporting it until the consumer is closed).
                if !failed {
                    failed = true
                    let failure = handle.fatalError(client: "consumer")
                        ?? .fatal(client: "consumer", code: .fatal, reason: "librdkafka reported no cause")
                    logger.critical("fatal consumer error: \(failure)")
                    output.finish(throwing: failure)
                }
            } else if error != RD_KAFKA_RESP_ERR__PARTITION_EOF {
                logger.warning(
                    "consumer error: \(RDKafkaMessage.errorString(of: message))",
                    metadata: ["kafka.error": "\(KafkaErrorCode(error).name)"]
                )
            }
            rd_kafka_message_destroy(message)
        }
        rebalance.commitStoredOffsets(rk)
        // Leaves the group; the final revoke runs the rebalance callback on this thread.
        let closed = rd_kafka_consumer_close(rk)
        if closed != RD_KAFKA_RESP_ERR_NO_ERROR {
            logger.warning("consumer close failed", metadata: ["kafka.error": "\(KafkaErrorCode(closed).name)"])
        }
        output.finish()
        nudger.stop()
        lifecycle.beginDestroying()
        consumerQueue.destroy()
        handle.destroy()
        lifecycle.markDestroyed()
    }
}
