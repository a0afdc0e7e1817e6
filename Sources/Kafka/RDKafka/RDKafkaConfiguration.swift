import CRdKafka

/// Builds an `rd_kafka_conf_t` with our callbacks installed.
enum RDKafkaConfiguration {
    /// Applies `properties` in order (later wins) and installs the callbacks `callbacks`
    /// has handlers for. The caller owns the returned `rd_kafka_conf_t *`.
    static func make(
        properties: [(key: String, value: String)],
        callbacks: RDKafkaCallbackContext
    ) throws(KafkaError) -> OpaquePointer {
        guard let conf = rd_kafka_conf_new() else {
            throw KafkaError.clientCreation(message: "rd_kafka_conf_new failed")
        }
        var errstr = RDKafkaErrorBuffer()
        for (key, value) in properties {
            let result = rd_kafka_conf_set(conf, key, value, &errstr.bytes, errstr.count)
            guard result == RD_KAFKA_CONF_OK else {
                rd_kafka_conf_destroy(conf)
                throw KafkaError.configuration(property: key, message: errstr.message)
            }
        }
        rd_kafka_conf_set_log_cb(conf) { rk, level, facility, buffer in
            guard let context = RDKafkaCallbackContext.of(rk) else { return }
            let message = buffer.map { String(cString: $0) } ?? ""
            let facility = facility.map { String(cString: $0) } ?? ""
            context.logger.log(
                level: RDKafkaCallbackContext.logLevel(syslog: level),
                "\(message)",
                metadata: ["kafka.facility": "\(facility)"]
            )
        }
        if callbacks.onDelivery != nil {
            rd_kafka_conf_set_dr_msg_cb(conf) { _, message, opaque in
                guard let message, let context = RDKafkaCallbackContext.of(opaque: opaque) else { return }
                context.onDelivery?(message)
            }
        }
        if callbacks.onStatistics != nil {
            rd_kafka_conf_set_stats_cb(conf) { _, json, length, opaque in
                guard let json, let context = RDKafkaCallbackContext.of(opaque: opaque) else { return 0 }
                let text = String(
                    decoding: UnsafeRawBufferPointer(start: json, count: length),
                    as: UTF8.self
                )
                context.onStatistics?(text)
                return 0  // librdkafka frees the JSON buffer
            }
        }
        if callbacks.onRebalance != nil {
            rd_kafka_conf_set_rebalance_cb(conf) { rk, error, partitions, opaque in
                guard let rk, let partitions, let context = RDKafkaCallbackContext.of(opaque: opaque) else { return }
                context.onRebalance?(rk, error, partitions)
            }
        }
        return conf
    }
}
