import Kafka
import Synchronization

/// The worker's `FlowControl` and the tasks of its commands, behind one lock.
///
/// It performs, under the lock, the two things whose order matters:
/// - Admission and task creation are one step: `admit` creates the command's task while it
///   holds the lock, so a revoke (which takes the lock to stop admission and collect the
///   tasks) either sees the task or stopped its admission. No command ever runs untracked.
/// - An offset is stored under the lock, in the order the partition's prefix grew, and before
///   the command counts as finished: stored offsets never move backwards, and the final
///   commit of a revoke that waited for the tasks includes them.
///
/// The rest of what `FlowControl` returns (applying pauses, logs, metrics) the caller does
/// after the lock is released; pauses through `PauseApplier`, which reads `desiredPaused`.
final class PartitionFlows: Sendable {
    typealias CommandID = FlowControl.CommandID

    private struct State {
        var control: FlowControl
        /// The task of every admitted command until its command finished.
        var tasks: [CommandID: Task<Void, Never>] = [:]
    }

    private let state: Mutex<State>

    init(partitionBufferLimit: Int, gate: FetchGate) {
        state = Mutex(State(control: FlowControl(partitionBufferLimit: partitionBufferLimit, gate: gate)))
    }

    /// Admits `message` if its partition takes it, and then creates its task with `start`
    /// before anyone else can look: `start` runs under the lock (keep it to creating the task),
    /// and the task must call `finish` with the id it was given.
    func admit(
        _ message: KafkaConsumerMessage, at now: ContinuousClock.Instant, start: (CommandID) -> Task<Void, Never>
    ) -> FlowControl.Admission {
        state.withLock { state in
            let admission = state.control.admit(
                message.topicPartition, offset: message.offset, generation: message.assignmentGeneration, at: now)
            if case .start(let id, _) = admission {
                state.tasks[id] = start(id)
            }
            return admission
        }
    }

    /// The command `id` finished (see `FlowControl.finish`). When its partition's prefix grew,
    /// `storeOffset` is called with the next offset, under the lock.
    func finish(
        _ id: CommandID, acknowledged: Bool, storeOffset: (KafkaTopicPartition, Int64) -> Void
    ) -> FlowControl.Completion {
        state.withLock { state in
            state.tasks[id] = nil
            let completion = state.control.finish(id, acknowledged: acknowledged)
            if let next = completion.storeOffset {
                storeOffset(id.partition, next)
            }
            return completion
        }
    }

    /// See `FlowControl.assign`.
    func assign(_ partitions: [KafkaTopicPartition], generation: UInt64) {
        state.withLock { $0.control.assign(partitions, generation: generation) }
    }

    /// Stops admitting records of `partitions` and returns the tasks of all their commands
    /// still running: from here on no task of theirs can start, so these are all of them.
    func beginRevoke(_ partitions: [KafkaTopicPartition]) -> [Task<Void, Never>] {
        let revoked = Set(partitions)
        return state.withLock { state in
            _ = state.control.beginRevoke(partitions)
            return state.tasks.filter { revoked.contains($0.key.partition) }.map(\.value)
        }
    }

    /// Forgets `partitions` once their tasks have stopped.
    func endRevoke(_ partitions: [KafkaTopicPartition]) {
        state.withLock { $0.control.endRevoke(partitions) }
    }

    /// See `FlowControl.observeBuffer`.
    func observeBuffer(_ buffered: Int) -> Bool {
        state.withLock { $0.control.observeBuffer(buffered) }
    }

    /// See `FlowControl.newlyStuck`.
    func newlyStuck(at now: ContinuousClock.Instant, limit: Duration) -> [PartitionStall] {
        state.withLock { $0.control.newlyStuck(at: now, limit: limit) }
    }

    /// The partitions librdkafka should have paused now.
    var desiredPaused: Set<KafkaTopicPartition> { state.withLock { $0.control.desiredPaused } }

    /// Every partition known: assigned, or being revoked.
    var partitions: [KafkaTopicPartition] { state.withLock { $0.control.partitions } }

    /// Commands admitted and not finished in `partition`.
    func running(_ partition: KafkaTopicPartition) -> Int { state.withLock { $0.control.running(partition) } }

    /// Tasks of commands not finished, across all partitions.
    var trackedTasks: Int { state.withLock { $0.tasks.count } }

    /// See `FlowControl.stalls`.
    func stalls(at now: ContinuousClock.Instant, limit: Duration) -> [PartitionStall] {
        state.withLock { $0.control.stalls(at: now, limit: limit) }
    }

    /// See `FlowControl.oldestRunning`.
    func oldestRunning(at now: ContinuousClock.Instant) -> Duration? {
        state.withLock { $0.control.oldestRunning(at: now) }
    }
}
