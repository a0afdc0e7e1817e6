import CRdKafka

/// Converts between `KafkaHeader`s and `rd_kafka_headers_t`.
enum RDKafkaHeaders {
    /// A new header list owned by the caller (hand it to `produceva`), or `nil` when empty.
    static func make(_ headers: [KafkaHeader]) -> OpaquePointer? {
        guard !headers.isEmpty, let list = rd_kafka_headers_new(headers.count) else { return nil }
        for header in headers {
            // librdkafka copies name and value. The name is passed with its length, from the
            // String's own bytes: as a C string it would be copied into a new array first.
            var name = header.key
            name.withUTF8 { utf8 in
                utf8.withMemoryRebound(to: CChar.self) { name in
                    let nameStart = name.baseAddress ?? emptyName
                    if let value = header.value {
                        RDKafkaBytes.with(value) { pointer, count in
                            _ = rd_kafka_header_add(list, nameStart, name.count, pointer, count)
                        }
                    } else {
                        _ = rd_kafka_header_add(list, nameStart, name.count, nil, 0)
                    }
                }
            }
        }
        return list
    }

    /// Where an empty name points: a name without bytes has no address of its own.
    private static var emptyName: UnsafePointer<CChar> {
        let empty: StaticString = ""
        return UnsafeRawPointer(empty.utf8Start).assumingMemoryBound(to: CChar.self)
    }

    /// Copies the headers of a consumed message.
    static func read(from message: UnsafePointer<rd_kafka_message_t>) -> [KafkaHeader] {
        var list: OpaquePointer?
        // The list belongs to the message; rd_kafka_message_destroy frees it.
        guard rd_kafka_message_headers(message, &list) == RD_KAFKA_RESP_ERR_NO_ERROR, let list else {
            return []
        }
        var headers: [KafkaHeader] = []
        var index = 0
        while true {
            var name: UnsafePointer<CChar>?
            var value: UnsafeRawPointer?
            var size = 0
            guard rd_kafka_header_get_all(list, index, &name, &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR else {
                break
            }
            headers.append(
                KafkaHeader(
                    key: name.map { String(cString: $0) } ?? "",
                    value: value.map { Array(UnsafeRawBufferPointer(start: $0, count: size)) }
                )
            )
            index += 1
        }
        return headers
    }
}

/// Hands byte arrays to C with a non-null pointer even when empty, so that an empty value
/// stays empty instead of becoming Kafka's null.
enum RDKafkaBytes {
    private static let empty: [UInt8] = [0]

    static func with<Result>(_ bytes: [UInt8], _ body: (UnsafeRawPointer, Int) -> Result) -> Result {
        let source = bytes.isEmpty ? empty : bytes
        return source.withUnsafeBytes { buffer in
            body(buffer.baseAddress!, bytes.count)
        }
    }

    static func withOptional<Result>(_ bytes: [UInt8]?, _ body: (UnsafeRawPointer?, Int) -> Result) -> Result {
        guard let bytes else { return body(nil, 0) }
        return with(bytes) { pointer, count in body(pointer, count) }
    }
}
