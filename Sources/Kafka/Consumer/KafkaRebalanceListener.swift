/// Hears about partitions moving to or away from this consumer, *before* the move completes.
///
/// Called on the consumer's poll thread context; the consumer waits for these to return,
/// so the application can finish in-flight work, `storeOffset` and even `commit()` before a
/// revoke. After `partitionsRevoked` returns the consumer commits stored offsets
/// synchronously, then gives the partitions up. Do not wait for `messages` in here: the
/// thread that feeds them is waiting for you.
public protocol KafkaRebalanceListener: Sendable {
    /// `partitions` are about to be assigned (for cooperative-sticky: added) to us.
    func partitionsAssigned(_ partitions: [KafkaTopicPartition]) async
    /// `partitions` are about to be taken away (also on `close()` and when lost).
    func partitionsRevoked(_ partitions: [KafkaTopicPartition]) async
}
