@testable import CouponWorker
import Kafka
import Synchronization
import TestSupport
import Testing

/// Revokes fence the revoked partitions' commands: `partitionsRevoked` returns only after
/// their tasks stopped. Nothing here waits on time: tasks end only when the test lets them
/// (explicit events), and the grace runs on a manual clock that only the test moves.
@Suite("Revokes wait for their commands", .timeLimit(.minutes(1)))
struct RevokeCoordinatorTests {
    static let grace: Duration = .seconds(10)

    struct Fixture {
        let flows = PartitionFlows(partitionBufferLimit: 8, gate: FetchGate(closeAt: 16, openAt: 4))
        let graceClock = ManualClock()
        let applier: PauseApplier
        let revokes: RevokeCoordinator

        init() {
            let flows = self.flows
            applier = PauseApplier(
                pauser: RecordingPauser(), desired: { flows.desiredPaused }, metrics: WorkerMetrics(), logger: quietLogger())
            revokes = RevokeCoordinator(
                flows: flows, applier: applier, grace: RevokeCoordinatorTests.grace,
                clock: AssignmentClock(metrics: WorkerMetrics()), logger: quietLogger(), graceClock: graceClock)
        }

        /// Waits until the revoke's grace is running on the clock, and checks it is the grace.
        func graceStarted() async throws {
            try await expectEvent("the revoke's grace to start") { await graceClock.sleeps(1) }
            #expect(graceClock.pendingSleeps == [RevokeCoordinatorTests.grace])
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

    @Test("a command that outlives the grace is cancelled when the grace runs out, not before, and the revoke returns only after its task finished")
    func revokeWaitsForACancelledCommand() async throws {
        let fixture = Fixture()
        await fixture.revokes.assignmentCompleted([partition0], generation: 1)
        let sawCancellation = OneShot()
        let mayEnd = OneShot()
        let log = EventLog()
        let command = Mutex<Task<Void, Never>?>(nil)
        let admission = fixture.flows.admit(.record(partition0, offset: 0), at: .now) { id in
            let task = Task {
                await Self.untilCancelled()
                log.append("command saw cancellation")
                sawCancellation.fire()
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
        }
        try await fixture.graceStarted()
        fixture.graceClock.advance(by: Self.grace - .milliseconds(1))
        #expect(log.entries.isEmpty, "nothing is cancelled before the grace is over")
        fixture.graceClock.advance(by: .milliseconds(1))
        try await expectEvent("the command's cancellation at the end of the grace") { await sawCancellation.wait() }
        // The command is held: the revoke cannot return now. Look for it returning anyway for
        // half a second (this bounds how long a failure is looked for; a correct revoke never
        // returns here, however slow the machine).
        let returnedEarly = await finished(revoke, within: .milliseconds(500)) != nil
        #expect(!returnedEarly, "the revoke returned while its cancelled command was still running")
        #expect(log.entries == ["command saw cancellation"], "the grace is over and the revoke still waits")
        mayEnd.fire()
        await revoke.value
        #expect(log.entries == ["command saw cancellation", "task finished", "revoke returned"])
        #expect(fixture.flows.partitions.isEmpty)
        #expect(fixture.flows.trackedTasks == 0)
        command.withLock { $0 }?.cancel()
    }

    @Test("a task admitted just before the revoke (not even started yet) is tracked, cancelled at the grace and waited for")
    func revokeWaitsForATaskAdmittedJustBefore() async throws {
        let fixture = Fixture()
        await fixture.revokes.assignmentCompleted([partition0, partition1], generation: 1)
        let log = EventLog()
        let task = Mutex<Task<Void, Never>?>(nil)
        _ = fixture.flows.admit(.record(partition1, offset: 4), at: .now) { id in
            let created = Task {
                await Self.untilCancelled()
                _ = fixture.flows.finish(id, acknowledged: false) { _, _ in }
                log.append("task finished")
            }
            task.withLock { $0 = created }
            return created
        }
        let revoke = Task {
            await fixture.revokes.partitionsRevoked([partition0, partition1])
            log.append("revoke returned")
        }
        try await fixture.graceStarted()
        fixture.graceClock.advance(by: Self.grace)
        guard await finished(revoke, within: .seconds(60)) != nil else {
            // Had the revoke not tracked it, nobody cancelled the task: end it so the test ends.
            task.withLock { $0 }?.cancel()
            throw Failure("the revoke never returned: it did not cancel the task it should have tracked")
        }
        #expect(log.entries == ["task finished", "revoke returned"])
    }

    @Test("records read after a revoke began are not admitted, and commands that finish within the grace are not cancelled")
    func revokeStopsAdmissionAndWaitsWithinGrace() async throws {
        let fixture = Fixture()
        await fixture.revokes.assignmentCompleted([partition0], generation: 1)
        let mayEnd = OneShot()
        let log = EventLog()
        _ = fixture.flows.admit(.record(partition0, offset: 0), at: .now) { id in
            Task {
                await mayEnd.wait()
                log.append(Task.isCancelled ? "cancelled" : "finished in time")
                _ = fixture.flows.finish(id, acknowledged: true) { _, _ in }
            }
        }
        let revoke = Task { await fixture.revokes.partitionsRevoked([partition0]) }
        try await fixture.graceStarted()
        let late = fixture.flows.admit(.record(partition0, offset: 1), at: .now) { _ in
            Issue.record("no task may start for a revoking partition")
            return Task {}
        }
        #expect(late == .stale)
        mayEnd.fire()  // within the grace: the clock never moves in this test
        await revoke.value
        #expect(log.entries == ["finished in time"])
        #expect(fixture.graceClock.pendingSleeps.isEmpty, "the grace timer was stopped when the commands won")
    }

    @Test("a revoke without running commands returns at once, starts no grace, and forgets its partitions")
    func revokeWithoutCommandsDoesNotWait() async throws {
        let fixture = Fixture()
        await fixture.revokes.assignmentCompleted([partition0, partition1], generation: 1)
        let admission = fixture.flows.admit(.record(partition0, offset: 0), at: .now) { _ in Task {} }
        guard case .start(let done, _) = admission else { throw Failure("not admitted") }
        _ = fixture.flows.finish(done, acknowledged: true) { _, _ in }
        await fixture.revokes.partitionsRevoked([partition0])
        #expect(fixture.graceClock.pendingSleeps.isEmpty)
        #expect(fixture.flows.partitions == [partition1])
    }

    @Test("a command cancelled by a revoke is abandoned without a stall, and no offset is stored past it")
    func revokedCommandIsAbandonedWithoutAStall() async throws {
        let fixture = Fixture()
        await fixture.revokes.assignmentCompleted([partition0], generation: 1)
        let log = EventLog()
        let firstDone = OneShot()
        for offset: Int64 in [0, 1] {
            _ = fixture.flows.admit(.record(partition0, offset: offset), at: .now) { id in
                Task {
                    if offset == 0 { await Self.untilCancelled() }
                    let completion = fixture.flows.finish(id, acknowledged: offset != 0) { _, next in
                        log.append("stored \(next)")
                    }
                    if let stall = completion.stall { log.append("stalled: \(stall)") }
                    log.append("\(offset) finished")
                    if offset == 1 { firstDone.fire() }
                }
            }
        }
        try await expectEvent("the later command to finish") { await firstDone.wait() }
        let revoke = Task { await fixture.revokes.partitionsRevoked([partition0]) }
        try await fixture.graceStarted()
        fixture.graceClock.advance(by: Self.grace)
        await revoke.value
        // No stall (a revoke's abandonment is none), and no offset stored: offset 1 finished,
        // but offset 0 before it was abandoned.
        #expect(log.entries == ["1 finished", "0 finished"])
        #expect(fixture.flows.stalls(at: .now, limit: .seconds(300)).isEmpty)
    }
}

struct Failure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
