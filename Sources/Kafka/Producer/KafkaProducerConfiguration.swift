/// How to build a `KafkaProducer`: typed common settings plus any librdkafka property.
public struct KafkaProducerConfiguration: Sendable {
    /// `bootstrap.servers`: comma-separated `host:port` list.
    public var bootstrapServers: String
    /// `client.id`, shown in broker logs and quotas.
    public var clientID: String = "coupon-worker"
    /// `enable.idempotence=true` and `acks=all`: no duplicates or reordering from retries,
    /// and a delivery report only once all in-sync replicas have the record.
    public var idempotent: Bool = true
    /// `linger.ms`: how long librdkafka waits to batch records before sending.
    public var lingerMilliseconds: Int = 5
    /// Any librdkafka property (CONFIGURATION.md), applied last so it overrides the typed
    /// settings. An unknown property or invalid value fails `KafkaProducer.init`.
    public var properties: [String: String] = [:]

    public init(bootstrapServers: String) {
        self.bootstrapServers = bootstrapServers
    }

    /// The librdkafka properties, in the order they are applied.
    var librdkafkaProperties: [(key: String, value: String)] {
        var result: [(key: String, value: String)] = [
            ("bootstrap.servers", bootstrapServers),
            ("client.id", clientID),
            ("linger.ms", String(lingerMilliseconds)),
            // Off by default before 2.10; Nagle adds up to 40 ms per request.
            ("socket.nagle.disable", "true"),
        ]
        if idempotent {
            result.append(("enable.idempotence", "true"))
            result.append(("acks", "all"))
        }
        result.append(contentsOf: properties.sorted { $0.key < $1.key }.map { ($0.key, $0.value) })
        return result
    }
}
