import CouponWorkerRuntime
import Kafka
import Logging

/// `coupon-worker dev-kafka`: librdkafka's mock cluster alone, with the coupon topics, so any
/// Kafka client can talk to it; with a control port, also `KafkaControlAPI` on loopback so
/// another process can take brokers down, inject request errors and move coordinators.
public enum DevKafka {
    /// Runs until SIGINT/SIGTERM. The first lines printed are a contract read by scripts:
    /// the bootstrap servers, then the control URL.
    public static func run(brokers: Int, partitions: Int32, controlPort: Int?) async throws {
        LoggingSetup.bootstrap(format: nil, level: "notice")
        let logger = Logger(label: "coupon-worker.dev-kafka")
        let cluster = try KafkaMockCluster(brokers: brokers, logger: logger)
        for topic in Topology.defaultTopics { try cluster.createTopic(topic, partitions: partitions) }

        // The first lines are a contract: scripts read the bootstrap servers, then the control URL.
        let announcement = { (controlURL: String?) in
            Console.line("bootstrap servers: \(cluster.bootstrapServers)")
            if let controlURL { Console.line("control: \(controlURL)") }
            Console.line("topics: \(Topology.defaultTopics.joined(separator: ", ")) (\(partitions) partitions each)")
            Console.line("Ctrl-C to stop.")
        }
        if let controlPort {
            let api = KafkaControlAPI(cluster: cluster, brokers: 1...Int32(brokers))
            try await LoopbackControlServer(router: api.router(), port: controlPort, logger: logger).run { url in
                announcement(url)
                await Signals.waitForTermination()
            }
        } else {
            announcement(nil)
            await Signals.waitForTermination()
        }
        cluster.shutdown()
    }
}
