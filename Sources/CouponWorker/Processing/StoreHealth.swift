import Synchronization

/// Whether the idempotency store answered the last time it was asked.
///
/// While it does not, no command gets past its claim, so no provider is called unguarded;
/// the pipeline fills up and stops reading. Readiness reports this.
public final class StoreHealth: Sendable {
    private let state = Mutex<String?>(nil)

    public init() {}

    /// Nil when healthy, else the last error (already free of secrets).
    public var lastError: String? { state.withLock { $0 } }

    func markHealthy() { state.withLock { $0 = nil } }
    func markUnhealthy(_ reason: String) { state.withLock { $0 = reason } }
}
