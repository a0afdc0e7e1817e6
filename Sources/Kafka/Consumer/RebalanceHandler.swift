import CRdKafka
import Dispatch
import Logging

/// Runs a rebalance on the consumer poll thread: tells the listener first, commits stored
/// offsets before a revoke completes, then performs the (un)assign librdkafka waits for.
final class RebalanceHandler: Sendable {
    private let listener: (any KafkaRebalanceListener)?
    private let logger: Logger
    let generations = AssignmentGenerations()

    init(listener: (any KafkaRebalanceListener)?, logger: Logger) {
        self.listener = listener
        self.logger = logger
    }

    func handle(
        rk: OpaquePointer,
        event: rd_kafka_resp_err_t,
        list: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>
    ) {
        let partitions = RDKafkaTopicPartitionList.partitions(of: list)
        let cooperative = rd_kafka_rebalance_protocol(rk).map { String(cString: $0) } == "COOPERATIVE"
        switch event {
        case RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS:
            logger.info("partitions assigned", metadata: ["kafka.partitions": "\(partitions)"])
            if let listener {
                waitFor { await listener.partitionsAssigned(partitions) }
            }
            let generation = generations.assign(partitions)
            if cooperative {
                check(rd_kafka_incremental_assign(rk, list), operation: "incremental assign")
            } else {
                check(rd_kafka_assign(rk, list), operation: "assign")
            }
            // librdkafka knows the partitions now (the assign call waits for its main thread).
            // Records are stamped with `generation` on this thread, after this callback returns.
            if let listener {
                waitFor { await listener.assignmentCompleted(partitions, generation: generation) }
            }
        case RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS:
            let lost = rd_kafka_assignment_lost(rk) != 0
            logger.info("partitions revoked", metadata: ["kafka.partitions": "\(partitions)", "kafka.lost": "\(lost)"])
            if let listener {
                waitFor { await listener.partitionsRevoked(partitions) }
            }
            if !lost {
                // Commit what the application stored before anyone else gets the partitions.
                commitStoredOffsets(rk)
            }
            if cooperative {
                check(rd_kafka_incremental_unassign(rk, list), operation: "incremental unassign")
            } else {
                check(rd_kafka_assign(rk, nil), operation: "unassign")
            }
            generations.revoke(partitions)
        default:
            let code = KafkaErrorCode(event)
            logger.error("rebalance failed; dropping assignment", metadata: ["kafka.error": "\(code.name)"])
            check(rd_kafka_assign(rk, nil), operation: "unassign")
        }
    }

    /// Synchronously commits the stored offsets of the current assignment.
    func commitStoredOffsets(_ rk: OpaquePointer) {
        let result = rd_kafka_commit(rk, nil, 0)
        guard result != RD_KAFKA_RESP_ERR_NO_ERROR, result != RD_KAFKA_RESP_ERR__NO_OFFSET else { return }
        let code = KafkaErrorCode(result)
        logger.warning("commit of stored offsets failed", metadata: ["kafka.error": "\(code.name)"])
    }

    /// Blocks this (our own poll) thread until the async listener returns.
    private func waitFor(_ body: @escaping @Sendable () async -> Void) {
        let done = DispatchSemaphore(value: 0)
        Task {
            await body()
            done.signal()
        }
        done.wait()
    }

    private func check(_ result: rd_kafka_resp_err_t, operation: String) {
        guard result != RD_KAFKA_RESP_ERR_NO_ERROR else { return }
        logger.error("\(operation) failed", metadata: ["kafka.error": "\(KafkaErrorCode(result).name)"])
    }

    private func check(_ error: OpaquePointer?, operation: String) {
        guard let error else { return }
        let code = KafkaErrorCode(rd_kafka_error_code(error))
        let message = String(cString: rd_kafka_error_string(error))
        rd_kafka_error_destroy(error)
        logger.error("\(operation) failed: \(message)", metadata: ["kafka.error": "\(code.name)"])
    }
}
