import CRdKafka

/// A librdkafka error code (`rd_kafka_resp_err_t`): Kafka protocol errors are positive,
/// librdkafka's local errors negative (their names start with `_`).
public struct KafkaErrorCode: Sendable, Hashable, CustomStringConvertible {
    /// The numeric `rd_kafka_resp_err_t` value.
    public var rawValue: Int32

    public init(rawValue: Int32) {
        self.rawValue = rawValue
    }

    init(_ error: rd_kafka_resp_err_t) {
        self.rawValue = error.rawValue
    }

    var resp: rd_kafka_resp_err_t { rd_kafka_resp_err_t(rawValue: rawValue) }

    /// librdkafka's symbolic name, e.g. `_UNKNOWN_PARTITION` or `NOT_LEADER_FOR_PARTITION`.
    public var name: String { String(cString: rd_kafka_err2name(resp)) }

    /// librdkafka's human-readable explanation of the code.
    public var explanation: String { String(cString: rd_kafka_err2str(resp)) }

    public var description: String { name }

    /// Produced to a partition the topic does not have.
    public static let unknownPartition = KafkaErrorCode(RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION)
    /// Produced to a topic the cluster does not have.
    public static let unknownTopic = KafkaErrorCode(RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC)
    /// The broker does not know the topic or partition.
    public static let unknownTopicOrPartition = KafkaErrorCode(RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART)
    /// The producer queue is full (`queue.buffering.max.messages`).
    public static let queueFull = KafkaErrorCode(RD_KAFKA_RESP_ERR__QUEUE_FULL)
    /// The message exceeds `message.max.bytes`.
    public static let messageSizeTooLarge = KafkaErrorCode(RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE)
    /// A local operation (a query, a wake-up) did not finish within its timeout.
    public static let timedOut = KafkaErrorCode(RD_KAFKA_RESP_ERR__TIMED_OUT)
    /// The message was not delivered within `message.timeout.ms`.
    public static let messageTimedOut = KafkaErrorCode(RD_KAFKA_RESP_ERR__MSG_TIMED_OUT)
    /// The message was still queued when the producer shut down.
    public static let purgedFromQueue = KafkaErrorCode(RD_KAFKA_RESP_ERR__PURGE_QUEUE)
    /// The message was in flight when the producer shut down; its outcome is unknown.
    public static let purgedInFlight = KafkaErrorCode(RD_KAFKA_RESP_ERR__PURGE_INFLIGHT)
    /// The leader of the partition is not the broker we talked to (retried by librdkafka).
    public static let notLeaderForPartition = KafkaErrorCode(RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION)
    /// A topic with that name already exists.
    public static let topicAlreadyExists = KafkaErrorCode(RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS)
    /// Nothing was stored, so there was nothing to commit.
    public static let noOffset = KafkaErrorCode(RD_KAFKA_RESP_ERR__NO_OFFSET)
    /// The operation is not valid in the client's current state (e.g. partition not assigned).
    public static let invalidState = KafkaErrorCode(RD_KAFKA_RESP_ERR__STATE)
    /// A transport (connection) failure.
    public static let transport = KafkaErrorCode(RD_KAFKA_RESP_ERR__TRANSPORT)
    /// A request timed out.
    public static let requestTimedOut = KafkaErrorCode(RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT)
    /// The group coordinator is not available (retried by librdkafka).
    public static let coordinatorNotAvailable = KafkaErrorCode(RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE)
    /// The group is rebalancing.
    public static let rebalanceInProgress = KafkaErrorCode(RD_KAFKA_RESP_ERR_REBALANCE_IN_PROGRESS)
    /// librdkafka hit a fatal (e.g. idempotence) error; the client must be recreated.
    public static let fatal = KafkaErrorCode(RD_KAFKA_RESP_ERR__FATAL)
    /// Another live member of the group has this member's `group.instance.id`: this one is
    /// fenced (a fatal consumer error).
    public static let fencedInstanceID = KafkaErrorCode(RD_KAFKA_RESP_ERR_FENCED_INSTANCE_ID)
    /// The broker saw the idempotent producer's sequence break (a cause of a fatal producer error).
    public static let outOfOrderSequenceNumber = KafkaErrorCode(RD_KAFKA_RESP_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER)
}
