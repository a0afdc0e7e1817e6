import Synchronization

/// Whether the idempotency store answered the last time it was asked.
///
/// While it does not, no command gets past its claim, so no provider is called unguarded;
/// the pipeline fills up and stops reading. Readiness and `coupon_store_available` report this.
public final class StoreHealth: Sendable {
    private let state = Mutex<String?>(nil)
    private let metrics: WorkerMetrics

    public init(metrics: WorkerMetrics = WorkerMetrics()) {
        self.metrics = metrics
        metrics.storeAvailable(true)
    }

    /// Nil when healthy, else the last error (already free of secrets).
    public var lastError: String? { state.withLock { $0 } }

    func markHealthy() {
        if state.withLock({ state in defer { state = nil }; return state != nil }) { metrics.storeAvailable(true) }
    }

    func markUnhealthy(_ reason: String) {
        if state.withLock({ state in defer { state = reason }; return state == nil }) { metrics.storeAvailable(false) }
    }
}
