import CouponModel
import Foundation
import Kafka

/// Scenario 1: our Kafka layer alone. A consumer reads N command records and a producer
/// writes the same bytes (key, value, headers) to another topic, each awaited to its
/// delivery report with up to `window` outstanding — what the worker does around a
/// command, minus the command. kcat's consume rate of the same records is the reference
/// for the consumer side.
struct RelayScenario {
    var messages: Int
    /// Records in flight between consume and delivery report; the worker's `max_in_flight`.
    var window = 256

    struct Measurement {
        /// Records/s the bench's producer loaded the input topic with (window 5,000).
        var loadRate: Double
        /// Records/s relayed, from the first record consumed to the last delivery report.
        var relayRate: Double
        /// Records/s kcat consumed the input topic at, process start to exit.
        var kcatRate: Result<Double, BenchFailure>
    }

    func run(on stage: BenchStage) async throws -> Measurement {
        let input = try stage.topic("relay-in", partitions: 6)
        let output = try stage.topic("relay-out", partitions: 6)
        let loadStart = ContinuousClock.now
        try await SendWindow.send(count: messages, window: 5_000, producer: stage.producer) { index in
            let key = BenchCommands.outRequestNo(run: "relay", index: index)
            return KafkaOutgoingMessage(topic: input, key: Array(key.utf8), value: BenchCommands.zvcmsIssue(key))
        }
        let loadRate = Double(messages) / loadStart.duration(to: .now).seconds

        let consumer = try stage.reader(of: [input])
        let relayProducer = try KafkaProducer(
            configuration: KafkaProducerConfiguration(bootstrapServers: stage.bootstrapServers), logger: stage.logger)
        try? await relayProducer.warmUp(topics: [output])
        let expected = messages
        let window = self.window
        let elapsed = try await withThrowingTaskGroup(of: Void.self) { group in
            var started: ContinuousClock.Instant?
            var relayed = 0
            for try await message in consumer.messages {
                if started == nil { started = .now }
                if relayed >= window { try await group.next() }
                group.addTask {
                    _ = try await relayProducer.send(KafkaOutgoingMessage(
                        topic: output, key: message.key, value: message.value, headers: message.headers))
                }
                relayed += 1
                if relayed == expected { break }
            }
            try await group.waitForAll()
            guard let started, relayed == expected else {
                throw BenchFailure.timedOut("relay: the input ended after \(relayed) of \(expected) records")
            }
            return started.duration(to: .now)
        }
        await consumer.close()
        await relayProducer.shutdown(timeout: .seconds(5))

        let kcat = await KcatConsumeRate(bootstrapServers: stage.bootstrapServers, topic: input, messages: messages).measure()
        return Measurement(loadRate: loadRate, relayRate: Double(expected) / elapsed.seconds, kcatRate: kcat)
    }
}
