import Kafka
import Logging

/// The worker's side of a rebalance, run before librdkafka completes it.
///
/// A revoke fences the partitions: `partitionsRevoked` returns only once every task of their
/// commands has stopped, so the Kafka layer's commit after it includes everything completed,
/// and nothing of theirs runs while the next owner starts:
/// 1. admission of their records stops at once (`PartitionFlows.beginRevoke`, which also
///    returns all their tasks: a task is created atomically with its admission);
/// 2. the pause applier releases them (resumes what it paused, forgets them);
/// 3. their commands get `grace` to finish; then the rest are cancelled, and waited for. The
///    processor stops a cancelled command at once unless its request already reached a
///    provider; then it stores the outcome, bounded by the provider timeout and the store
///    deadline, so the wait after cancelling is bounded too. Their claims protect them.
///
/// An assignment registers the partitions under their generation once librdkafka assigned them
/// (librdkafka cannot pause a partition it never had) and before any of their records is
/// handed out, so no record of it is read before flow control knows it. Nothing is paused then:
/// a partition becomes pausable with its first record (see `FlowControl`).
struct RevokeCoordinator: KafkaRebalanceListener {
    let flows: PartitionFlows
    let applier: PauseApplier
    let grace: Duration
    let clock: AssignmentClock
    let logger: Logger
    /// The clock the grace runs on (a test moves it by hand).
    var graceClock: any Clock<Duration> = ContinuousClock()

    func partitionsAssigned(_ partitions: [KafkaTopicPartition]) async {}

    func assignmentCompleted(_ partitions: [KafkaTopicPartition], generation: UInt64) async {
        logger.info("partitions assigned", metadata: [
            "partitions": "\(partitions.map(\.description))", "generation": "\(generation)",
        ])
        flows.assign(partitions, generation: generation)
        clock.assigned(partitions.count)
    }

    func partitionsRevoked(_ partitions: [KafkaTopicPartition]) async {
        let tasks = flows.beginRevoke(partitions)
        await applier.release(partitions)
        if !tasks.isEmpty {
            logger.info("revoking: waiting for running commands", metadata: [
                "partitions": "\(partitions.map(\.description))", "running": "\(tasks.count)",
            ])
            await finishOrCancel(tasks)
        }
        flows.endRevoke(partitions)
        clock.revoked(partitions.count)
        logger.info("partitions revoked", metadata: ["partitions": "\(partitions.map(\.description))"])
    }

    /// Waits for `tasks` for up to `grace`; cancels those still running then, and waits for
    /// them to stop.
    private func finishOrCancel(_ tasks: [Task<Void, Never>]) async {
        await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                for task in tasks { await task.value }
                return true
            }
            group.addTask {
                try? await graceClock.sleep(for: grace)
                return false
            }
            if await group.next() == false {
                // Out of patience. Their claims protect them: the next owner waits for the
                // lease, then reconciles before calling again.
                logger.warning("revoke grace over: cancelling running commands and waiting for them to stop", metadata: [
                    "running": "\(tasks.count)", "grace": "\(grace)",
                ])
                for task in tasks { task.cancel() }
                _ = await group.next()  // the tasks have stopped
            }
            group.cancelAll()  // the grace timer, if the tasks won
        }
    }
}
