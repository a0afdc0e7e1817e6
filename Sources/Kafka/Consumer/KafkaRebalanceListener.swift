/// Hears about partitions moving to or away from this consumer, *before* the move completes.
///
/// Called on the consumer's poll thread context; the consumer waits for these to return,
/// so the application can finish in-flight work, `storeOffset` and even `commit()` before a
/// revoke. After `partitionsRevoked` returns the consumer commits stored offsets
/// synchronously, then gives the partitions up. Do not wait for `messages` in here: the
/// thread that feeds them is waiting for you.
///
/// Pausing: librdkafka 2.0.2 keeps an application `pause` across an unassign and a later
/// assign of the same partition, so a partition paused when it is revoked comes back paused;
/// resume what you paused in `partitionsRevoked` if it should fetch when it returns. And a
/// partition this consumer never had cannot be paused before librdkafka assigned it (it
/// fails with `_UNKNOWN_PARTITION`): pause new partitions from `assignmentCompleted`, not
/// from `partitionsAssigned`.
public protocol KafkaRebalanceListener: Sendable {
    /// `partitions` are about to be assigned (for cooperative-sticky: added) to us.
    func partitionsAssigned(_ partitions: [KafkaTopicPartition]) async
    /// librdkafka has assigned (or added) `partitions`: pause and resume work on them now.
    /// Every record handed out for them under this assignment carries `generation` as its
    /// `assignmentGeneration` (larger than any generation before), and none is handed out
    /// before this returns. By default it does nothing.
    func assignmentCompleted(_ partitions: [KafkaTopicPartition], generation: UInt64) async
    /// `partitions` are about to be taken away (also on `close()` and when lost).
    func partitionsRevoked(_ partitions: [KafkaTopicPartition]) async
}

extension KafkaRebalanceListener {
    public func assignmentCompleted(_ partitions: [KafkaTopicPartition], generation: UInt64) async {}
}
