import CouponModel
import Metrics
import Synchronization

/// The worker's metrics, through swift-metrics (the executable bootstraps Prometheus).
///
/// Names are part of the operator contract (dashboards, deploy/prometheus/alerts.yaml).
/// The metrics recorded for every command keep their handles (`PerCommandHandles`): making a
/// handle asks the factory, which locks and hashes label and dimensions, every time.
public struct WorkerMetrics: Sendable {
    private let handles = PerCommandHandles()

    public init() {}

    /// 1 while the idempotency store answers, 0 while it does not (nothing is claimed then).
    func storeAvailable(_ available: Bool) {
        Gauge(label: "coupon_store_available").record(available ? 1 : 0)
    }

    func consumed(topic: String) {
        handles.counters.handle(for: HandleKey("consumed", topic, "")) {
            Counter(label: "coupon_commands_consumed_total", dimensions: [("topic", topic)])
        }.increment()
    }

    func result(_ event: ResultEvent) {
        let provider = event.provider ?? "none"
        handles.counters.handle(for: HandleKey("result", event.status.rawValue, provider)) {
            Counter(label: "coupon_results_total", dimensions: [("status", event.status.rawValue), ("provider", provider)])
        }.increment()
    }

    func replayed() {
        Counter(label: "coupon_replayed_results_total").increment()
    }

    func deadLettered(_ cause: DeadLetterCause) {
        Counter(label: "coupon_dlq_records_total", dimensions: [("reason", cause.code.rawValue)]).increment()
    }

    func providerCall(command: CouponCommand, outcome: String, duration: Duration) {
        let provider = command.provider.rawValue, operation = command.operation.rawValue
        handles.timers.handle(for: HandleKey("provider_request", provider, operation)) {
            Timer(label: "coupon_provider_request_duration_seconds", dimensions: [("provider", provider), ("operation", operation)])
        }.recordNanoseconds(Int64(duration.seconds * 1e9))
        handles.counters.handle(for: HandleKey("provider_requests", provider, outcome)) {
            Counter(label: "coupon_provider_requests_total", dimensions: [("provider", provider), ("outcome", outcome)])
        }.increment()
    }

    func retry(command: CouponCommand, code: ErrorCode) {
        Counter(label: "coupon_provider_retries_total", dimensions: [
            ("provider", command.provider.rawValue), ("code", code.rawValue),
        ]).increment()
    }

    func inFlight(_ value: Int) {
        handles.inFlight.record(value)
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

    /// A Kafka client hit a fatal error (the consumer fenced by another instance with the same
    /// `group.instance.id`, the idempotent producer's sequence broken, …): the worker stops and
    /// the process exits non-zero.
    func fatalKafkaError(_ code: String) {
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

    /// This instance no longer owns the partition: its lag series goes (another instance shows it).
    func removeConsumerLag(topic: String, partition: Int32) {
        Gauge(label: "coupon_consumer_lag", dimensions: [("topic", topic), ("partition", String(partition))]).destroy()
    }

    func commandLatency(_ duration: Duration, status: ResultStatus) {
        handles.timers.handle(for: HandleKey("command", status.rawValue, "")) {
            Timer(label: "coupon_command_duration_seconds", dimensions: [("status", status.rawValue)])
        }.recordNanoseconds(Int64(duration.seconds * 1e9))
    }
}

/// Handles of the metrics recorded for every command, made on first use (after the
/// executable bootstrapped the factory) and kept by their label and dimension values.
private final class PerCommandHandles: Sendable {
    let counters = HandleTable<Counter>()
    let timers = HandleTable<Timer>()
    let inFlightGauge = Mutex<Gauge?>(nil)

    var inFlight: Gauge {
        inFlightGauge.withLock { gauge in
            if let gauge { return gauge }
            let made = Gauge(label: "coupon_in_flight")
            gauge = made
            return made
        }
    }
}

/// Handles of one kind by a key of label and dimension values.
private final class HandleTable<Handle: Sendable>: Sendable {
    private let table = Mutex<[HandleKey: Handle]>([:])

    func handle(for key: HandleKey, make: () -> Handle) -> Handle {
        table.withLock { table in
            if let handle = table[key] { return handle }
            let handle = make()
            table[key] = handle
            return handle
        }
    }
}

/// A metric's name and up to two dimension values; a struct, so a lookup allocates nothing.
private struct HandleKey: Hashable {
    var metric: String
    var first: String
    var second: String

    init(_ metric: String, _ first: String, _ second: String) {
        (self.metric, self.first, self.second) = (metric, first, second)
    }
}
