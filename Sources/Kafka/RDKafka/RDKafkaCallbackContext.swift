import CRdKafka
import Logging

/// What librdkafka's C callbacks call back into, found through `rd_kafka_opaque(rk)`.
///
/// Built before the handle exists, so handlers receive the `rd_kafka_t *` as an argument
/// instead of capturing the client.
final class RDKafkaCallbackContext: Sendable {
    let logger: Logger
    /// Called on the producer poll thread for every delivery report.
    let onDelivery: (@Sendable (UnsafePointer<rd_kafka_message_t>) -> Void)?
    /// Called on the poll thread with each statistics JSON document.
    let onStatistics: (@Sendable (String) -> Void)?
    /// Called on the consumer poll thread; it must complete the (un)assign itself.
    let onRebalance: (@Sendable (OpaquePointer, rd_kafka_resp_err_t, UnsafeMutablePointer<rd_kafka_topic_partition_list_t>) -> Void)?

    init(
        logger: Logger,
        onDelivery: (@Sendable (UnsafePointer<rd_kafka_message_t>) -> Void)? = nil,
        onStatistics: (@Sendable (String) -> Void)? = nil,
        onRebalance: (@Sendable (OpaquePointer, rd_kafka_resp_err_t, UnsafeMutablePointer<rd_kafka_topic_partition_list_t>) -> Void)? = nil
    ) {
        self.logger = logger
        self.onDelivery = onDelivery
        self.onStatistics = onStatistics
        self.onRebalance = onRebalance
    }

    /// The context registered for `rk`, if any.
    static func of(_ rk: OpaquePointer?) -> RDKafkaCallbackContext? {
        guard let rk, let opaque = rd_kafka_opaque(rk) else { return nil }
        return Unmanaged<RDKafkaCallbackContext>.fromOpaque(opaque).takeUnretainedValue()
    }

    static func of(opaque: UnsafeMutableRawPointer?) -> RDKafkaCallbackContext? {
        guard let opaque else { return nil }
        return Unmanaged<RDKafkaCallbackContext>.fromOpaque(opaque).takeUnretainedValue()
    }

    /// Maps a syslog level (what librdkafka logs with) to swift-log's.
    static func logLevel(syslog level: Int32) -> Logger.Level {
        switch level {
        case ...2: .critical
        case 3: .error
        case 4: .warning
        case 5: .notice
        case 6: .info
        default: .debug
        }
    }
}
