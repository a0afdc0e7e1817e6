/// Whether fetching should pause for the whole assignment because too many records wait in
/// the consumer's buffer for a slot in the pipeline; closes at `closeAt`, reopens at `openAt`.
///
/// The consumer's poll thread stops reading at `maxInFlight` records ahead of the pipeline,
/// but still polls every 100 ms to serve rebalances, and each such poll may take one record
/// more: when the pipeline stops (the store or the results topic is down) records pile up
/// slowly, and the gate bounds them. In normal operation, however saturated, it stays open.
/// Closing at `closeAt` and reopening at `openAt` (well below)
/// keeps a saturated worker from pausing and resuming for every record, which costs two
/// librdkafka calls per partition each time and discards what the consumer had prefetched.
///
/// A plain value with no I/O: `FlowControl` holds it and turns "closed" into the partitions it
/// wants paused; only `PauseApplier` talks to librdkafka.
public struct FetchGate: Sendable, Hashable {
    /// Buffered records at which fetching pauses.
    public let closeAt: Int
    /// Buffered records at which fetching resumes.
    public let openAt: Int
    /// Whether the gate holds the assignment paused.
    public private(set) var isClosed = false

    public init(closeAt: Int, openAt: Int) {
        precondition(openAt < closeAt)
        self.closeAt = closeAt
        self.openAt = openAt
    }

    /// The gate for a pipeline of `maxInFlight` slots: closes at 2 × `maxInFlight` buffered
    /// records, opens at half of `maxInFlight`.
    public init(maxInFlight: Int) {
        self.init(closeAt: 2 * max(1, maxInFlight), openAt: max(1, maxInFlight) / 2)
    }

    /// Takes a reading of the consumer's buffer depth; returns true when the gate closed or
    /// opened because of it.
    public mutating func observe(buffered: Int) -> Bool {
        if !isClosed && buffered >= closeAt {
            isClosed = true
            return true
        }
        if isClosed && buffered <= openAt {
            isClosed = false
            return true
        }
        return false
    }
}
