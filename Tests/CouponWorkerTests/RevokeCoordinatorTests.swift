@testable import CouponWorker
import Kafka
import Synchronization
import Testing

/// Revokes fence the revoked partitions' commands: `partitionsRevoked` returns only after
/// their tasks stopped. Tasks here end only when the test lets them (explicit events), never
/// after a sleep; the grace is short because the tests want it to run out.
@Suite("Revokes wait for their commands", .timeLimit(.minutes(1)))
struct RevokeCoordinatorTests {
    struct Fixture {
        let flows = PartitionFlows(partitionBufferLimit: 8, gate: FetchGate(closeAt: 16, openAt: 4))
        let applier: PauseApplier
        let revokes: RevokeCoordinator

        init(grace: Duration) {
            let flows = self.flows
            applier = PauseApplier(
                pauser: RecordingPauser(), desired: { flows.desiredPaused }, metrics: WorkerMetrics(), logger: quietLogger())
            revokes = RevokeCoordinator(flows: flows, applier: applier, grace: grace, clock: AssignmentClock(metrics: WorkerMetrics()), logger: quietLogger())
        }

        func message(_ partition: KafkaTopicPartition, offset: Int64, generation: UInt64 = 1) -> KafkaConsumerMessage {
            KafkaConsumerMessage(
                topic: partition.topic, partition: partition.partition, offset: offset, key: nil, value: [],
                assignmentGeneration: generation)
        }
    }

    /// Suspends until the current task is cancelled.
    static func untilCancelled() async {
        let cancelled = OneShot()
        await withTaskCancellationHandler {
            await cancelled.wait()
        } onCancel: {
            cancelled.fire()
        }
    }

    @Test("a command that outlives the grace is cancelled, and the revoke returns only after its task finished")
    func revokeWaitsForACancelledCommand() async throws {
        let fixture = Fixture(grace: .milliseconds(20))
        await fixture.revokes.assignmentCompleted([partition0], generation: 1)
        let progressed = OneShot()  // the command saw its cancellation, or the revoke returned
        let mayEnd = OneShot()
        let log = EventLog()
        let command = Mutex<Task<Void, Never>?>(nil)
        let admission = fixture.flows.admit(fixture.message(partition0, offset: 0), at: .now) { id in
            let task = Task {
                await Self.untilCancelled()
                log.append("command saw cancellation")
                progressed.fire()
                await mayEnd.wait()  // storing an outcome that already reached a provider, say
                _ = fixture.flows.finish(id, acknowledged: false) { _, _ in }
                log.append("task finished")
            }
            command.withLock { $0 = task }
            return task
        }
        guard case .start = admission else { throw Failure("not admitted") }
        let revoke = Task {
            await fixture.revokes.partitionsRevoked([partition0])
            log.append("revoke returned")
            progressed.fire()
        }
        await progressed.wait()
        // The command is held: the revoke cannot return now. Look for it returning anyway for
        // half a second (this bounds how long a failure is looked for; a correct revoke never
        // returns here, however slow the machine).
        let returnedEarly = await finished(revoke, within: .milliseconds(500)) != nil
        #expect(!returnedEarly, "the revoke returned while its cancelled command was still running")
        #expect(log.entries == ["command saw cancellation"], "the grace is over and the revoke still waits")
        command.withLock { $0 }?.cancel()  // in case the revoke did not
        mayEnd.fire()
        await revoke.value
        #expect(log.entries == ["command saw cancellation", "task finished", "revoke returned"])
        #expect(fixture.flows.partitions.isEmpty)
        #expect(fixture.flows.trackedTasks == 0)
    }

    @Test("a task admitted just before the revoke (not even started yet) is tracked, cancelled at the grace and waited for")
    func revokeWaitsForATaskAdmittedJustBefore() async throws {
        let fixture = Fixture(grace: .milliseconds(20))
        await fixture.revokes.assignmentCompleted([partition0, partition1], generation: 1)
        let log = EventLog()
        let task = Mutex<Task<Void, Never>?>(nil)
        _ = fixture.flows.admit(fixture.message(partition1, offset: 4), at: .now) { id in
            let created = Task {
                await Self.untilCancelled()
                _ = fixture.flows.finish(id, acknowledged: false) { _, _ in }
                log.append("task finished")
            }
            task.withLock { $0 = created }
            return created
        }
        await fixture.revokes.partitionsRevoked([partition0, partition1])
        log.append("revoke returned")
        #expect(log.entries == ["task finished", "revoke returned"])
        // Had the revoke not tracked it, the task would still wait: end it so the test ends.
        task.withLock { $0 }?.cancel()
        await task.withLock { $0 }?.value
    }

    @Test("records read after a revoke began are not admitted, and commands that finish within the grace are not cancelled")
    func revokeStopsAdmissionAndWaitsWithinGrace() async throws {
        let fixture = Fixture(grace: .seconds(30))
        await fixture.revokes.assignmentCompleted([partition0], generation: 1)
        let mayEnd = OneShot()
        let log = EventLog()
        _ = fixture.flows.admit(fixture.message(partition0, offset: 0), at: .now) { id in
            Task {
                await mayEnd.wait()
                log.append(Task.isCancelled ? "cancelled" : "finished in time")
                _ = fixture.flows.finish(id, acknowledged: true) { _, _ in }
            }
        }
        let tasks = fixture.flows.beginRevoke([partition0])
        #expect(tasks.count == 1)
        let late = fixture.flows.admit(fixture.message(partition0, offset: 1), at: .now) { _ in
            Issue.record("no task may start for a revoking partition")
            return Task {}
        }
        #expect(late == .stale)
        mayEnd.fire()
        await fixture.revokes.partitionsRevoked([partition0])
        #expect(log.entries == ["finished in time"])
    }
}

struct Failure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
