import Foundation

/// How steadily results came: the longest stretch without one, and the share of 100 ms slots
/// that saw none, between the first and the last result of a run.
///
/// The scenarios pre-produce all their input, so over that whole stretch input was waiting:
/// an empty slot is a stall of the worker, not a lack of work. Taken from the results'
/// Kafka timestamps (set by the worker's producer when it published each one, millisecond
/// resolution), so the bench's own reader, fetching in batches, cannot make or hide a gap.
struct ResultGaps: Sendable, Equatable {
    /// The longest time between two consecutive results, in seconds.
    var longest: Double
    /// Slots of `slot` length from the first result on, up to and including the last one's.
    var slots: Int
    /// Slots without any result.
    var emptySlots: Int

    static let slot = 0.1

    /// Empty slots ÷ all slots (0 for a run of one slot).
    var emptyShare: Double { slots > 0 ? Double(emptySlots) / Double(slots) : 0 }

    /// The gaps of results produced at `times` (any order); `nil` for fewer than two.
    init?(times: [Date]) {
        guard times.count > 1 else { return nil }
        let sorted = times.map(\.timeIntervalSince1970).sorted()
        let first = sorted[0]
        var longest = 0.0
        var filled = Set<Int>()
        for (index, time) in sorted.enumerated() {
            if index > 0 { longest = max(longest, time - sorted[index - 1]) }
            filled.insert(Self.slotIndex(time - first))
        }
        self.longest = longest
        self.slots = Self.slotIndex(sorted[sorted.count - 1] - first) + 1
        self.emptySlots = slots - filled.count
    }

    /// The slot a result `offset` seconds after the first falls in. Rounded to the
    /// millisecond first: timestamps are whole milliseconds, and `0.3 / 0.1` is 2.9999….
    private static func slotIndex(_ offset: Double) -> Int {
        Int((offset * 1000).rounded()) / Int(slot * 1000)
    }
}
