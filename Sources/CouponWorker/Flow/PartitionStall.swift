import Kafka

/// A partition that cannot make progress: its committed offset cannot move past one command.
///
/// Never silent: each stall is logged once, counted in `coupon_stalled_partitions` and fails
/// `/healthz` (`CouponWorker.Status.stalledPartitions`), so the orchestrator restarts the
/// instance and the partition's next owner redelivers the command. Later records of the
/// partition keep being processed meanwhile; only their offsets wait.
public struct PartitionStall: Sendable, Hashable, CustomStringConvertible {
    public enum Reason: Sendable, Hashable {
        /// The command at `offset` was abandoned (its result not acknowledged: a store defect,
        /// a publish that gave up) while the partition was not being revoked.
        case abandoned(offset: Int64)
        /// The command at `offset` has been running longer than the stuck-command limit.
        case stuck(offset: Int64, runningFor: Duration)
    }

    public var partition: KafkaTopicPartition
    public var reason: Reason

    public init(partition: KafkaTopicPartition, reason: Reason) {
        self.partition = partition
        self.reason = reason
    }

    public var description: String {
        switch reason {
        case .abandoned(let offset):
            "\(partition): command at offset \(offset) abandoned"
        case .stuck(let offset, let runningFor):
            "\(partition): command at offset \(offset) running for \(runningFor.components.seconds) s"
        }
    }
}
