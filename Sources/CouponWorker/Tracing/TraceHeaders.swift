import Kafka
import Tracing

/// Kafka record headers as the carrier of trace context: a command's `traceparent` and
/// `tracestate` are read into its span's parent, and the span's context is written into the
/// records the command produces.
///
/// Without a bootstrapped tracer the instrument is a no-op: nothing is read, nothing is
/// written, and the records carry the incoming headers unchanged, as before tracing existed.
enum TraceHeaders {
    /// The headers that carry W3C trace context.
    static let keys: Set<String> = ["traceparent", "tracestate"]

    /// The incoming context of a record, or the top level (a new trace) when it has none.
    static func context(of headers: [KafkaHeader]) -> ServiceContext {
        var context = ServiceContext.topLevel
        InstrumentationSystem.instrument.extract(headers, into: &context, using: Reader())
        return context
    }

    /// The incoming trace headers of a record, each replaced by the current context's where
    /// the instrument writes one (the command span's, when called inside it).
    static func forwarded(from incoming: [KafkaHeader]) -> [KafkaHeader] {
        var headers = incoming.filter { keys.contains($0.key) }
        injectCurrent(into: &headers)
        return headers
    }

    /// Writes the current context into `headers`, replacing a header of the same key in place.
    static func injectCurrent(into headers: inout [KafkaHeader]) {
        guard let context = ServiceContext.current else { return }
        InstrumentationSystem.instrument.inject(context, into: &headers, using: Writer())
    }

    struct Reader: Extractor {
        func extract(key: String, from carrier: [KafkaHeader]) -> String? {
            carrier.last { $0.key == key }?.stringValue
        }
    }

    struct Writer: Injector {
        func inject(_ value: String, forKey key: String, into carrier: inout [KafkaHeader]) {
            let header = KafkaHeader(key: key, string: value)
            guard let first = carrier.firstIndex(where: { $0.key == key }) else {
                carrier.append(header)
                return
            }
            carrier = carrier[..<first] + [header] + carrier[(first + 1)...].filter { $0.key != key }
        }
    }
}
