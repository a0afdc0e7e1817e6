import Kafka

/// Which partitions' `coupon_consumer_lag` gauges this instance shows: only the partitions it
/// owns now. librdkafka's statistics keep reporting a partition for a while after a rebalance
/// moved it away, with the lag it had then; shown, that stale value would outlive the move in
/// `max by (topic, partition)` (the lag alerts, the autoscaler's query), so the series of a
/// partition this instance no longer owns is removed.
struct LagGauges: Sendable {
    /// The partitions whose gauge is shown.
    private(set) var shown: Set<KafkaTopicPartition> = []

    /// One reading: the lags to show (those of `owned` partitions) and the partitions whose
    /// gauge must go (shown before, not shown now).
    mutating func update(
        lag: [KafkaTopicPartition: Int64], owned: Set<KafkaTopicPartition>
    ) -> (show: [KafkaTopicPartition: Int64], remove: Set<KafkaTopicPartition>) {
        let show = lag.filter { owned.contains($0.key) }
        let now = Set(show.keys)
        defer { shown = now }
        return (show, shown.subtracting(now))
    }
}
