/// A topic to create with `KafkaAdmin.createTopics`.
public struct KafkaTopicSpecification: Sendable, Hashable {
    public var name: String
    public var partitions: Int32
    public var replicationFactor: Int32

    public init(name: String, partitions: Int32, replicationFactor: Int32) {
        self.name = name
        self.partitions = partitions
        self.replicationFactor = replicationFactor
    }
}
