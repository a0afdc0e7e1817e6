import CRdKafka
import Foundation
import Logging

/// Produces records and reports, per record, when the broker acknowledged it.
///
/// Idempotent with `acks=all` by default. A dedicated thread serves delivery reports (see
/// the module's threading model); `send` suspends until its record's report. Call
/// `shutdown(timeout:)` once done; if the producer is released without it, it flushes
/// (for up to 10 s) and destroys itself in the background.
public final class KafkaProducer: Sendable {
    private let handle: RDKafkaHandle
    private let lifecycle = ClientLifecycle()
    private let tickets: DeliveryTickets
    private let logger: Logger

    /// Creates the producer; a property librdkafka rejects throws
    /// `KafkaError.configuration` with librdkafka's own message.
    public init(configuration: KafkaProducerConfiguration, logger: Logger) throws(KafkaError) {
        let tickets = DeliveryTickets()
        let callbacks = RDKafkaCallbackContext(
            logger: logger,
            onDelivery: { message in
                tickets.complete(
                    UInt(bitPattern: message.pointee._private),
                    with: KafkaProducer.deliveryResult(of: message)
                )
            }
        )
        self.handle = try RDKafkaHandle(
            type: RD_KAFKA_PRODUCER,
            properties: configuration.librdkafkaProperties,
            callbacks: callbacks
        )
        self.tickets = tickets
        var clientLogger = logger
        clientLogger[metadataKey: "kafka.client"] = "\(handle.name)"
        self.logger = clientLogger

        let handle = self.handle
        let lifecycle = self.lifecycle
        let logger = clientLogger
        let thread = Thread {
            KafkaProducer.servePoll(handle: handle, lifecycle: lifecycle, tickets: tickets, logger: logger)
        }
        thread.name = "kafka-producer-poll"
        thread.start()
    }

    deinit {
        // The poll thread owns teardown; it flushes and destroys the handle.
        if lifecycle.requestStop(timeout: .seconds(10)) {
            // Under a lease, as in `shutdown`: the poll thread may already be destroying the handle.
            try? lifecycle.withLease { () throws(KafkaError) in
                rd_kafka_yield(handle.pointer)
            }
        }
    }

    /// Sends `message` and returns once the broker acknowledged it.
    ///
    /// Throws `KafkaError.produce` when librdkafka refuses to enqueue it (unknown partition,
    /// full queue), `KafkaError.delivery` when delivery failed (retries exhausted within
    /// `message.timeout.ms`, or purged at shutdown) and `KafkaError.shutDown` after
    /// `shutdown`, and `KafkaError.fatal` once librdkafka raised a fatal error (the idempotent
    /// producer lost its sequence): then no send will succeed again, and the process should
    /// stop. Retriable broker errors (leader moved, broker down) are retried by
    /// librdkafka inside `message.timeout.ms` and do not surface here.
    ///
    /// Cancelling the calling task ends the wait at once with `KafkaError.cancelled`, so a
    /// revoke or a shutdown is not held for up to `message.timeout.ms` by a topic that is
    /// down. The record is enqueued all the same (also from a task cancelled before the
    /// call) and is not recalled: it may still be delivered, its report unread.
    public func send(_ message: KafkaOutgoingMessage) async throws(KafkaError) -> KafkaDeliveryReport {
        let tickets = self.tickets
        let ticket = tickets.reserve()
        let result = await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: DeliveryTickets.Continuation) in
                let waiting = tickets.wait(on: ticket, with: continuation)
                do throws(KafkaError) {
                    try lifecycle.withLease { () throws(KafkaError) in
                        try enqueue(message, ticket: ticket)
                    }
                } catch {
                    tickets.complete(ticket, with: .failure(error))
                }
                if !waiting { continuation.resume(returning: .failure(.cancelled(topic: message.topic))) }
            }
        } onCancel: {
            tickets.abandon(ticket, with: .cancelled(topic: message.topic))
        }
        // A fatal error shows on records as their own codes (_PURGE_QUEUE, the broker's error):
        // after a failure, ask librdkafka whether the producer is done for.
        if case .failure(let error) = result, error != .shutDown, !error.isCancellation, let fatal = fatalError() { throw fatal }
        return try result.get()
    }

    /// librdkafka's fatal error on this producer, if it raised one (nil once it is destroyed).
    private func fatalError() -> KafkaError? {
        do {
            return try lifecycle.withLease { () throws(KafkaError) in handle.fatalError(client: "producer") }
        } catch {
            return nil
        }
    }

    /// Raises a fatal error as librdkafka would (`rd_kafka_test_fatal_error`), for tests of
    /// what follows one.
    public func raiseFatalErrorForTesting(code: KafkaErrorCode, reason: String) throws(KafkaError) {
        try lifecycle.withLease { () throws(KafkaError) in
            let result = rd_kafka_test_fatal_error(handle.pointer, rd_kafka_resp_err_t(rawValue: code.rawValue), reason)
            guard result == RD_KAFKA_RESP_ERR_NO_ERROR else {
                throw .client(operation: "test_fatal_error", code: KafkaErrorCode(result), message: "no fatal error raised")
            }
        }
    }

    /// Fetches metadata for `topics` so the first `send` to each is not delayed.
    ///
    /// Works around librdkafka 2.0.2 delaying the first `produceva` record to a topic by up
    /// to a second (fixed in 2.10.1). Throws when a topic does not exist.
    public func warmUp(topics: [String], timeout: Duration = .seconds(10)) async throws(KafkaError) {
        let handle = self.handle
        try await lifecycle.withLease { () async throws(KafkaError) in
            try await BlockingCallThread.run(name: "kafka-producer-metadata") {
                Result { () throws(KafkaError) in
                    for topic in topics {
                        try RDKafkaMetadata.fetch(topic: topic, handle: handle, timeout: timeout)
                    }
                }
            }
        }
    }

    /// Flushes queued records for up to `timeout`, fails whatever is left with
    /// `KafkaError.delivery(code: .purgedFromQueue / .purgedInFlight)`, then destroys the
    /// producer. Safe to call more than once and concurrently; every call returns after the
    /// producer is destroyed.
    public func shutdown(timeout: Duration) async {
        if lifecycle.requestStop(timeout: timeout) {
            try? lifecycle.withLease { () throws(KafkaError) in
                rd_kafka_yield(handle.pointer)  // wake the poll thread now, not in 100 ms
            }
        }
        await lifecycle.waitUntilDestroyed()
    }

    private func enqueue(_ message: KafkaOutgoingMessage, ticket: UInt) throws(KafkaError) {
        let rk = handle.pointer
        // Application-owned list (VTYPE_HEADERS): librdkafka takes it over only on success.
        let headers = RDKafkaHeaders.make(message.headers)
        let error: OpaquePointer? = message.topic.withCString { topic in
            RDKafkaBytes.with(message.value) { value, valueCount in
                RDKafkaBytes.withOptional(message.key) { key, keyCount in
                    // At most seven arguments, on the stack: no array per record.
                    withUnsafeTemporaryAllocation(of: rd_kafka_vu_t.self, capacity: 7) { arguments in
                        var count = 0
                        func append(_ argument: rd_kafka_vu_t) {
                            arguments.initializeElement(at: count, to: argument)
                            count += 1
                        }
                        var argument = rd_kafka_vu_t()
                        argument.vtype = RD_KAFKA_VTYPE_TOPIC
                        argument.u.cstr = topic
                        append(argument)
                        argument = rd_kafka_vu_t()
                        argument.vtype = RD_KAFKA_VTYPE_VALUE
                        argument.u.mem.ptr = UnsafeMutableRawPointer(mutating: value)
                        argument.u.mem.size = valueCount
                        append(argument)
                        if let key {
                            argument = rd_kafka_vu_t()
                            argument.vtype = RD_KAFKA_VTYPE_KEY
                            argument.u.mem.ptr = UnsafeMutableRawPointer(mutating: key)
                            argument.u.mem.size = keyCount
                            append(argument)
                        }
                        if let partition = message.partition {
                            argument = rd_kafka_vu_t()
                            argument.vtype = RD_KAFKA_VTYPE_PARTITION
                            argument.u.i32 = partition
                            append(argument)
                        }
                        if let headers {
                            argument = rd_kafka_vu_t()
                            argument.vtype = RD_KAFKA_VTYPE_HEADERS
                            argument.u.headers = headers
                            append(argument)
                        }
                        argument = rd_kafka_vu_t()
                        argument.vtype = RD_KAFKA_VTYPE_MSGFLAGS
                        argument.u.i = RD_KAFKA_MSG_F_COPY  // key and value are copied
                        append(argument)
                        argument = rd_kafka_vu_t()
                        argument.vtype = RD_KAFKA_VTYPE_OPAQUE
                        argument.u.ptr = UnsafeMutableRawPointer(bitPattern: ticket)
                        append(argument)
                        return rd_kafka_produceva(rk, arguments.baseAddress, count)
                    }
                }
            }
        }
        guard let error else { return }  // librdkafka now owns the header list
        let code = KafkaErrorCode(rd_kafka_error_code(error))
        let text = String(cString: rd_kafka_error_string(error))
        rd_kafka_error_destroy(error)
        // On failure an application-owned list (VTYPE_HEADERS) is still ours: 2.0.2 detaches
        // it before freeing the failed message. We never use VTYPE_HEADER (one argument per
        // header, librdkafka-owned list): that is the path where 2.0.2's produceva frees the
        // list twice when the partition does not exist (fixed in 2.12.0).
        if let headers {
            rd_kafka_headers_destroy(headers)
        }
        throw KafkaError.produce(topic: message.topic, code: code, message: text)
    }

    private static func deliveryResult(of message: UnsafePointer<rd_kafka_message_t>) -> Result<KafkaDeliveryReport, KafkaError> {
        let topic = RDKafkaMessage.topicName(of: message)
        let code = KafkaErrorCode(message.pointee.err)
        guard code.rawValue == 0 else {
            return .failure(.delivery(topic: topic, code: code, message: RDKafkaMessage.errorString(of: message)))
        }
        return .success(KafkaDeliveryReport(topic: topic, partition: message.pointee.partition, offset: message.pointee.offset))
    }

    /// The poll thread: serves delivery reports until asked to stop, then flushes, purges
    /// and destroys the handle (exactly once, whatever happened before).
    private static func servePoll(
        handle: RDKafkaHandle,
        lifecycle: ClientLifecycle,
        tickets: DeliveryTickets,
        logger: Logger
    ) {
        let rk = handle.pointer
        while !lifecycle.isStopRequested {
            // Blocks in librdkafka for up to 100 ms; returns early on events or a yield.
            rd_kafka_poll(rk, 100)
        }
        lifecycle.beginDestroying()  // no send is in produceva from here on
        let flushed = rd_kafka_flush(rk, lifecycle.stopTimeout.rdKafkaMilliseconds)
        if flushed != RD_KAFKA_RESP_ERR_NO_ERROR {
            logger.warning(
                "producer shutdown timed out; purging undelivered records",
                metadata: ["kafka.outq_len": "\(rd_kafka_outq_len(rk))"]
            )
            rd_kafka_purge(rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT)
            // Serves the purged records' delivery reports (they fail with _PURGE_*).
            rd_kafka_flush(rk, 5_000)
        }
        handle.destroy()
        tickets.failAll(with: .shutDown)
        lifecycle.markDestroyed()
    }
}
