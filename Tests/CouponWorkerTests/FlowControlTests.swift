@testable import CouponWorker
import Kafka
import Testing

let partition0 = KafkaTopicPartition(topic: "t", partition: 0)
let partition1 = KafkaTopicPartition(topic: "t", partition: 1)
let partition2 = KafkaTopicPartition(topic: "t", partition: 2)

extension FlowControl {
    /// Admits and returns the command's id, failing the test if the record is not started.
    mutating func start(
        _ partition: KafkaTopicPartition, _ offset: Int64, generation: UInt64 = 1,
        sourceLocation: SourceLocation = #_sourceLocation
    ) -> CommandID? {
        guard case .start(let id, _) = admit(partition, offset: offset, generation: generation, at: .now) else {
            Issue.record("\(partition) offset \(offset) was not started", sourceLocation: sourceLocation)
            return nil
        }
        return id
    }
}

/// Every interleaving of flow control that matters, on the pure state machine: no Kafka, no
/// clock, no tasks. Each event's "pauses changed" answer is checked along with the desired set,
/// since the worker applies pauses only when told they changed.
@Suite("Flow control")
struct FlowControlTests {
    /// Gate closes at 8 buffered records, opens at 2.
    func control(partitionBufferLimit: Int = 4, assigned: [KafkaTopicPartition] = [partition0, partition1, partition2]) -> FlowControl {
        var control = FlowControl(partitionBufferLimit: partitionBufferLimit, gate: FetchGate(closeAt: 8, openAt: 2))
        control.assign(assigned, generation: 1)
        return control
    }

    @Test("a partition is paused when its commands reach the buffer limit, and resumed at half")
    func fullPartitionHysteresis() throws {
        var flow = control()
        for offset: Int64 in 0..<3 {
            let r1 = flow.admit(partition0, offset: offset, generation: 1, at: .now)
            #expect(r1 == .start(
                .init(partition: partition0, generation: 1, offset: offset), pausesChanged: false))
        }
        let r2 = flow.admit(partition0, offset: 3, generation: 1, at: .now)
        #expect(r2 == .start(
            .init(partition: partition0, generation: 1, offset: 3), pausesChanged: true))
        #expect(flow.desiredPaused == [partition0])
        let id = { (offset: Int64) in FlowControl.CommandID(partition: partition0, generation: 1, offset: offset) }
        let r3 = flow.finish(id(0), acknowledged: true)
        #expect(r3 == .init(storeOffset: 1, pausesChanged: false))
        #expect(flow.desiredPaused == [partition0], "3 running: above half")
        let r4 = flow.finish(id(2), acknowledged: true)
        #expect(r4 == .init(storeOffset: nil, pausesChanged: true))
        #expect(flow.desiredPaused.isEmpty, "2 running: half")
        let r5 = flow.finish(id(1), acknowledged: true)
        #expect(r5 == .init(storeOffset: 3, pausesChanged: false))
    }

    @Test("the gate closing while some partitions are full pauses every partition that delivered; opening it resumes only those not full")
    func gateClosesWhileSomePartitionsAreFull() {
        var flow = control(partitionBufferLimit: 2)
        _ = flow.start(partition0, 0)
        _ = flow.start(partition0, 1)
        _ = flow.start(partition1, 0)
        _ = flow.start(partition2, 0)
        #expect(flow.desiredPaused == [partition0])
        let belowHighMark = flow.observeBuffer(7)
        #expect(!belowHighMark)
        let atHighMark = flow.observeBuffer(8)
        #expect(atHighMark, "the gate closed")
        #expect(flow.desiredPaused == [partition0, partition1, partition2])
        let betweenMarks = flow.observeBuffer(3)
        #expect(!betweenMarks)
        let atLowMark = flow.observeBuffer(2)
        #expect(atLowMark, "the gate opened")
        #expect(flow.desiredPaused == [partition0], "still full on its own")
    }

    @Test("a partition that has not delivered a record of its assignment is not paused, even by a closed gate; its first record pauses it")
    func partitionIsPausedOnlyAfterItsFirstRecord() throws {
        var flow = control()
        _ = flow.start(partition0, 0)
        let closed = flow.observeBuffer(8)
        #expect(closed)
        #expect(flow.desiredPaused == [partition0], "partitions 1 and 2 have no position in librdkafka yet")
        let first = flow.admit(partition1, offset: 40, generation: 1, at: .now)
        #expect(first == .start(.init(partition: partition1, generation: 1, offset: 40), pausesChanged: true))
        #expect(flow.desiredPaused == [partition0, partition1])
        var idle = control(assigned: [partition2])
        let nothingToPause = idle.observeBuffer(8)
        #expect(!nothingToPause, "the gate closed, but no partition can be paused yet")
    }

    @Test("a full partition that drains while the gate is closed stays paused, and is resumed when the gate opens")
    func partitionDrainsWhileTheGateHoldsIt() throws {
        var flow = control(partitionBufferLimit: 1)
        let started = flow.start(partition0, 0)
        let id = try #require(started)
        #expect(flow.desiredPaused == [partition0])
        let closed = flow.observeBuffer(10)
        #expect(!closed, "the gate closed, but its only partition is paused already")
        let completion = flow.finish(id, acknowledged: true)
        #expect(completion == .init(storeOffset: 1, pausesChanged: false), "the gate still holds it: no resume")
        #expect(flow.desiredPaused.contains(partition0))
        let opened = flow.observeBuffer(0)
        #expect(opened)
        #expect(flow.desiredPaused.isEmpty)
    }

    @Test("records are admitted only under their partition's current generation, and not while it is revoked")
    func staleRecordsAreNotAdmitted() {
        var flow = control(assigned: [partition0])
        let r13 = flow.admit(partition1, offset: 0, generation: 1, at: .now)
        #expect(r13 == .stale, "not assigned")
        let r14 = flow.admit(partition0, offset: 0, generation: 0, at: .now)
        #expect(r14 == .stale, "an older assignment")
        let r15 = flow.beginRevoke([partition0])
        #expect(!r15)
        let r16 = flow.admit(partition0, offset: 0, generation: 1, at: .now)
        #expect(r16 == .stale, "being revoked")
        flow.endRevoke([partition0])
        let r17 = flow.admit(partition0, offset: 0, generation: 1, at: .now)
        #expect(r17 == .stale, "revoked")
        #expect(flow.partitions.isEmpty)
    }

    @Test("an offset delivered again within one assignment is reported as such and not started twice")
    func redeliveryIsReported() {
        var flow = control()
        _ = flow.start(partition0, 5)
        let r18 = flow.admit(partition0, offset: 5, generation: 1, at: .now)
        #expect(r18 == .redelivered)
        let r19 = flow.admit(partition0, offset: 4, generation: 1, at: .now)
        #expect(r19 == .redelivered)
        #expect(flow.running(partition0) == 1)
    }

    @Test("a revoke takes paused partitions out of the desired set at once, and nothing of them is desired again")
    func revokeWhilePaused() throws {
        var flow = control()
        let started = flow.start(partition0, 0)
        let running = try #require(started)
        _ = flow.start(partition1, 0)
        _ = flow.start(partition2, 0)
        let closed = flow.observeBuffer(8)
        #expect(closed)
        #expect(flow.desiredPaused == [partition0, partition1, partition2])
        let revoking = flow.beginRevoke([partition0, partition1])
        #expect(revoking, "they leave the desired set")
        #expect(flow.desiredPaused == [partition2])
        let again = flow.beginRevoke([partition0])
        #expect(!again, "already revoking")
        // Events during and after the revoke do not bring them back.
        let finished = flow.finish(running, acknowledged: true)
        #expect(finished == .init(storeOffset: 1, pausesChanged: false))
        let opened = flow.observeBuffer(0)
        #expect(opened)
        let closedAgain = flow.observeBuffer(8)
        #expect(closedAgain)
        #expect(flow.desiredPaused == [partition2])
        flow.endRevoke([partition0, partition1])
        #expect(flow.desiredPaused == [partition2])
        #expect(flow.partitions == [partition2])
    }

    @Test("assigned again after a revoke, a partition starts afresh: unpaused until its first record, its old records stale")
    func assignAgainAfterRevoke() throws {
        var flow = control(partitionBufferLimit: 1)
        let first = flow.start(partition0, 7)
        _ = try #require(first)
        _ = flow.beginRevoke([partition0])
        flow.endRevoke([partition0])
        flow.assign([partition0], generation: 2)
        #expect(flow.desiredPaused.isEmpty)
        let stale = flow.admit(partition0, offset: 8, generation: 1, at: .now)
        #expect(stale == .stale, "fetched before the revoke")
        let redone = flow.start(partition0, 7, generation: 2)
        let again = try #require(redone, "the same offset again: a new assignment")
        #expect(flow.desiredPaused == [partition0], "full")
        let finished = flow.finish(again, acknowledged: true)
        #expect(finished.storeOffset == 8)

        _ = flow.beginRevoke([partition1])
        flow.endRevoke([partition1])
        let closed = flow.observeBuffer(9)
        #expect(closed)
        flow.assign([partition1], generation: 3)
        #expect(!flow.desiredPaused.contains(partition1), "the gate is closed, but it has no record yet")
        let fresh = flow.start(partition1, 0, generation: 3)
        _ = try #require(fresh)
        #expect(flow.desiredPaused.contains(partition1))
    }

    @Test("a finish from an older generation after the partition was assigned again changes nothing")
    func staleFinishIsIgnored() throws {
        var flow = control(partitionBufferLimit: 1)
        let r34 = flow.start(partition0, 3)
        let old = try #require(r34)
        _ = flow.beginRevoke([partition0])
        flow.endRevoke([partition0])
        flow.assign([partition0], generation: 2)
        let r35 = flow.start(partition0, 3, generation: 2)
        let current = try #require(r35)
        let r36 = flow.finish(old, acknowledged: true)
        #expect(r36 == .init())
        let r37 = flow.finish(old, acknowledged: false)
        #expect(r37 == .init(), "no stall either")
        #expect(flow.running(partition0) == 1)
        #expect(flow.desiredPaused == [partition0])
        let r38 = flow.finish(current, acknowledged: true)
        #expect(r38 == .init(storeOffset: 4, pausesChanged: true))
        let r39 = flow.finish(current, acknowledged: true)
        #expect(r39 == .init(), "finished twice: counted once")
    }

    @Test("a command abandoned outside a revoke stalls its partition: reported once, the offset stops before it, later records still run")
    func abandonedCommandStallsItsPartition() throws {
        var flow = control()
        let r40 = flow.start(partition0, 0)
        let first = try #require(r40)
        let r41 = flow.start(partition0, 1)
        let abandoned = try #require(r41)
        let r42 = flow.start(partition0, 2)
        let second = try #require(r42)
        let r43 = flow.finish(first, acknowledged: true)
        #expect(r43.storeOffset == 1)
        let stall = flow.finish(abandoned, acknowledged: false).stall
        #expect(stall == PartitionStall(partition: partition0, reason: .abandoned(offset: 1)))
        let r44 = flow.finish(second, acknowledged: true)
        #expect(r44.storeOffset == nil, "cannot pass the abandoned command")
        let r45 = flow.start(partition0, 3)
        let later = try #require(r45, "later records keep being processed")
        let r46 = flow.finish(later, acknowledged: false)
        #expect(r46.stall == nil, "reported once")
        #expect(flow.stalls(at: .now, limit: .seconds(300)) == [PartitionStall(partition: partition0, reason: .abandoned(offset: 1))])
        #expect(flow.desiredPaused.isEmpty, "abandoned commands do not keep the partition full")
        // A revoke clears it: the next owner gets the record again.
        _ = flow.beginRevoke([partition0])
        flow.endRevoke([partition0])
        #expect(flow.stalls(at: .now, limit: .seconds(300)).isEmpty)
    }

    @Test("a command abandoned during a revoke does not stall its partition")
    func abandonedDuringRevokeIsNotAStall() throws {
        var flow = control()
        let r47 = flow.start(partition0, 0)
        let id = try #require(r47)
        _ = flow.beginRevoke([partition0])
        let r48 = flow.finish(id, acknowledged: false)
        #expect(r48 == .init())
        #expect(flow.stalls(at: .now, limit: .seconds(300)).isEmpty)
    }

    @Test("a command running past the stuck limit stalls its partition: reported once, and again only after it cleared")
    func stuckCommandIsReportedOnce() throws {
        var flow = control()
        let admitted = ContinuousClock.now
        guard case .start(let id, _) = flow.admit(partition1, offset: 9, generation: 1, at: admitted) else {
            Issue.record("not started")
            return
        }
        let later = admitted.advanced(by: .seconds(301))
        let r49 = flow.newlyStuck(at: admitted.advanced(by: .seconds(299)), limit: .seconds(300))
        #expect(r49.isEmpty)
        let stuck = PartitionStall(partition: partition1, reason: .stuck(offset: 9, runningFor: .seconds(301)))
        let r50 = flow.newlyStuck(at: later, limit: .seconds(300))
        #expect(r50 == [stuck])
        let r51 = flow.newlyStuck(at: later, limit: .seconds(300))
        #expect(r51.isEmpty, "reported once")
        #expect(flow.stalls(at: later, limit: .seconds(300)) == [stuck])
        #expect(flow.oldestRunning(at: later) == .seconds(301))
        _ = flow.finish(id, acknowledged: true)
        #expect(flow.stalls(at: later, limit: .seconds(300)).isEmpty)
        let r52 = flow.newlyStuck(at: later, limit: .seconds(300))
        #expect(r52.isEmpty)
        guard case .start = flow.admit(partition1, offset: 10, generation: 1, at: admitted) else { return }
        let r53 = flow.newlyStuck(at: later, limit: .seconds(300))
        #expect(r53.count == 1, "a new episode is reported again")
    }
}
