import CRdKafka

/// Blocking metadata look-ups (call from a `BlockingCallThread`, inside a lease).
enum RDKafkaMetadata {
    /// Fetches metadata for `topic`, which makes librdkafka learn its partitions and leaders.
    static func fetch(topic: String, handle: RDKafkaHandle, timeout: Duration) throws(KafkaError) {
        guard let topicHandle = rd_kafka_topic_new(handle.pointer, topic, nil) else {
            throw KafkaError.client(
                operation: "metadata for \(topic)",
                code: KafkaErrorCode(rd_kafka_last_error()),
                message: "cannot create topic handle"
            )
        }
        defer { rd_kafka_topic_destroy(topicHandle) }
        var metadata: UnsafePointer<rd_kafka_metadata>?
        let error = rd_kafka_metadata(handle.pointer, 0, topicHandle, &metadata, timeout.rdKafkaMilliseconds)
        guard error == RD_KAFKA_RESP_ERR_NO_ERROR, let metadata else {
            if error == RD_KAFKA_RESP_ERR__TIMED_OUT {
                throw KafkaError.timedOut(operation: "metadata for \(topic)")
            }
            let code = KafkaErrorCode(error)
            throw KafkaError.client(operation: "metadata for \(topic)", code: code, message: code.explanation)
        }
        defer { rd_kafka_metadata_destroy(metadata) }
        if metadata.pointee.topic_cnt > 0, let topics = metadata.pointee.topics {
            let topicError = KafkaErrorCode(topics[0].err)
            if topicError.rawValue != 0 {
                throw KafkaError.client(operation: "metadata for \(topic)", code: topicError, message: topicError.explanation)
            }
        }
    }
}
