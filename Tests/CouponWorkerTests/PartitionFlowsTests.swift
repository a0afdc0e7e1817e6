@testable import CouponWorker
import Kafka
import Synchronization
import Testing

/// `PartitionFlows`: flow control plus the tasks of the commands, behind one lock. What it adds
/// to `FlowControl` (tested on its own) is tested here: a task exists exactly for an admitted
/// command, a revoke gets all of a partition's tasks, offsets reach `storeOffset` in prefix
/// order, and nothing of an older generation moves a newer one. Tasks here do nothing; the test
/// says when each command finishes.
@Suite("Partition flows")
struct PartitionFlowsTests {
    /// The offsets handed to `storeOffset`, in the order they were stored.
    final class StoredOffsets: Sendable {
        private let stored = Mutex<[String]>([])
        func store(_ partition: KafkaTopicPartition, _ next: Int64) { stored.withLock { $0.append("\(partition.partition):\(next)") } }
        var entries: [String] { stored.withLock { $0 } }
    }

    let flows = PartitionFlows(partitionBufferLimit: 8, gate: FetchGate(closeAt: 16, openAt: 4))
    let offsets = StoredOffsets()

    /// Admits a record with a task that does nothing; returns the command's id and its task.
    func start(
        _ partition: KafkaTopicPartition, _ offset: Int64, generation: UInt64 = 1,
        sourceLocation: SourceLocation = #_sourceLocation
    ) -> (id: PartitionFlows.CommandID, task: Task<Void, Never>)? {
        let created = Mutex<Task<Void, Never>?>(nil)
        let admission = flows.admit(.record(partition, offset: offset, generation: generation), at: .now) { _ in
            let task = Task<Void, Never> {}
            created.withLock { $0 = task }
            return task
        }
        guard case .start(let id, _) = admission, let task = created.withLock({ $0 }) else {
            Issue.record("\(partition) offset \(offset) was not started: \(admission)", sourceLocation: sourceLocation)
            return nil
        }
        return (id, task)
    }

    func finish(_ id: PartitionFlows.CommandID, acknowledged: Bool = true) -> FlowControl.Completion {
        flows.finish(id, acknowledged: acknowledged, storeOffset: offsets.store)
    }

    @Test("a task is created for every admitted record and tracked until its command finishes; a dropped record gets none")
    func tasksAreTrackedFromAdmissionToFinish() throws {
        flows.assign([partition0], generation: 1)
        let first = try #require(start(partition0, 0))
        #expect(flows.trackedTasks == 1)
        #expect(flows.running(partition0) == 1)
        let stale = flows.admit(.record(partition0, offset: 1, generation: 0), at: .now) { _ in
            Issue.record("a task was created for a record of another generation")
            return Task {}
        }
        #expect(stale == .stale)
        let unassigned = flows.admit(.record(partition1, offset: 0), at: .now) { _ in
            Issue.record("a task was created for a record of a partition that is not assigned")
            return Task {}
        }
        #expect(unassigned == .stale)
        let again = flows.admit(.record(partition0, offset: 0), at: .now) { _ in
            Issue.record("a task was created twice for one offset")
            return Task {}
        }
        #expect(again == .redelivered)
        #expect(flows.trackedTasks == 1)
        _ = finish(first.id)
        #expect(flows.trackedTasks == 0)
        #expect(flows.running(partition0) == 0)
    }

    @Test("offsets reach storeOffset only when the acknowledged prefix grows, in prefix order")
    func offsetsAreStoredInPrefixOrder() throws {
        flows.assign([partition0, partition1], generation: 1)
        let a = try #require(start(partition0, 10))
        let b = try #require(start(partition0, 11))
        let c = try #require(start(partition0, 12))
        let other = try #require(start(partition1, 3))
        #expect(finish(b.id).storeOffset == nil, "10 still runs")
        #expect(offsets.entries.isEmpty)
        #expect(finish(a.id).storeOffset == 12)
        #expect(finish(other.id).storeOffset == 4)
        #expect(finish(c.id).storeOffset == 13)
        #expect(offsets.entries == ["0:12", "1:4", "0:13"])
        #expect(finish(c.id).storeOffset == nil, "a finish counted twice stores nothing")
        #expect(offsets.entries.count == 3)
    }

    @Test("a revoke gets exactly the tasks of its partitions, admits nothing more of them, and forgets them at its end")
    func revokeGetsAllTasksOfItsPartitions() throws {
        flows.assign([partition0, partition1], generation: 1)
        let revoked1 = try #require(start(partition0, 0))
        let revoked2 = try #require(start(partition0, 1))
        let kept = try #require(start(partition1, 0))
        let tasks = flows.beginRevoke([partition0])
        #expect(Set(tasks) == [revoked1.task, revoked2.task])
        let late = flows.admit(.record(partition0, offset: 2), at: .now) { _ in
            Issue.record("a task was created for a revoking partition")
            return Task {}
        }
        #expect(late == .stale)
        #expect(try #require(start(partition1, 1)).id.offset == 1, "the other partition still admits")
        // The revoke's commands stop (cancelled: not acknowledged) before it ends.
        #expect(finish(revoked1.id, acknowledged: false).stall == nil, "abandoned by a revoke: not a stall")
        #expect(finish(revoked2.id).storeOffset == nil, "the prefix cannot pass the abandoned command")
        flows.endRevoke([partition0])
        #expect(flows.partitions == [partition1])
        #expect(flows.stalls(at: .now, limit: .seconds(300)).isEmpty)
        #expect(offsets.entries.isEmpty)
        _ = finish(kept.id)
        #expect(offsets.entries == ["1:1"])
    }

    @Test("a command abandoned outside a revoke stalls its partition once; later commands run but the offset stays before it")
    func abandonmentOutsideARevokeStalls() throws {
        flows.assign([partition0], generation: 1)
        let abandoned = try #require(start(partition0, 0))
        let later = try #require(start(partition0, 1))
        let completion = finish(abandoned.id, acknowledged: false)
        #expect(completion.stall == PartitionStall(partition: partition0, reason: .abandoned(offset: 0)))
        #expect(completion.storeOffset == nil)
        let next = try #require(start(partition0, 2), "later records are still admitted")
        #expect(finish(later.id).stall == nil, "reported once")
        #expect(finish(next.id).storeOffset == nil)
        #expect(offsets.entries.isEmpty, "no offset passes the abandoned command")
        #expect(flows.stalls(at: .now, limit: .seconds(300)) == [PartitionStall(partition: partition0, reason: .abandoned(offset: 0))])
    }

    @Test("assigned again under a new generation, a partition ignores the old generation's records and finishes")
    func staleGenerationsChangeNothing() throws {
        flows.assign([partition0], generation: 1)
        let old = try #require(start(partition0, 5))
        // A re-assign whose revoke was not heard: the partition starts over.
        flows.assign([partition0], generation: 2)
        let stale = flows.admit(.record(partition0, offset: 6, generation: 1), at: .now) { _ in
            Issue.record("a task was created for a record fetched under the old generation")
            return Task {}
        }
        #expect(stale == .stale)
        let current = try #require(start(partition0, 5, generation: 2), "the same offset, handed out again, runs again")
        let oldCompletion = finish(old.id)
        #expect(oldCompletion.storeOffset == nil)
        #expect(oldCompletion.stall == nil)
        #expect(offsets.entries.isEmpty, "a finish of the old generation stores nothing")
        #expect(flows.running(partition0) == 1, "and leaves the new generation's command running")
        #expect(finish(current.id).storeOffset == 6)
        #expect(offsets.entries == ["0:6"])
        #expect(flows.trackedTasks == 0)
    }
}
