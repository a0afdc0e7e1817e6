import ArgumentParser
import Kafka
import Logging

/// Runs librdkafka's mock cluster alone, so any Kafka client can talk to it; with
/// `--control-port`, also serves `KafkaControlAPI` on loopback so another process can take
/// brokers down, inject request errors and move coordinators.
struct DevKafkaCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dev-kafka",
        abstract: "Run an in-process Kafka cluster (librdkafka's mock, real protocol on loopback) and print its address.")

    @Option(help: "Number of brokers.") var brokers = 3
    @Option(help: "Partitions of the coupon topics it creates.") var partitions: Int32 = 6
    @Option(help: "Serve the fault-injection control API on 127.0.0.1 at this port (0: any free port).")
    var controlPort: Int?

    func validate() throws {
        guard brokers >= 1 else { throw ValidationError("--brokers must be at least 1") }
        guard partitions >= 1 else { throw ValidationError("--partitions must be at least 1") }
        if let controlPort, !(0...65535).contains(controlPort) {
            throw ValidationError("--control-port must be 0...65535")
        }
    }

    func run() async throws {
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
