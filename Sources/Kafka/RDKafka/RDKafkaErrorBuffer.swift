/// The `char errstr[512]` buffer librdkafka writes error messages into.
struct RDKafkaErrorBuffer {
    var bytes = [CChar](repeating: 0, count: 512)

    var count: Int { bytes.count }

    /// The message up to its terminating NUL.
    var message: String {
        String(decoding: bytes.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
