import CouponModel
import Kafka
import Logging
import Tracing

/// Publishes result events and dead-letter records, and does not return until Kafka
/// acknowledged them.
///
/// A failed delivery is tried again with backoff for as long as it takes, or until cancelled
/// (also while waiting for an acknowledgement): a command's offset is only stored after its
/// result was acknowledged, so a results topic that is down stops the pipeline instead of
/// losing results, and does not hold a revoke past its grace. A record the
/// broker can never take (too large) is never retried: it is cut down instead.
public struct ResultPublisher: Sendable {
    public struct Topics: Sendable, Hashable {
        public var results: String
        public var deadLetters: String

        public init(results: String, deadLetters: String) {
            self.results = results
            self.deadLetters = deadLetters
        }
    }

    private let producer: KafkaProducer
    private let topics: Topics
    /// `ce_source` of every result.
    private let eventSource: String
    private let logger: Logger

    public init(producer: KafkaProducer, topics: Topics, eventSource: String = "coupon-worker", logger: Logger) {
        self.producer = producer
        self.topics = topics
        self.eventSource = eventSource
        self.logger = logger
    }

    /// Publishes `event` keyed by its out_request_no with CloudEvents binary-mode headers and
    /// `traceHeaders` (the command span's context, or the incoming one without a tracer), in
    /// a producer span.
    ///
    /// A result larger than the broker accepts would be retried forever and stall its
    /// partition: it is published with its `data` replaced by
    /// `{"truncated": true, "original_bytes": N}` instead (the full result stays in the
    /// idempotency record), and the returned cause tells the caller to dead-letter the command.
    /// `encoded`: the event's bytes when they were encoded already.
    public func publish(
        _ event: ResultEvent, encoded: [UInt8]? = nil, traceHeaders: [KafkaHeader]
    ) async throws -> DeadLetterCause? {
        try await withSpan(CommandSpans.publish(topic: topics.results), ofKind: .producer) { span in
            annotate(span, topic: topics.results)
            span.updateAttributesIfRecording { $0["coupon.status"] = event.status.rawValue }
            return try await publishUntraced(event, encoded: encoded ?? event.encoded(), traceHeaders: traceHeaders)
        }
    }

    private func publishUntraced(
        _ event: ResultEvent, encoded bytes: [UInt8], traceHeaders: [KafkaHeader]
    ) async throws -> DeadLetterCause? {
        do {
            try await deliver(message(for: event, encoded: bytes, traceHeaders: traceHeaders))
            return nil
        } catch is MessageTooLarge {
            logger.warning("result too large for the broker; publishing it truncated", metadata: [
                "out_request_no": "\(event.outRequestNo)", "bytes": "\(bytes.count)",
            ])
            var truncated = event
            truncated.data = .object(["truncated": .bool(true), "original_bytes": .integer(Int64(bytes.count))])
            try await deliver(message(for: truncated, encoded: truncated.encoded(), traceHeaders: traceHeaders))
            return DeadLetterCause(
                code: .internalError,
                reason: "the result (\(bytes.count) bytes) is larger than the broker accepts; it was published "
                    + "truncated and the full result is in the idempotency record")
        }
    }

    private func message(for event: ResultEvent, encoded: [UInt8], traceHeaders: [KafkaHeader]) -> KafkaOutgoingMessage {
        var headers = CloudEventHeaders.forResult(event, source: eventSource).map {
            KafkaHeader(key: $0.0, value: Array($0.1.utf8))
        }
        headers.append(contentsOf: traceHeaders)
        return KafkaOutgoingMessage(
            topic: topics.results, key: Array(event.outRequestNo.utf8), value: encoded, headers: headers)
    }

    /// Dead-letters the original record: its key, bytes and headers, plus `x-coupon-error-*`;
    /// its trace headers name the current span (the command's) when a tracer writes them.
    ///
    /// An original just under the broker's message limit no longer fits with the added
    /// headers; retrying would stall its partition forever. Then the record keeps the
    /// largest prefix of the value that fits, and `x-coupon-error-value-truncated` gives the
    /// original size.
    public func deadLetter(_ original: KafkaConsumerMessage, cause: DeadLetterCause) async throws {
        var headers = original.headers
        TraceHeaders.injectCurrent(into: &headers)
        try await withSpan(CommandSpans.publish(topic: topics.deadLetters), ofKind: .producer) { span in
            annotate(span, topic: topics.deadLetters)
            span.updateAttributesIfRecording { $0["coupon.dead_letter"] = cause.code.rawValue }
            try await deadLetterUntraced(original, cause: cause, headers: headers)
        }
    }

    private func deadLetterUntraced(_ original: KafkaConsumerMessage, cause: DeadLetterCause, headers: [KafkaHeader]) async throws {
        var headers = headers
        headers.append(contentsOf: DeadLetterHeaders.build(
            code: cause.code, reason: cause.reason, field: cause.field,
            sourceTopic: original.topic, sourcePartition: original.partition, sourceOffset: original.offset
        ).map { KafkaHeader(key: $0.0, value: Array($0.1.utf8)) })
        var value = original.value[...]
        while true {
            var recordHeaders = headers
            if value.count < original.value.count {
                recordHeaders.append(KafkaHeader(key: DeadLetterHeaders.valueTruncated, string: String(original.value.count)))
            }
            do {
                try await deliver(KafkaOutgoingMessage(
                    topic: topics.deadLetters, key: original.key, value: Array(value), headers: recordHeaders))
                return
            } catch is MessageTooLarge where !value.isEmpty {
                logger.warning("dead letter too large for the broker; keeping a prefix", metadata: [
                    "topic": "\(original.topic)", "offset": "\(original.offset)", "bytes": "\(original.value.count)",
                ])
                value = value.prefix(value.count * 3 / 4)
            }
        }
    }

    private func annotate(_ span: any Span, topic: String) {
        span.updateAttributesIfRecording { attributes in
            attributes["messaging.system"] = "kafka"
            attributes["messaging.operation.type"] = "send"
            attributes["messaging.destination.name"] = topic
        }
    }

    /// The broker (or the producer's own limit) cannot take a record this large: no retry helps.
    struct MessageTooLarge: Error {}

    private func deliver(_ message: KafkaOutgoingMessage) async throws {
        var attempt = 0
        while true {
            attempt += 1
            do {
                _ = try await producer.send(message)
                return
            } catch where error.code == .messageSizeTooLarge {
                throw MessageTooLarge()
            } catch where error.isFatal {
                throw error  // no retry can succeed
            } catch where error.isCancellation {
                // A revoke or shutdown gave up on the command: it keeps its offset, and the
                // record, if it still arrives, is a duplicate with the same event_id.
                throw CancellationError()
            } catch {
                logger.error("publish failed; retrying", metadata: ["topic": "\(message.topic)", "error": "\(error)"])
                try await RetryPolicy.resultsUnavailable.waitOut(afterAttempt: attempt)
            }
        }
    }
}
