import ArgumentParser
import CouponWorkerDevTools

/// librdkafka's mock cluster alone, with the coupon topics and an optional control API
/// (`DevKafka`).
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
        try await DevKafka.run(brokers: brokers, partitions: partitions, controlPort: controlPort)
    }
}
