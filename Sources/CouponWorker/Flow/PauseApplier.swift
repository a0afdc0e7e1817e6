import Kafka
import Logging
import Synchronization

/// The one owner of pause and resume: brings what librdkafka has paused to what
/// `FlowControl` wants, one step at a time, and keeps the ledger of what librdkafka has
/// paused at our request.
///
/// Why one owner: librdkafka 2.0.2 can rewind the fetch position of a partition resumed while
/// not paused (librdkafka #4637, #4686), and a pause applied after a later resume leaves a
/// partition paused for good. Decisions applied from several call sites after their locks
/// were released reached librdkafka out of order and did both.
///
/// Invariants:
/// - `ledger` is what librdkafka has paused at our request. It changes only together with
///   the call that changes librdkafka, inside this actor, so calls and ledger are in one order.
/// - A partition is resumed only if the ledger holds it.
/// - The desired set is read when a step is applied, never handed in: a step is idempotent,
///   steps coalesce, and a late caller cannot apply an outdated decision.
/// - `release` (a revoke) resumes the revoked partitions the ledger holds, before librdkafka
///   unassigns them, and forgets them. librdkafka 2.0.2 keeps an application pause across an
///   unassign and a later assign (checked in `PauseApplierConsumerTests`), so a partition
///   revoked while paused would come back paused with an empty ledger, and never fetch
///   again. Revoking partitions are never desired, so after the revoke nothing is applied to
///   them until they are assigned anew (and then they start from an empty, true ledger).
actor PauseApplier {
    private let pauser: any PartitionPauser
    private let desired: @Sendable () -> Set<KafkaTopicPartition>
    private let metrics: WorkerMetrics
    private let logger: Logger
    /// What librdkafka has paused at our request.
    private(set) var ledger: Set<KafkaTopicPartition> = []
    private let ledgerCount = Atomic<Int>(0)

    /// - Parameter desired: the partitions that should be paused now (`FlowControl.desiredPaused`).
    init(
        pauser: any PartitionPauser, desired: @escaping @Sendable () -> Set<KafkaTopicPartition>,
        metrics: WorkerMetrics, logger: Logger
    ) {
        self.pauser = pauser
        self.desired = desired
        self.metrics = metrics
        self.logger = logger
    }

    /// How many partitions the ledger holds, readable without waiting for the actor (status).
    nonisolated var pausedCount: Int { ledgerCount.load(ordering: .relaxed) }

    /// Pauses what is desired and not paused, resumes what is paused and not desired.
    func apply() {
        let target = desired()
        let toResume = ledger.subtracting(target)
        let toPause = target.subtracting(ledger)
        if !toResume.isEmpty { resume(toResume) }
        if !toPause.isEmpty { pause(toPause) }
        published()
    }

    /// A revoke of `partitions` began (they are no longer desired): resumes those the ledger
    /// holds and forgets them.
    func release(_ partitions: [KafkaTopicPartition]) {
        let held = ledger.intersection(partitions)
        if !held.isEmpty { resume(held) }
        published()
    }

    private func pause(_ partitions: Set<KafkaTopicPartition>) {
        let ordered = partitions.sortedForCalls()
        do {
            try pauser.pause(ordered)
            ledger.formUnion(ordered)
            metrics.partitionsPaused(ordered.count)
            logger.debug("fetching paused", metadata: ["partitions": "\(ordered.map(\.description))"])
        } catch {
            // Some may have been paused before the error: learn which, one at a time. Pausing a
            // paused partition again is harmless (nothing was fetched since).
            for partition in ordered {
                do {
                    try pauser.pause([partition])
                    ledger.insert(partition)
                    metrics.partitionsPaused(1)
                } catch {
                    logger.warning("pause failed", metadata: ["partition": "\(partition)", "error": "\(error)"])
                }
            }
        }
    }

    private func resume(_ partitions: Set<KafkaTopicPartition>) {
        let ordered = partitions.sortedForCalls()
        do {
            try pauser.resume(ordered)
            metrics.partitionsResumed(ordered.count)
            logger.debug("fetching resumed", metadata: ["partitions": "\(ordered.map(\.description))"])
        } catch {
            // librdkafka refuses only a partition it does not know (not paused then) or a
            // closed client: either way nothing stays paused that the ledger could resume.
            logger.warning("resume failed", metadata: ["partitions": "\(ordered.map(\.description))", "error": "\(error)"])
        }
        ledger.subtract(ordered)
    }

    private func published() {
        ledgerCount.store(ledger.count, ordering: .relaxed)
        metrics.pausedPartitions(ledger.count)
    }
}

extension Set<KafkaTopicPartition> {
    /// A stable order for librdkafka calls (and for tests that record them).
    func sortedForCalls() -> [KafkaTopicPartition] {
        sorted { ($0.topic, $0.partition) < ($1.topic, $1.partition) }
    }
}
