import Kafka
import Logging

/// The periodic readings of a running worker, every `interval`: consumer lag (from
/// librdkafka's statistics) into metrics, each newly stuck command logged once, the stalled
/// partitions counted, and the time without an assignment brought up to date.
struct LagReporter: Sendable {
    let consumer: KafkaConsumer
    let flows: PartitionFlows
    let assignmentClock: AssignmentClock
    let interval: Duration
    let stuckCommandLimit: Duration
    let metrics: WorkerMetrics
    let logger: Logger

    /// Reports until cancelled.
    func run() async {
        while !Task.isCancelled {
            for (tp, lag) in consumer.consumerLag() {
                metrics.consumerLag(topic: tp.topic, partition: tp.partition, lag: lag)
            }
            reportStalls()
            assignmentClock.report()
            try? await Task.sleep(for: interval)
        }
    }

    /// Logs each newly stuck command once, and counts the stalled partitions.
    private func reportStalls() {
        let now = ContinuousClock.now
        for stall in flows.newlyStuck(at: now, limit: stuckCommandLimit) {
            logger.critical("partition stalled: a command has run past the stuck-command limit; /healthz reports not live", metadata: [
                "partition": "\(stall.partition)", "stall": "\(stall)",
            ])
        }
        metrics.stalledPartitions(flows.stalls(at: now, limit: stuckCommandLimit).count)
    }
}
