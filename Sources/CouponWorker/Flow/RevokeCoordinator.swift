import Kafka
import Logging

/// The worker's side of a rebalance: runs before librdkafka completes a revoke, so the
/// partition's commands finish (or are abandoned under their claims) and their offsets are
/// stored before the Kafka layer commits and lets the partition go.
struct RevokeCoordinator: KafkaRebalanceListener {
    let flows: PartitionFlows
    let grace: Duration
    let logger: Logger

    func partitionsAssigned(_ partitions: [KafkaTopicPartition]) async {
        logger.info("partitions assigned", metadata: ["partitions": "\(partitions.map(\.description))"])
    }

    func partitionsRevoked(_ partitions: [KafkaTopicPartition]) async {
        let tasks = flows.beginRevoke(partitions)
        if !tasks.isEmpty {
            logger.info("revoking: waiting for running commands", metadata: [
                "partitions": "\(partitions.map(\.description))", "running": "\(tasks.count)",
            ])
            await withTaskGroup(of: Bool.self) { group in
                group.addTask {
                    for tp in partitions { await flows.waitDrained(tp) }
                    return true
                }
                group.addTask {
                    try? await Task.sleep(for: grace)
                    return false
                }
                if await group.next() == false {
                    // Out of patience. Their claims protect them: the next owner waits for
                    // the lease, then reconciles before calling again.
                    logger.warning("revoke grace over: abandoning running commands", metadata: ["running": "\(tasks.count)"])
                    for task in tasks { task.cancel() }
                }
                group.cancelAll()
            }
        }
        flows.endRevoke(partitions)
        logger.info("partitions revoked", metadata: ["partitions": "\(partitions.map(\.description))"])
    }
}
