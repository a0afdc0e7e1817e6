import CRdKafka

/// Owns an `rd_kafka_topic_partition_list_t` for the scope that created it.
final class RDKafkaTopicPartitionList {
    /// One element of a list, copied out of C memory.
    struct Entry {
        var topicPartition: KafkaTopicPartition
        var offset: Int64
        var error: KafkaErrorCode
    }

    let pointer: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>

    init(_ partitions: [KafkaTopicPartition], offsets: [Int64]? = nil) {
        pointer = rd_kafka_topic_partition_list_new(Int32(clamping: max(1, partitions.count)))
        for (index, partition) in partitions.enumerated() {
            let element = rd_kafka_topic_partition_list_add(pointer, partition.topic, partition.partition)
            if let offsets, let element {
                element.pointee.offset = offsets[index]
            }
        }
    }

    /// Takes ownership of a list librdkafka handed out (e.g. from `rd_kafka_assignment`).
    init(adopting pointer: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>) {
        self.pointer = pointer
    }

    var entries: [Entry] { Self.entries(of: pointer) }

    /// Reads a list this code does not own (e.g. the one passed to the rebalance callback).
    static func entries(of list: UnsafePointer<rd_kafka_topic_partition_list_t>) -> [Entry] {
        let count = Int(list.pointee.cnt)
        guard count > 0, let elements = list.pointee.elems else { return [] }
        return (0..<count).map { index in
            let element = elements[index]
            return Entry(
                topicPartition: KafkaTopicPartition(
                    topic: element.topic.map { String(cString: $0) } ?? "",
                    partition: element.partition
                ),
                offset: element.offset,
                error: KafkaErrorCode(element.err)
            )
        }
    }

    static func partitions(of list: UnsafePointer<rd_kafka_topic_partition_list_t>) -> [KafkaTopicPartition] {
        entries(of: list).map(\.topicPartition)
    }

    /// Throws the first per-partition error, if any.
    func throwFirstError(operation: String) throws(KafkaError) {
        if let failed = entries.first(where: { $0.error.rawValue != 0 }) {
            throw KafkaError.partition(
                operation: operation,
                partition: failed.topicPartition,
                code: failed.error,
                message: failed.error.explanation
            )
        }
    }

    deinit {
        rd_kafka_topic_partition_list_destroy(pointer)
    }
}
