import Kafka

extension KafkaConsumerMessage {
    /// An empty record of `partition` at `offset`, handed out under `generation`: what flow
    /// control sees of a record, for tests that admit records without a consumer.
    static func record(_ partition: KafkaTopicPartition, offset: Int64, generation: UInt64 = 1) -> KafkaConsumerMessage {
        KafkaConsumerMessage(
            topic: partition.topic, partition: partition.partition, offset: offset, key: nil, value: [],
            assignmentGeneration: generation)
    }
}
