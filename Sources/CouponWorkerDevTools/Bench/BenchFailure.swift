/// Why a scenario could not run to the end; the table shows it, and the exit status is 1.
enum BenchFailure: Error, CustomStringConvertible {
    /// A pipeline did not deliver everything in time.
    case timedOut(String)
    /// A tool the scenario needs (kcat) failed or is missing.
    case tool(String)

    var description: String {
        switch self {
        case .timedOut(let what): "timed out \(what)"
        case .tool(let what): what
        }
    }
}
