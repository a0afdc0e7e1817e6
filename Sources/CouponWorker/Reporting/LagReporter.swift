import Kafka
import Logging

/// The periodic readings of a running worker, every `interval`: consumer lag (from
/// librdkafka's statistics) of the partitions it owns into metrics (`LagGauges`), each newly
/// stuck command logged once, the stalled partitions counted, and the time without an
/// assignment brought up to date.
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
        var gauges = LagGauges()
        while !Task.isCancelled {
            let reading = gauges.update(lag: consumer.consumerLag(), owned: Set(flows.partitions))
            for (tp, lag) in reading.show {
                metrics.consumerLag(topic: tp.topic, partition: tp.partition, lag: lag)
            }
            for tp in reading.remove {
                metrics.removeConsumerLag(topic: tp.topic, partition: tp.partition)
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
