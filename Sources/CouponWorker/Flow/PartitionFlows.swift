import Kafka
import Synchronization

/// The commands in flight per assigned partition: their offsets, their tasks, and whether
/// the partition is paused for backpressure.
///
/// Invariant: the offset stored for a partition is the end of its contiguous completed
/// prefix, and only ever moved after a command's result was acknowledged by Kafka.
/// A message is accepted only while its partition is assigned under the message's own
/// assignment generation, so nothing fetched before a revoke is processed after it.
final class PartitionFlows: Sendable {
    struct Flow {
        var generation: UInt64
        var tracker = OffsetTracker()
        var tasks: [Int64: Task<Void, Never>] = [:]
        /// When each running command was admitted, for the stuck-command watchdog.
        var admitted: [Int64: ContinuousClock.Instant] = [:]
        /// Offsets whose task finished before `attach` saw it.
        var finishedBeforeAttach: Set<Int64> = []
        var paused = false
        var revoking = false
        var drainWaiters: [CheckedContinuation<Void, Never>] = []
    }

    private struct State {
        var flows: [KafkaTopicPartition: Flow] = [:]
        /// The last generation of each partition whose revoke completed: older messages are stale.
        var retired: [KafkaTopicPartition: UInt64] = [:]
    }

    private let state = Mutex(State())
    /// Pause a partition when this many of its commands are in flight; resume at half.
    let partitionBufferLimit: Int

    init(partitionBufferLimit: Int) {
        self.partitionBufferLimit = max(1, partitionBufferLimit)
    }

    /// What the consuming loop should do with a message it just read.
    enum Admission {
        case start(pause: Bool)
        case drop
        /// An offset this assignment already admitted, delivered again: dropped too.
        case redelivered
    }

    /// Registers `message` as in flight, if its partition is assigned under its generation.
    func admit(_ message: KafkaConsumerMessage) -> Admission {
        state.withLock { state in
            let tp = message.topicPartition
            if let retired = state.retired[tp], message.assignmentGeneration <= retired { return .drop }
            var flow = state.flows[tp] ?? Flow(generation: message.assignmentGeneration)
            if message.assignmentGeneration > flow.generation {
                // A newer assignment of this partition: whatever was tracked before was revoked and drained.
                flow = Flow(generation: message.assignmentGeneration)
            }
            guard message.assignmentGeneration == flow.generation, !flow.revoking else { return .drop }
            guard flow.tracker.begin(message.offset) else { return .redelivered }
            flow.admitted[message.offset] = .now
            var pause = false
            if !flow.paused && flow.tracker.inFlight >= partitionBufferLimit {
                flow.paused = true
                pause = true
            }
            state.flows[tp] = flow
            return .start(pause: pause)
        }
    }

    /// Remembers the task running the command at `offset`.
    func attach(_ task: Task<Void, Never>, to tp: KafkaTopicPartition, offset: Int64, generation: UInt64) {
        state.withLock { state in
            guard state.flows[tp]?.generation == generation else { return }
            if state.flows[tp]?.finishedBeforeAttach.remove(offset) != nil { return }
            state.flows[tp]?.tasks[offset] = task
        }
    }

    /// What finishing a command changes for its partition.
    struct Completion {
        var storeOffset: Int64?
        var resume: Bool
    }

    /// Marks the command at `offset` done (its result acknowledged, or it was abandoned when
    /// `acknowledged` is false: then its offset must not move past it).
    func finish(_ tp: KafkaTopicPartition, offset: Int64, generation: UInt64, acknowledged: Bool) -> Completion {
        var waiters: [CheckedContinuation<Void, Never>] = []
        let completion = state.withLock { state -> Completion in
            guard var flow = state.flows[tp], flow.generation == generation else { return Completion(storeOffset: nil, resume: false) }
            if flow.tasks.removeValue(forKey: offset) == nil { flow.finishedBeforeAttach.insert(offset) }
            flow.admitted[offset] = nil
            var stored: Int64?
            if acknowledged {
                stored = flow.tracker.complete(offset)
            } else {
                // Abandoned: the partition is being revoked; keep the prefix from passing it.
                flow.revoking = true
            }
            var resume = false
            if flow.paused && !flow.revoking && flow.tracker.inFlight <= partitionBufferLimit / 2 {
                flow.paused = false
                resume = true
            }
            if flow.tasks.isEmpty {
                waiters = flow.drainWaiters
                flow.drainWaiters = []
            }
            state.flows[tp] = flow
            return Completion(storeOffset: stored, resume: resume)
        }
        for waiter in waiters { waiter.resume() }
        return completion
    }

    /// Stops admitting messages of `partitions` and returns their running tasks.
    func beginRevoke(_ partitions: [KafkaTopicPartition]) -> [Task<Void, Never>] {
        state.withLock { state in
            var tasks: [Task<Void, Never>] = []
            for tp in partitions {
                state.flows[tp]?.revoking = true
                tasks.append(contentsOf: state.flows[tp]?.tasks.values.map { $0 } ?? [])
            }
            return tasks
        }
    }

    /// Waits until `tp` has no running task.
    func waitDrained(_ tp: KafkaTopicPartition) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let done = state.withLock { state -> Bool in
                guard let flow = state.flows[tp], !flow.tasks.isEmpty else { return true }
                state.flows[tp]!.drainWaiters.append(continuation)
                return false
            }
            if done { continuation.resume() }
        }
    }

    /// Forgets `partitions` after their revoke completed.
    func endRevoke(_ partitions: [KafkaTopicPartition]) {
        state.withLock { state in
            for tp in partitions {
                if let flow = state.flows.removeValue(forKey: tp) { state.retired[tp] = flow.generation }
            }
        }
    }

    /// All tasks still running.
    func allTasks() -> [Task<Void, Never>] {
        state.withLock { $0.flows.values.flatMap { $0.tasks.values } }
    }

    /// How long the longest-running command has been running, if any runs.
    var oldestRunning: Duration? {
        let now = ContinuousClock.now
        return state.withLock { state in
            state.flows.values.flatMap(\.admitted.values).min().map { $0.duration(to: now) }
        }
    }

    /// Partitions currently tracked.
    var partitions: [KafkaTopicPartition] { state.withLock { Array($0.flows.keys) } }

    /// Partitions paused for backpressure.
    var pausedPartitions: [KafkaTopicPartition] { state.withLock { $0.flows.filter { $0.value.paused }.map(\.key) } }
}
