@testable import CouponWorker
import Testing

/// The time a worker spends without any partition: what `coupon_unassigned_seconds_total` counts.
@Suite("Assignment clock")
struct AssignmentClockTests {
    let start = ContinuousClock.now

    func at(_ seconds: Int) -> ContinuousClock.Instant { start.advanced(by: .seconds(seconds)) }

    @Test("time before the first assignment and between a full revoke and the next assignment is counted; assigned time is not")
    func countsOnlyTimeWithoutPartitions() {
        var state = AssignmentClock.State(startedAt: start)
        state.change(by: 4, at: at(3))  // joined after 3 s
        #expect(state.unassigned == .seconds(3))
        state.change(by: -1, at: at(10))  // one partition moves away: still assigned
        state.settle(at: at(12))
        #expect(state.unassigned == .seconds(3))
        state.change(by: -3, at: at(20))  // everything revoked (a rebalance)
        state.settle(at: at(25))
        #expect(state.unassigned == .seconds(8), "a stretch without partitions shows while it lasts")
        state.change(by: 2, at: at(27))
        state.settle(at: at(40))
        #expect(state.unassigned == .seconds(10))
        #expect(state.partitions == 2)
    }

    @Test("a revoke of more than is held never makes the count negative, and settling twice counts once")
    func robustAgainstOddSequences() {
        var state = AssignmentClock.State(startedAt: start)
        state.change(by: 1, at: at(1))
        state.change(by: -5, at: at(2))
        #expect(state.partitions == 0)
        state.settle(at: at(4))
        state.settle(at: at(4))
        #expect(state.unassigned == .seconds(3))
    }
}
