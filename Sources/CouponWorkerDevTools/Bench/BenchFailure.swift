/// Why a scenario could not run to the end; the table shows it, and the exit status is 1.
enum BenchFailure: Error, CustomStringConvertible {
    /// A pipeline did not deliver everything in time.
    case timedOut(String)
    /// A tool the scenario needs (kcat) failed or is missing.
    case tool(String)
    /// The worker's process ended before the bench stopped it.
    case workerExited(status: Int32, logTail: String)

    var description: String {
        switch self {
        case .timedOut(let what): "timed out \(what)"
        case .tool(let what): what
        case .workerExited(let status, let logTail):
            "the worker process exited with status \(status) before it was stopped; its last lines:\n\(logTail)"
        }
    }
}
