import CouponModel
import Kafka
import Logging

/// The log line of every command: one `command done` per outcome (out_request_no, operation,
/// status, attempts, latency), or `command abandoned`. Never a secret: results carry none.
struct OutcomeLog: Sendable {
    let logger: Logger

    func done(_ outcome: CommandOutcome, message: KafkaConsumerMessage, latency: Duration) {
        // Built only when it will be written: this runs once per command.
        guard logger.logLevel <= .info else { return }
        var metadata: Logger.Metadata = [
            "topic": "\(message.topic)", "partition": "\(message.partition)", "offset": "\(message.offset)",
            "latency_ms": "\(Int(latency.seconds * 1000))",
        ]
        if let result = outcome.result {
            metadata["out_request_no"] = "\(result.outRequestNo)"
            metadata["operation"] = "\(result.operation ?? "-")"
            metadata["status"] = "\(result.status.rawValue)"
            metadata["attempts"] = "\(result.attempts)"
            metadata["replayed"] = "\(result.replayed)"
            if let error = result.error { metadata["error_code"] = "\(error.code.rawValue)" }
        }
        if let cause = outcome.deadLetter { metadata["dead_letter"] = "\(cause.code.rawValue)" }
        logger.info("command done", metadata: metadata)
    }

    /// The command stopped without a result (cancelled by a revoke or a shutdown): its claim
    /// protects it, and its offset is not stored.
    func abandoned(_ message: KafkaConsumerMessage) {
        logger.notice("command abandoned", metadata: [
            "topic": "\(message.topic)", "partition": "\(message.partition)", "offset": "\(message.offset)",
        ])
    }
}
