import Synchronization

/// The store's notion of "now", by which every lease is granted and judged.
///
/// Lease expiry is decided by the database itself, in the statement that takes a lease over
/// (PostgreSQL's `statement_timestamp()`, SQLite's `'now'`), never by a worker's clock: an
/// instance whose clock runs ahead can therefore not take over a live lease of another.
/// `offset` shifts the database clock; it is zero in production and lets tests expire leases
/// without waiting for them.
public final class StoreClock: Sendable {
    private let offset = Atomic<Int64>(0)

    /// The database's clock, unshifted.
    public init() {}

    /// Milliseconds added to the database's clock in every statement.
    public var offsetMilliseconds: Int64 { offset.load(ordering: .relaxed) }

    /// Moves the store's clock forward (tests: a lease expires without waiting for it).
    public func advance(by duration: Duration) {
        offset.add(duration.wholeMilliseconds, ordering: .relaxed)
    }
}

extension Duration {
    /// The duration in whole milliseconds, rounded towards zero.
    var wholeMilliseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }
}
