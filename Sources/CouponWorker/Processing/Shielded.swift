import Synchronization

/// Raised when the task that started a shielded operation was cancelled meanwhile.
///
/// Shielded work reads it to skip what may be skipped (a further attempt, a settle) and to
/// bound what may not (storing an outcome: one last try within the store deadline).
final class CancellationFlag: Sendable {
    private let raised = Atomic<Bool>(false)

    var isRaised: Bool { raised.load(ordering: .acquiring) }

    func raise() { raised.store(true, ordering: .releasing) }
}

/// Runs `body` to its end even when the calling task is cancelled meanwhile.
///
/// Once a request may have reached a provider, its answer is awaited and its outcome stored,
/// whatever a revoke or a shutdown does to the command's task: cancelling would throw away an
/// answer (a zvcms card issued, reported `unknown`). `body` runs in a task of its own, which
/// cancellation does not reach; the caller still waits for it, so nothing escapes its owner.
func runShielded<T: Sendable>(
    _ body: @escaping @Sendable (CancellationFlag) async throws -> T
) async throws -> T {
    let flag = CancellationFlag()
    if Task.isCancelled { flag.raise() }
    let work = Task { try await body(flag) }
    return try await withTaskCancellationHandler {
        try await work.value
    } onCancel: {
        flag.raise()
    }
}
