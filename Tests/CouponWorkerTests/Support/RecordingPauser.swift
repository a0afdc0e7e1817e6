@testable import CouponWorker
import Kafka
import Synchronization

/// A `PartitionPauser` that records every call, keeps its own account of what is paused
/// (like librdkafka 2.0.2: a pause lasts until a resume, whatever the assignment does), and
/// notes every resume of a partition that was not paused. Forwards to `inner` if given.
final class RecordingPauser: PartitionPauser {
    enum Call: Sendable, Hashable {
        case pause([KafkaTopicPartition])
        case resume([KafkaTopicPartition])
    }

    private struct State {
        var calls: [Call] = []
        var paused: Set<KafkaTopicPartition> = []
        var violations: [String] = []
    }

    private let state = Mutex(State())
    private let inner: (any PartitionPauser)?

    init(inner: (any PartitionPauser)? = nil) {
        self.inner = inner
    }

    func pause(_ partitions: [KafkaTopicPartition]) throws(KafkaError) {
        state.withLock { state in
            state.calls.append(.pause(partitions))
            state.paused.formUnion(partitions)
        }
        try inner?.pause(partitions)
    }

    func resume(_ partitions: [KafkaTopicPartition]) throws(KafkaError) {
        state.withLock { state in
            state.calls.append(.resume(partitions))
            for partition in partitions where !state.paused.contains(partition) {
                state.violations.append("resumed \(partition) while it was not paused")
            }
            state.paused.subtract(partitions)
        }
        try inner?.resume(partitions)
    }

    var calls: [Call] { state.withLock { $0.calls } }
    /// What is paused according to the calls made.
    var paused: Set<KafkaTopicPartition> { state.withLock { $0.paused } }
    var violations: [String] { state.withLock { $0.violations } }

    /// Every partition a call touched since the `index`-th call.
    func touched(since index: Int) -> Set<KafkaTopicPartition> {
        state.withLock { state in
            Set(state.calls.dropFirst(index).flatMap { call -> [KafkaTopicPartition] in
                switch call {
                case .pause(let partitions), .resume(let partitions): partitions
                }
            })
        }
    }
}
