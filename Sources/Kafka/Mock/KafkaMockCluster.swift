import CRdKafka
import Logging
import Synchronization

/// librdkafka's in-process mock Kafka cluster: real Kafka protocol on loopback ports, for
/// tests, `demo` and `dev-kafka`. Any Kafka client can connect to `bootstrapServers`,
/// including other processes (kcat).
///
/// It supports producing (idempotent too), consumer groups with offset commits, and fault
/// injection (brokers down, request errors, coordinator moves). It does not implement the
/// CreateTopics admin API: use `createTopic`.
public final class KafkaMockCluster: Sendable {
    /// The mock cluster pointer, with the owning flag guarded by `state`.
    ///
    /// `@unchecked Sendable`: the `rd_kafka_mock_*` calls hand their work to the mock
    /// cluster's own thread and are safe from any thread; `rd_kafka_mock_cluster_destroy`
    /// happens under the same lock that every call holds, so no call can race it.
    private final class Pointer: @unchecked Sendable {
        let cluster: OpaquePointer
        init(_ cluster: OpaquePointer) { self.cluster = cluster }
    }

    private let handle: RDKafkaHandle
    private let mock: Pointer
    private let isShutDown = Mutex(false)

    /// `host:port` list of the brokers, for `bootstrap.servers`.
    public let bootstrapServers: String

    /// Starts `brokers` brokers (ids 1 through `brokers`) listening on loopback.
    public init(brokers: Int = 3, logger: Logger) throws(KafkaError) {
        // The mock cluster needs a client handle for its bookkeeping; it is otherwise unused.
        handle = try RDKafkaHandle(
            type: RD_KAFKA_PRODUCER,
            // Warnings and worse only: this handle has no brokers of its own to talk to.
            properties: [("client.id", "kafka-mock-cluster"), ("log_level", "4")],
            callbacks: RDKafkaCallbackContext(logger: logger)
        )
        guard let cluster = rd_kafka_mock_cluster_new(handle.pointer, Int32(brokers)) else {
            handle.destroy()
            throw KafkaError.client(
                operation: "start mock cluster",
                code: KafkaErrorCode(RD_KAFKA_RESP_ERR__FAIL),
                message: "rd_kafka_mock_cluster_new failed"
            )
        }
        mock = Pointer(cluster)
        bootstrapServers = String(cString: rd_kafka_mock_cluster_bootstraps(cluster))
    }

    deinit {
        shutdown()
    }

    /// Creates `name` with `partitions` partitions (leaders spread over the brokers).
    public func createTopic(_ name: String, partitions: Int32, replicationFactor: Int32 = 1) throws(KafkaError) {
        try call("create topic \(name)") { rd_kafka_mock_topic_create($0, name, partitions, replicationFactor) }
    }

    /// Makes `brokerID` the leader of `partition` of `topic`.
    public func setPartitionLeader(topic: String, partition: Int32, brokerID: Int32) throws(KafkaError) {
        try call("set leader of \(topic)[\(partition)]") {
            rd_kafka_mock_partition_set_leader($0, topic, partition, brokerID)
        }
    }

    /// Disconnects `brokerID` and refuses new connections (no leader change).
    public func setBrokerDown(_ brokerID: Int32) throws(KafkaError) {
        try call("set broker \(brokerID) down") { rd_kafka_mock_broker_set_down($0, brokerID) }
    }

    /// Lets `brokerID` accept connections again.
    public func setBrokerUp(_ brokerID: Int32) throws(KafkaError) {
        try call("set broker \(brokerID) up") { rd_kafka_mock_broker_set_up($0, brokerID) }
    }

    /// Makes the next `errors.count` requests of type `request` (to any broker) fail with
    /// `errors`, in order. `KafkaErrorCode.transport` makes the broker disconnect instead.
    public func pushRequestErrors(_ request: KafkaProtocolRequest, errors: [KafkaErrorCode]) throws(KafkaError) {
        let codes = errors.map(\.resp)
        try call("push \(request) errors") { cluster in
            codes.withUnsafeBufferPointer { buffer in
                rd_kafka_mock_push_request_errors_array(cluster, request.rawValue, buffer.count, buffer.baseAddress)
            }
            return RD_KAFKA_RESP_ERR_NO_ERROR
        }
    }

    /// Makes the next request of type `request` to broker `brokerID` fail with `error`: a fault
    /// for the members of one group only, when `brokerID` is its coordinator.
    public func pushRequestError(_ request: KafkaProtocolRequest, brokerID: Int32, error: KafkaErrorCode) throws(KafkaError) {
        let code = error.resp
        try call("push \(request) error to broker \(brokerID)") { cluster in
            coupon_mock_broker_push_request_error(cluster, brokerID, request.rawValue, code)
        }
    }

    /// Makes `brokerID` the coordinator of consumer group `group`.
    public func setGroupCoordinator(group: String, brokerID: Int32) throws(KafkaError) {
        try call("set coordinator of \(group)") { rd_kafka_mock_coordinator_set($0, "group", group, brokerID) }
    }

    /// Stops the brokers and frees the cluster, exactly once (also from `deinit`). Clients
    /// still connected see their brokers go away.
    public func shutdown() {
        isShutDown.withLock { isShutDown in
            guard !isShutDown else { return }
            isShutDown = true
            rd_kafka_mock_cluster_destroy(mock.cluster)
        }
        handle.destroy()
    }

    private func call(
        _ operation: String,
        _ body: (OpaquePointer) -> rd_kafka_resp_err_t
    ) throws(KafkaError) {
        let result = try isShutDown.withLock { isShutDown throws(KafkaError) -> rd_kafka_resp_err_t in
            guard !isShutDown else { throw KafkaError.shutDown }
            return body(mock.cluster)
        }
        guard result == RD_KAFKA_RESP_ERR_NO_ERROR else {
            let code = KafkaErrorCode(result)
            throw KafkaError.client(operation: operation, code: code, message: code.explanation)
        }
    }
}
