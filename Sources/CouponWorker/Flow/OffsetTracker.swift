/// The commit position of one partition: the end of its contiguous completed prefix.
///
/// Commands of a partition finish out of order (different keys run concurrently), but the
/// offset handed to Kafka must never pass a command that is still running, or a crash would
/// lose it. `begin` is called in offset order as messages arrive; `complete` in any order.
/// Gaps in offsets (compaction, transaction markers) are fine: only begun offsets count.
public struct OffsetTracker: Sendable {
    private var entries: [(offset: Int64, done: Bool)] = []
    private var head = 0
    private var lastBegun: Int64?

    public init() {}

    /// Number of begun, not yet completed commands.
    public private(set) var inFlight = 0

    /// Registers the message at `offset` as started, and returns true; returns false and
    /// changes nothing when `offset` is not past the last one begun. That is a re-delivery
    /// (librdkafka 2.0.2 can rewind a partition when it is resumed): the record is already
    /// running or done, and tracking it twice would break the contiguous prefix.
    public mutating func begin(_ offset: Int64) -> Bool {
        if let lastBegun, offset <= lastBegun { return false }
        entries.append((offset, false))
        lastBegun = offset
        inFlight += 1
        return true
    }

    /// Marks `offset` done. Returns the next offset to store (last of the contiguous
    /// completed prefix + 1) when the prefix grew, else nil.
    public mutating func complete(_ offset: Int64) -> Int64? {
        guard let index = entries[head...].firstIndex(where: { $0.offset == offset && !$0.done }) else {
            return nil
        }
        entries[index].done = true
        inFlight -= 1
        var advanced: Int64?
        while head < entries.count, entries[head].done {
            advanced = entries[head].offset + 1
            head += 1
        }
        if head > 1024, head * 2 > entries.count {
            entries.removeFirst(head)
            head = 0
        }
        return advanced
    }
}
