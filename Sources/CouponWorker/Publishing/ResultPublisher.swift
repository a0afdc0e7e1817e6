import CouponModel
import Kafka
import Logging

/// Publishes result events and dead-letter records, and does not return until Kafka
/// acknowledged them.
///
/// A failed delivery is tried again with backoff for as long as it takes (or until
/// cancelled): a command's offset is only stored after its result was acknowledged, so a
/// results topic that is down stops the pipeline instead of losing results.
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
    /// the incoming trace context.
    public func publish(_ event: ResultEvent, traceHeaders: [KafkaHeader]) async throws {
        var headers = CloudEventHeaders.forResult(event, source: eventSource).map {
            KafkaHeader(key: $0.0, value: Array($0.1.utf8))
        }
        headers.append(contentsOf: traceHeaders)
        try await deliver(KafkaOutgoingMessage(
            topic: topics.results, key: Array(event.outRequestNo.utf8), value: event.encoded(), headers: headers))
    }

    /// Dead-letters the original record: its key, bytes and headers, plus `x-coupon-error-*`.
    ///
    /// An original just under the broker's message limit no longer fits with the added
    /// headers; retrying would stall its partition forever. Then the record keeps the
    /// largest prefix of the value that fits, and `x-coupon-error-value-truncated` gives the
    /// original size.
    public func deadLetter(_ original: KafkaConsumerMessage, cause: DeadLetterCause) async throws {
        var headers = original.headers
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

    /// The broker (or the producer's own limit) cannot take a record this large: no retry helps.
    struct MessageTooLarge: Error {}

    private func deliver(_ message: KafkaOutgoingMessage) async throws {
        var delay = Duration.milliseconds(100)
        while true {
            do {
                _ = try await producer.send(message)
                return
            } catch where error.code == .messageSizeTooLarge && message.topic == topics.deadLetters {
                throw MessageTooLarge()
            } catch {
                logger.error("publish failed; retrying", metadata: ["topic": "\(message.topic)", "error": "\(error)"])
                try await Task.sleep(for: delay)
                delay = min(delay * 2, .seconds(5))
            }
        }
    }
}
