/// A record to produce with `KafkaProducer.send`.
public struct KafkaOutgoingMessage: Sendable {
    public var topic: String
    /// An explicit partition, or `nil` to let librdkafka's partitioner choose by key
    /// (`consistent_random`: same key, same partition).
    public var partition: Int32?
    public var key: [UInt8]?
    public var value: [UInt8]
    public var headers: [KafkaHeader]

    public init(
        topic: String,
        partition: Int32? = nil,
        key: [UInt8]?,
        value: [UInt8],
        headers: [KafkaHeader] = []
    ) {
        self.topic = topic
        self.partition = partition
        self.key = key
        self.value = value
        self.headers = headers
    }
}
