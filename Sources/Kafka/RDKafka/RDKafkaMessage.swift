import CRdKafka
import Foundation

/// Copies consumed `rd_kafka_message_t`s into `KafkaConsumerMessage`s.
enum RDKafkaMessage {
    static func topicName(of message: UnsafePointer<rd_kafka_message_t>) -> String {
        guard let topic = message.pointee.rkt, let name = rd_kafka_topic_name(topic) else { return "" }
        return String(cString: name)
    }

    static func consumerMessage(
        from message: UnsafePointer<rd_kafka_message_t>,
        assignmentGeneration: (KafkaTopicPartition) -> UInt64
    ) -> KafkaConsumerMessage {
        let record = message.pointee
        let key = record.key.map { Array(UnsafeRawBufferPointer(start: $0, count: record.key_len)) }
        let value = record.payload.map { Array(UnsafeRawBufferPointer(start: $0, count: record.len)) } ?? []
        var timestampType = RD_KAFKA_TIMESTAMP_NOT_AVAILABLE
        let milliseconds = rd_kafka_message_timestamp(message, &timestampType)
        let timestamp = milliseconds >= 0 ? Date(timeIntervalSince1970: Double(milliseconds) / 1_000) : nil
        let topic = topicName(of: message)
        return KafkaConsumerMessage(
            topic: topic,
            partition: record.partition,
            offset: record.offset,
            key: key,
            value: value,
            headers: RDKafkaHeaders.read(from: message),
            timestamp: timestamp,
            assignmentGeneration: assignmentGeneration(KafkaTopicPartition(topic: topic, partition: record.partition))
        )
    }

    /// librdkafka's description of a message-level error.
    static func errorString(of message: UnsafePointer<rd_kafka_message_t>) -> String {
        if let string = rd_kafka_message_errstr(message) {
            return String(cString: string)
        }
        return KafkaErrorCode(message.pointee.err).explanation
    }
}
