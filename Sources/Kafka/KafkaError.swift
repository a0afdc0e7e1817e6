/// Everything that can go wrong in the `Kafka` module, with what an operator needs to act:
/// which property, topic or partition, librdkafka's error code (`KafkaErrorCode.name`) and
/// librdkafka's own message.
public enum KafkaError: Error, Sendable, Hashable, CustomStringConvertible {
    /// librdkafka rejected a property (unknown name or invalid value) with `message`.
    case configuration(property: String, message: String)
    /// librdkafka refused to create the client (e.g. conflicting properties).
    case clientCreation(message: String)
    /// librdkafka refused to enqueue a message (unknown partition or topic, full queue,
    /// message too large). Nothing was sent.
    case produce(topic: String, code: KafkaErrorCode, message: String)
    /// A message was enqueued but its delivery failed (retries exhausted, timed out, purged
    /// at shutdown). For `purgedInFlight` the broker may still have written it.
    case delivery(topic: String, code: KafkaErrorCode, message: String)
    /// An operation on one partition failed (store offset, pause, resume, position).
    case partition(operation: String, partition: KafkaTopicPartition, code: KafkaErrorCode, message: String)
    /// A client-wide operation failed (subscribe, commit, metadata, mock cluster ...).
    case client(operation: String, code: KafkaErrorCode, message: String)
    /// Creating `topic` failed.
    case topicCreation(topic: String, code: KafkaErrorCode, message: String)
    /// A blocking operation did not finish within its timeout.
    case timedOut(operation: String)
    /// The client was shut down or closed; create a new one.
    case shutDown
    /// The caller's task was cancelled while it waited for `topic`'s delivery report. The
    /// record may still be delivered (or was never enqueued): neither sent nor unsent.
    case cancelled(topic: String)
    /// librdkafka hit a fatal error (`_FATAL`): `code` and `reason` are the cause behind it (an
    /// idempotent producer whose sequence broke, a consumer fenced by its instance id). The
    /// client can do nothing more; the process should stop and be restarted.
    case fatal(client: String, code: KafkaErrorCode, reason: String)

    public var description: String {
        switch self {
        case .configuration(let property, let message):
            "invalid Kafka property \(property): \(message)"
        case .clientCreation(let message):
            "cannot create Kafka client: \(message)"
        case .produce(let topic, let code, let message):
            "cannot produce to \(topic): \(code.name): \(message)"
        case .delivery(let topic, let code, let message):
            "delivery to \(topic) failed: \(code.name): \(message)"
        case .partition(let operation, let partition, let code, let message):
            "\(operation) failed for \(partition): \(code.name): \(message)"
        case .client(let operation, let code, let message):
            "\(operation) failed: \(code.name): \(message)"
        case .topicCreation(let topic, let code, let message):
            "cannot create topic \(topic): \(code.name): \(message)"
        case .timedOut(let operation):
            "\(operation) timed out"
        case .shutDown:
            "the Kafka client is shut down"
        case .cancelled(let topic):
            "stopped waiting for the delivery to \(topic): cancelled"
        case .fatal(let client, let code, let reason):
            "the Kafka \(client) hit a fatal error: \(code.name): \(reason)"
        }
    }

    /// Whether the client failed for good (`fatal`): nothing it does will succeed again.
    public var isFatal: Bool {
        if case .fatal = self { return true }
        return false
    }

    /// Whether the caller's own cancellation ended the operation (`cancelled`).
    public var isCancellation: Bool {
        if case .cancelled = self { return true }
        return false
    }

    /// The librdkafka error code, when the error carries one.
    public var code: KafkaErrorCode? {
        switch self {
        case .produce(_, let code, _), .delivery(_, let code, _), .partition(_, _, let code, _),
            .client(_, let code, _), .topicCreation(_, let code, _), .fatal(_, let code, _):
            code
        case .configuration, .clientCreation, .timedOut, .shutDown, .cancelled:
            nil
        }
    }
}
