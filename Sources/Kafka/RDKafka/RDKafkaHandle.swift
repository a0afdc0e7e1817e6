import CRdKafka
import Logging

/// Owns one `rd_kafka_t` and the callback context librdkafka points back to.
///
/// `@unchecked Sendable` because librdkafka documents `rd_kafka_t` as thread-safe for every
/// call we make through it; the only non-thread-safe act, `rd_kafka_destroy`, is guarded by
/// an atomic flag so it happens exactly once, and owners (`ClientLifecycle`) make sure no
/// other call is in flight when it happens.
final class RDKafkaHandle: @unchecked Sendable {
    /// The `rd_kafka_t *`.
    let pointer: OpaquePointer
    let callbacks: RDKafkaCallbackContext
    private let retainedContext: Unmanaged<RDKafkaCallbackContext>
    private let destroyed = AtomicFlag()

    /// Creates a client of `type` with `properties` applied in order.
    ///
    /// A property librdkafka rejects throws `KafkaError.configuration` with librdkafka's own
    /// message; a client librdkafka refuses to create throws `KafkaError.clientCreation`.
    init(
        type: rd_kafka_type_t,
        properties: [(key: String, value: String)],
        callbacks: RDKafkaCallbackContext
    ) throws(KafkaError) {
        let conf = try RDKafkaConfiguration.make(properties: properties, callbacks: callbacks)
        // librdkafka keeps a raw pointer to the context until rd_kafka_destroy returns.
        let retained = Unmanaged.passRetained(callbacks)
        rd_kafka_conf_set_opaque(conf, retained.toOpaque())
        var errstr = RDKafkaErrorBuffer()
        guard let rk = rd_kafka_new(type, conf, &errstr.bytes, errstr.count) else {
            // On failure the configuration is still ours.
            rd_kafka_conf_destroy(conf)
            retained.release()
            throw KafkaError.clientCreation(message: errstr.message)
        }
        self.pointer = rk
        self.callbacks = callbacks
        self.retainedContext = retained
    }

    /// The client's name as librdkafka reports it (e.g. `coupon-worker#consumer-1`).
    var name: String { String(cString: rd_kafka_name(pointer)) }

    /// The fatal error librdkafka raised on this client, if any, as `KafkaError.fatal` with the
    /// cause behind `_FATAL`. Not after `destroy`.
    func fatalError(client: String) -> KafkaError? {
        var reason = RDKafkaErrorBuffer()
        let code = rd_kafka_fatal_error(pointer, &reason.bytes, reason.count)
        guard code != RD_KAFKA_RESP_ERR_NO_ERROR else { return nil }
        return .fatal(client: client, code: KafkaErrorCode(code), reason: reason.message)
    }

    /// Destroys the handle exactly once. Must not be called from a librdkafka callback.
    func destroy() {
        guard destroyed.setIfClear() else { return }
        rd_kafka_destroy(pointer)
        // librdkafka has joined its threads: no callback can reach the context any more.
        retainedContext.release()
    }

    deinit {
        destroy()
    }
}
