@testable import CouponWorker
import Kafka
import Logging
import Synchronization
import Testing

/// The desired paused set, set by hand.
final class DesiredPauses: Sendable {
    private let value = Mutex<Set<KafkaTopicPartition>>([])
    func set(_ partitions: Set<KafkaTopicPartition>) { value.withLock { $0 = partitions } }
    var current: Set<KafkaTopicPartition> { value.withLock { $0 } }
}

func quietLogger() -> Logger {
    var logger = Logger(label: "flow-tests")
    logger.logLevel = .critical
    return logger
}

@Suite("Pause applier", .timeLimit(.minutes(1)))
struct PauseApplierTests {
    @Test("the applier pauses and resumes toward the desired set, resumes only what it paused, and does nothing when in step")
    func appliesTheDesiredSet() async {
        let desired = DesiredPauses()
        let pauser = RecordingPauser()
        let applier = PauseApplier(pauser: pauser, desired: { desired.current }, metrics: WorkerMetrics(), logger: quietLogger())
        desired.set([partition0, partition1])
        await applier.apply()
        desired.set([partition1, partition2])
        await applier.apply()
        await applier.apply()
        desired.set([])
        await applier.apply()
        #expect(pauser.calls == [
            .pause([partition0, partition1]),
            .resume([partition0]), .pause([partition2]),
            .resume([partition1, partition2]),
        ])
        #expect(await applier.ledger.isEmpty)
        #expect(applier.pausedCount == 0)
        #expect(pauser.violations.isEmpty)
    }

    @Test("many concurrent appliers racing with changes of the desired set never resume an unpaused partition, and end in step")
    func concurrentAppliesStayInStep() async {
        let desired = DesiredPauses()
        let pauser = RecordingPauser()
        let applier = PauseApplier(pauser: pauser, desired: { desired.current }, metrics: WorkerMetrics(), logger: quietLogger())
        let all = (0..<6).map { KafkaTopicPartition(topic: "t", partition: Int32($0)) }
        var random = SeededGenerator(seed: 7)
        let changes = (0..<200).map { _ in Set(all.filter { _ in Bool.random(using: &random) }) }
        await withTaskGroup(of: Void.self) { group in
            for change in changes {
                group.addTask {
                    desired.set(change)
                    await applier.apply()
                }
            }
        }
        await applier.apply()
        #expect(await applier.ledger == desired.current)
        #expect(pauser.paused == desired.current)
        #expect(pauser.violations.isEmpty)
    }

    @Test("revoked while paused: resumed once during the revoke, then forgotten and never touched again; assigned again it starts unpaused")
    func revokeWhilePausedReleasesAndForgets() async throws {
        // The pauser keeps a pause across revokes like librdkafka 2.0.2 does.
        let pauser = RecordingPauser()
        let flows = PartitionFlows(partitionBufferLimit: 4, gate: FetchGate(closeAt: 8, openAt: 2))
        let applier = PauseApplier(pauser: pauser, desired: { flows.desiredPaused }, metrics: WorkerMetrics(), logger: quietLogger())
        let revokes = RevokeCoordinator(flows: flows, applier: applier, grace: .seconds(30), clock: AssignmentClock(metrics: WorkerMetrics()), logger: quietLogger())
        await revokes.assignmentCompleted([partition0, partition1], generation: 1)
        var commands: [FlowControl.CommandID] = []
        for partition in [partition0, partition1] {
            let message = KafkaConsumerMessage.record(partition, offset: 0)
            if case .start(let id, _) = flows.admit(message, at: .now, start: { _ in Task {} }) { commands.append(id) }
        }
        #expect(flows.observeBuffer(9))
        await applier.apply()
        #expect(pauser.paused == [partition0, partition1])

        await revokes.partitionsRevoked([partition0])
        #expect(pauser.calls.last == .resume([partition0]), "released while the revoke ran")
        #expect(await applier.ledger == [partition1])
        let afterRevoke = pauser.calls.count
        for id in commands { _ = flows.finish(id, acknowledged: true) { _, _ in } }
        #expect(flows.observeBuffer(0))
        await applier.apply()
        #expect(flows.observeBuffer(9))
        await applier.apply()
        #expect(!pauser.touched(since: afterRevoke).contains(partition0), "nothing applied to a revoked partition")

        #expect(flows.observeBuffer(0))
        await applier.apply()
        await revokes.assignmentCompleted([partition0], generation: 2)
        await applier.apply()
        #expect(!pauser.paused.contains(partition0), "assigned again, it fetches")
        #expect(await applier.ledger == flows.desiredPaused)
        #expect(pauser.violations.isEmpty)
    }
}
