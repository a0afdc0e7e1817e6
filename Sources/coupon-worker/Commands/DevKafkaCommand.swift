import ArgumentParser
import Kafka
import Logging

/// Runs librdkafka's mock cluster alone, so any Kafka client can talk to it.
struct DevKafkaCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dev-kafka",
        abstract: "Run an in-process Kafka cluster (librdkafka's mock, real protocol on loopback) and print its address.")

    @Option(help: "Number of brokers.") var brokers = 3
    @Option(help: "Partitions of the coupon topics it creates.") var partitions: Int32 = 6

    func run() async throws {
        LoggingSetup.bootstrap(format: nil, level: "notice")
        let logger = Logger(label: "coupon-worker.dev-kafka")
        let cluster = try KafkaMockCluster(brokers: brokers, logger: logger)
        for topic in Topology.defaultTopics { try cluster.createTopic(topic, partitions: partitions) }
        print("bootstrap servers: \(cluster.bootstrapServers)")
        print("topics: \(Topology.defaultTopics.joined(separator: ", ")) (\(partitions) partitions each)")
        print("Ctrl-C to stop.")
        await Signals.waitForTermination()
        cluster.shutdown()
    }
}
