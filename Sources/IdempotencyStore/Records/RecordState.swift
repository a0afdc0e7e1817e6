/// Where a record is in its life: leased to a worker that is executing the command, or done.
public enum RecordState: String, Sendable, Hashable, Codable {
    /// A worker holds (or held, if the lease expired) the lease and may be calling the provider.
    case inProgress = "in_progress"
    /// The outcome is stored; the command is never executed again under this key.
    case final
}
