import Dispatch
import Synchronization

/// Keeps a client's `rd_kafka_t` alive while anyone uses it, and orders its teardown.
///
/// Phases: `running` → `stopping` (stop requested; the poll thread is closing the client;
/// calls are still allowed, e.g. a revoke listener storing offsets during close) →
/// `destroying` (new calls fail with `KafkaError.shutDown`; the poll thread waits until
/// calls in progress end, then destroys the handle) → `destroyed` (waiters resume).
/// Every use of the handle outside its poll thread happens inside `withLease`, so no call
/// can touch a destroyed handle.
final class ClientLifecycle: Sendable {
    private enum Phase {
        case running, stopping, destroying, destroyed
    }

    private struct State {
        var phase = Phase.running
        var leases = 0
        var drained: DispatchSemaphore?
        var stopWaiters: [CheckedContinuation<Void, Never>] = []
        var stopTimeout: Duration = .zero
    }

    private let state = Mutex(State())

    /// Runs `body` with the guarantee that the handle is not destroyed meanwhile.
    func withLease<Result>(_ body: () throws(KafkaError) -> Result) throws(KafkaError) -> Result {
        try acquire()
        defer { release() }
        return try body()
    }

    /// Async variant for leases held across a suspension (e.g. a blocking call on a thread).
    func withLease<Result: Sendable>(
        _ body: () async throws(KafkaError) -> Result
    ) async throws(KafkaError) -> Result {
        try acquire()
        defer { release() }
        return try await body()
    }

    private func acquire() throws(KafkaError) {
        try state.withLock { state throws(KafkaError) in
            switch state.phase {
            case .running, .stopping:
                state.leases += 1
            case .destroying, .destroyed:
                throw KafkaError.shutDown
            }
        }
    }

    private func release() {
        let drained = state.withLock { state -> DispatchSemaphore? in
            state.leases -= 1
            return state.leases == 0 ? state.drained.take() : nil
        }
        drained?.signal()
    }

    /// Asks the poll thread to stop; `true` only for the first request.
    @discardableResult
    func requestStop(timeout: Duration = .zero) -> Bool {
        state.withLock { state in
            guard state.phase == .running else { return false }
            state.phase = .stopping
            state.stopTimeout = timeout
            return true
        }
    }

    /// Whether a stop was requested; read by the poll thread every iteration.
    var isStopRequested: Bool {
        state.withLock { $0.phase != .running }
    }

    /// The timeout passed to the first `requestStop`.
    var stopTimeout: Duration {
        state.withLock { $0.stopTimeout }
    }

    /// Poll thread only: refuses new leases and blocks until the current ones end.
    func beginDestroying() {
        let drained = state.withLock { state -> DispatchSemaphore? in
            state.phase = .destroying
            guard state.leases > 0 else { return nil }
            let semaphore = DispatchSemaphore(value: 0)
            state.drained = semaphore
            return semaphore
        }
        drained?.wait()
    }

    /// Poll thread only: the handle is gone; resumes everyone waiting for it.
    func markDestroyed() {
        let waiters = state.withLock { state in
            state.phase = .destroyed
            defer { state.stopWaiters = [] }
            return state.stopWaiters
        }
        for waiter in waiters {
            waiter.resume()
        }
    }

    /// Suspends until the handle is destroyed.
    func waitUntilDestroyed() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let alreadyDone = state.withLock { state in
                guard state.phase != .destroyed else { return true }
                state.stopWaiters.append(continuation)
                return false
            }
            if alreadyDone {
                continuation.resume()
            }
        }
    }
}
