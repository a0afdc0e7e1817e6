import CouponModel
import Metrics

/// The worker's metrics, through swift-metrics (the executable bootstraps Prometheus).
///
/// Names are part of the operator contract (dashboards, deploy/prometheus/alerts.yaml).
public struct WorkerMetrics: Sendable {
    public init() {}

    /// 1 while the idempotency store answers, 0 while it does not (nothing is claimed then).
    func storeAvailable(_ available: Bool) {
        Gauge(label: "coupon_store_available").record(available ? 1 : 0)
    }

    func consumed(topic: String) {
        Counter(label: "coupon_commands_consumed_total", dimensions: [("topic", topic)]).increment()
    }

    func result(_ event: ResultEvent) {
        Counter(label: "coupon_results_total", dimensions: [
            ("status", event.status.rawValue), ("provider", event.provider ?? "none"),
        ]).increment()
    }

    func replayed() {
        Counter(label: "coupon_replayed_results_total").increment()
    }

    func deadLettered(_ cause: DeadLetterCause) {
        Counter(label: "coupon_dlq_records_total", dimensions: [("reason", cause.code.rawValue)]).increment()
    }

    func providerCall(command: CouponCommand, outcome: String, duration: Duration) {
        Timer(label: "coupon_provider_request_duration_seconds", dimensions: [
            ("provider", command.provider.rawValue), ("operation", command.operation.rawValue),
        ]).recordNanoseconds(Int64(duration.seconds * 1e9))
        Counter(label: "coupon_provider_requests_total", dimensions: [
            ("provider", command.provider.rawValue), ("outcome", outcome),
        ]).increment()
    }

    func retry(command: CouponCommand, code: ErrorCode) {
        Counter(label: "coupon_provider_retries_total", dimensions: [
            ("provider", command.provider.rawValue), ("code", code.rawValue),
        ]).increment()
    }

    func inFlight(_ value: Int) {
        Gauge(label: "coupon_in_flight").record(value)
    }

    /// Partitions librdkafka has paused at the worker's request (the pause applier's ledger).
    func pausedPartitions(_ value: Int) {
        Gauge(label: "coupon_paused_partitions").record(value)
    }

    /// Pauses the applier issued (one per partition).
    func partitionsPaused(_ count: Int) {
        Counter(label: "coupon_partitions_paused_total").increment(by: count)
    }

    /// Resumes the applier issued (one per partition; only ever of a partition it paused).
    func partitionsResumed(_ count: Int) {
        Counter(label: "coupon_partitions_resumed_total").increment(by: count)
    }

    /// Partitions that cannot make progress (an abandoned or a stuck command); any fails `/healthz`.
    /// A change of this worker's assignment (`assigned` or `revoked`): a rebalance it took part in.
    func rebalance(_ event: String) {
        Counter(label: "coupon_rebalances_total", dimensions: [("event", event)]).increment()
    }

    /// Time this worker spent with no partition assigned.
    func unassigned(_ duration: Duration) {
        FloatingPointCounter(label: "coupon_unassigned_seconds_total").increment(by: duration.seconds)
    }

    /// The consumer hit a fatal error (fenced by another instance with the same
    /// `group.instance.id`, …): the worker stops and the process exits non-zero.
    func fatalConsumerError(_ code: String) {
        Counter(label: "coupon_fatal_errors_total", dimensions: [("code", code)]).increment()
    }

    func stalledPartitions(_ value: Int) {
        Gauge(label: "coupon_stalled_partitions").record(value)
    }

    /// Records delivered again within one assignment (dropped: running or done already).
    func redelivered(topic: String) {
        Counter(label: "coupon_redelivered_records_total", dimensions: [("topic", topic)]).increment()
    }

    /// Records fetched before a rebalance and read after it (dropped: no longer ours to process).
    func stale(topic: String) {
        Counter(label: "coupon_stale_records_total", dimensions: [("topic", topic)]).increment()
    }

    func consumerLag(topic: String, partition: Int32, lag: Int64) {
        Gauge(label: "coupon_consumer_lag", dimensions: [("topic", topic), ("partition", String(partition))]).record(lag)
    }

    func commandLatency(_ duration: Duration, status: ResultStatus) {
        Timer(label: "coupon_command_duration_seconds", dimensions: [("status", status.rawValue)])
            .recordNanoseconds(Int64(duration.seconds * 1e9))
    }
}
