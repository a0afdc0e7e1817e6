import Foundation

/// A record read by `KafkaConsumer`, copied out of librdkafka (no C memory is retained).
public struct KafkaConsumerMessage: Sendable {
    public var topic: String
    public var partition: Int32
    /// The record's offset. Store `offset + 1` once it is fully processed.
    public var offset: Int64
    /// `nil` when the record has no key.
    public var key: [UInt8]?
    /// The record's value; a null value reads as empty.
    public var value: [UInt8]
    public var headers: [KafkaHeader]
    /// The record's timestamp (create or log-append time, millisecond precision), `nil` when
    /// the broker did not provide one.
    public var timestamp: Date?
    /// Which assignment of this partition to this consumer the record was handed out under.
    ///
    /// Consumer-wide and increasing: every time a partition is (re)assigned it gets a
    /// larger number than any before. A record read after its partition was revoked and
    /// assigned again carries the *old* number, so the application can tell records fetched
    /// before a revoke from those fetched after it and drop the stale ones.
    public var assignmentGeneration: UInt64

    public init(
        topic: String,
        partition: Int32,
        offset: Int64,
        key: [UInt8]?,
        value: [UInt8],
        headers: [KafkaHeader] = [],
        timestamp: Date? = nil,
        assignmentGeneration: UInt64 = 0
    ) {
        self.topic = topic
        self.partition = partition
        self.offset = offset
        self.key = key
        self.value = value
        self.headers = headers
        self.timestamp = timestamp
        self.assignmentGeneration = assignmentGeneration
    }

    public var topicPartition: KafkaTopicPartition {
        KafkaTopicPartition(topic: topic, partition: partition)
    }

    /// The value of the first header named `key` (`nil` if absent or null).
    public func header(named key: String) -> [UInt8]? {
        headers.value(named: key)
    }
}
