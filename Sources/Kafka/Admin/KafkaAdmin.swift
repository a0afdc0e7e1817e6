import CRdKafka
import Logging

/// Cluster administration: creating the topics the worker needs.
///
/// librdkafka's mock cluster does not implement the CreateTopics API; create topics there
/// with `KafkaMockCluster.createTopic`.
public final class KafkaAdmin: Sendable {
    private let handle: RDKafkaHandle

    /// Creates an admin client; `properties` are any librdkafka properties (security etc.).
    public init(bootstrapServers: String, properties: [String: String] = [:], logger: Logger) throws(KafkaError) {
        var all: [(key: String, value: String)] = [("bootstrap.servers", bootstrapServers)]
        all.append(contentsOf: properties.sorted { $0.key < $1.key }.map { ($0.key, $0.value) })
        handle = try RDKafkaHandle(type: RD_KAFKA_PRODUCER, properties: all, callbacks: RDKafkaCallbackContext(logger: logger))
    }

    /// Creates `topics`; a topic that already exists counts as created, so this is
    /// idempotent. Throws the first per-topic failure.
    public func createTopics(_ topics: [KafkaTopicSpecification], timeout: Duration = .seconds(30)) async throws(KafkaError) {
        guard !topics.isEmpty else { return }
        let handle = self.handle
        try await BlockingCallThread.run(name: "kafka-admin") {
            Result { () throws(KafkaError) in
                try Self.create(topics, handle: handle, timeout: timeout)
            }
        }
    }

    private static func create(_ topics: [KafkaTopicSpecification], handle: RDKafkaHandle, timeout: Duration) throws(KafkaError) {
        var newTopics: [OpaquePointer?] = []
        defer {
            for newTopic in newTopics {
                rd_kafka_NewTopic_destroy(newTopic)
            }
        }
        var errstr = RDKafkaErrorBuffer()
        for topic in topics {
            guard let newTopic = rd_kafka_NewTopic_new(topic.name, topic.partitions, topic.replicationFactor, &errstr.bytes, errstr.count) else {
                throw KafkaError.topicCreation(
                    topic: topic.name,
                    code: KafkaErrorCode(RD_KAFKA_RESP_ERR__INVALID_ARG),
                    message: errstr.message
                )
            }
            newTopics.append(newTopic)
        }
        guard let queue = rd_kafka_queue_new(handle.pointer) else {
            throw KafkaError.client(operation: "create topics", code: KafkaErrorCode(RD_KAFKA_RESP_ERR__FAIL), message: "cannot create a queue")
        }
        defer { rd_kafka_queue_destroy(queue) }
        let options = rd_kafka_AdminOptions_new(handle.pointer, RD_KAFKA_ADMIN_OP_CREATETOPICS)
        defer { rd_kafka_AdminOptions_destroy(options) }
        _ = rd_kafka_AdminOptions_set_operation_timeout(options, timeout.rdKafkaMilliseconds, nil, 0)
        _ = rd_kafka_AdminOptions_set_request_timeout(options, timeout.rdKafkaMilliseconds, nil, 0)
        newTopics.withUnsafeMutableBufferPointer { buffer in
            rd_kafka_CreateTopics(handle.pointer, buffer.baseAddress, buffer.count, options, queue)
        }
        // The result arrives within the request timeout; wait a little longer for it.
        guard let event = rd_kafka_queue_poll(queue, (timeout + .seconds(5)).rdKafkaMilliseconds) else {
            throw KafkaError.timedOut(operation: "create topics")
        }
        defer { rd_kafka_event_destroy(event) }
        let eventError = rd_kafka_event_error(event)
        guard eventError == RD_KAFKA_RESP_ERR_NO_ERROR else {
            let message = rd_kafka_event_error_string(event).map { String(cString: $0) } ?? ""
            throw KafkaError.client(operation: "create topics", code: KafkaErrorCode(eventError), message: message)
        }
        guard let result = rd_kafka_event_CreateTopics_result(event) else { return }
        var count = 0
        guard let results = rd_kafka_CreateTopics_result_topics(result, &count) else { return }
        for index in 0..<count {
            guard let topicResult = results[index] else { continue }
            let code = KafkaErrorCode(rd_kafka_topic_result_error(topicResult))
            guard code.rawValue != 0, code != .topicAlreadyExists else { continue }
            throw KafkaError.topicCreation(
                topic: String(cString: rd_kafka_topic_result_name(topicResult)),
                code: code,
                message: rd_kafka_topic_result_error_string(topicResult).map { String(cString: $0) } ?? code.explanation
            )
        }
    }
}
