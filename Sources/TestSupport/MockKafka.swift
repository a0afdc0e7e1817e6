import Foundation
import Kafka
import Logging

/// A librdkafka mock cluster for one test or suite, with unique names and client settings
/// tuned so groups form and recover in well under a second or two.
///
/// Keep one per test (or per suite) so tests can run in parallel; the cluster shuts down
/// when this is released or on `shutdown()`.
public final class MockKafka: Sendable {
    public let cluster: KafkaMockCluster
    public let logger: Logger

    /// Starts a cluster of `brokers` brokers (ids 1...brokers) on loopback.
    public init(brokers: Int = 3, logger: Logger? = nil) throws {
        let logger = logger ?? MockKafka.defaultLogger()
        self.logger = logger
        self.cluster = try KafkaMockCluster(brokers: brokers, logger: logger)
    }

    public var bootstrapServers: String { cluster.bootstrapServers }

    /// `prefix` plus a random suffix, for topics and groups that no other test uses.
    public static func uniqueName(_ prefix: String) -> String {
        "\(prefix)-\(UUID().uuidString.prefix(8).lowercased())"
    }

    /// Creates a topic with a unique name starting with `prefix` and returns the name.
    public func createTopic(prefix: String = "topic", partitions: Int32 = 1, replicationFactor: Int32 = 1) throws -> String {
        let name = MockKafka.uniqueName(prefix)
        try cluster.createTopic(name, partitions: partitions, replicationFactor: replicationFactor)
        return name
    }

    /// Producer settings for this cluster: fast metadata refresh and reconnects.
    public func producerConfiguration() -> KafkaProducerConfiguration {
        var configuration = KafkaProducerConfiguration(bootstrapServers: bootstrapServers)
        configuration.properties = Self.fastRecovery.merging(["retry.backoff.ms": "50"]) { _, new in new }
        return configuration
    }

    /// Consumer settings for this cluster: short session (6 s) and heartbeat (0.5 s), so
    /// rebalances finish quickly, and short fetch waits.
    public func consumerConfiguration(
        groupID: String = MockKafka.uniqueName("group"),
        assignmentStrategy: KafkaAssignmentStrategy = .eager
    ) -> KafkaConsumerConfiguration {
        var configuration = KafkaConsumerConfiguration(bootstrapServers: bootstrapServers, groupID: groupID)
        configuration.assignmentStrategy = assignmentStrategy
        configuration.sessionTimeoutMilliseconds = 6_000
        configuration.properties = Self.fastReconnect.merging([
            "heartbeat.interval.ms": "500",
            "fetch.wait.max.ms": "50",
            "auto.commit.interval.ms": "500",
        ]) { _, new in new }
        return configuration
    }

    /// A producer for this cluster.
    public func makeProducer() throws -> KafkaProducer {
        try KafkaProducer(configuration: producerConfiguration(), logger: logger)
    }

    /// Stops the cluster now (it also stops when released).
    public func shutdown() {
        cluster.shutdown()
    }

    private static let fastReconnect: [String: String] = [
        "reconnect.backoff.ms": "50",
        "reconnect.backoff.max.ms": "500",
    ]

    /// Producers only: a consumer whose metadata refreshes this often keeps rejoining its
    /// group in librdkafka 2.0.2 ("subscription updated from metadata change").
    private static let fastRecovery: [String: String] = fastReconnect.merging([
        "topic.metadata.refresh.interval.ms": "500",
    ]) { _, new in new }

    private static func defaultLogger() -> Logger {
        var logger = Logger(label: "mock-kafka")
        logger.logLevel = .notice
        return logger
    }
}
