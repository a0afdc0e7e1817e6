import CouponSandbox
import Foundation
import Kafka
import Logging

/// What every scenario runs on: librdkafka's mock cluster (3 brokers), both provider
/// sandboxes, and a temporary folder for keys and SQLite files, all in this process.
///
/// Each scenario gets topics and consumer groups of its own, so nothing one leaves behind
/// is read by the next.
final class BenchStage: Sendable {
    /// The four topics of one worker.
    struct Topics: Sendable {
        var issue: String
        var query: String
        var results: String
        var deadLetters: String
    }

    /// librdkafka's mock broker answers an empty fetch only after the consumer's whole
    /// `fetch.wait.max.ms` (500 ms by default) and is not woken by new records, so every
    /// idle moment of a partition would add up to half a second to a record's journey. A
    /// real broker answers as soon as data arrives; a short wait makes the mock behave
    /// close to that. Throughput runs (always a backlog) use 10 ms; the latency run 1 ms,
    /// where each hop would otherwise add up to the whole wait.
    static func consumerProperties(fetchWaitMilliseconds: Int) -> [String: String] {
        ["fetch.wait.max.ms": String(fetchWaitMilliseconds)]
    }

    /// The fetch wait of throughput runs.
    static let defaultFetchWaitMilliseconds = 10

    let cluster: KafkaMockCluster
    let sandboxes: ProviderSandboxes
    let folder: URL
    let logger: Logger
    let producer: KafkaProducer

    private init(cluster: KafkaMockCluster, sandboxes: ProviderSandboxes, folder: URL, logger: Logger, producer: KafkaProducer) {
        self.cluster = cluster
        self.sandboxes = sandboxes
        self.folder = folder
        self.logger = logger
        self.producer = producer
    }

    /// Starts the cluster and the sandboxes.
    static func start(logger: Logger) async throws -> BenchStage {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("coupon-worker-bench-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let cluster = try KafkaMockCluster(brokers: 3, logger: logger)
        var sandboxLogger = logger
        sandboxLogger.logLevel = .critical  // Hummingbird reports its own cancellation at stop as an error
        let sandboxes = try await ProviderSandboxes.start(keysDirectory: folder.appendingPathComponent("keys"), logger: sandboxLogger)
        let producer = try KafkaProducer(configuration: KafkaProducerConfiguration(bootstrapServers: cluster.bootstrapServers), logger: logger)
        return BenchStage(cluster: cluster, sandboxes: sandboxes, folder: folder, logger: logger, producer: producer)
    }

    var bootstrapServers: String { cluster.bootstrapServers }

    /// A name no other scenario uses.
    static func uniqueName(_ prefix: String) -> String {
        "bench-\(prefix)-\(UUID().uuidString.prefix(8).lowercased())"
    }

    /// Creates one topic with `partitions` partitions and returns its name.
    func topic(_ prefix: String, partitions: Int32) throws -> String {
        let name = Self.uniqueName(prefix)
        try cluster.createTopic(name, partitions: partitions)
        return name
    }

    /// Creates a worker's four topics; commands and results get `partitions` partitions.
    func workerTopics(_ prefix: String, partitions: Int32) throws -> Topics {
        Topics(
            issue: try topic("\(prefix)-issue", partitions: partitions),
            query: try topic("\(prefix)-query", partitions: partitions),
            results: try topic("\(prefix)-results", partitions: partitions),
            deadLetters: try topic("\(prefix)-dlq", partitions: 1))
    }

    /// A consumer in a group of its own that reads `topics` from the beginning.
    func reader(of topics: [String], fetchWaitMilliseconds: Int = defaultFetchWaitMilliseconds) throws -> KafkaConsumer {
        var configuration = KafkaConsumerConfiguration(bootstrapServers: bootstrapServers, groupID: Self.uniqueName("reader"))
        configuration.autoOffsetReset = "earliest"
        configuration.properties = Self.consumerProperties(fetchWaitMilliseconds: fetchWaitMilliseconds)
        let consumer = try KafkaConsumer(configuration: configuration, rebalanceListener: nil, logger: logger)
        try consumer.subscribe(topics: topics)
        return consumer
    }

    /// A fresh SQLite file for one store.
    func sqlitePath(_ name: String) -> String {
        folder.appendingPathComponent("\(name)-\(UUID().uuidString.prefix(8)).sqlite").path
    }

    /// Stops everything and removes the folder.
    func stop() async {
        await producer.shutdown(timeout: .seconds(5))
        await sandboxes.stop()
        cluster.shutdown()
        try? FileManager.default.removeItem(at: folder)
    }
}
