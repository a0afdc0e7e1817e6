import Foundation

/// The `x-coupon-error-*` headers added to a record copied to the dead-letter topic.
///
/// The DLQ record keeps the original key, value and headers; these say why it is there and
/// where it came from, so `replay-dlq` and an operator can act without the worker's logs.
/// `schemas/coupon-dlq-headers.v1.schema.json` describes them as a JSON object.
/// CouponModel knows nothing of Kafka: the builder returns plain name/value pairs.
public enum DeadLetterHeaders {
    /// What every header this type names starts with.
    public static let prefix = "x-coupon-error-"
    /// The `ErrorCode` raw value (`INVALID_COMMAND`, `OUTCOME_UNKNOWN`, …).
    public static let code = "x-coupon-error-code"
    /// Human-readable reason: one line, at most `maxReasonBytes` UTF-8 bytes.
    public static let reason = "x-coupon-error-reason"
    /// The offending field path, when one is known.
    public static let field = "x-coupon-error-field"
    public static let sourceTopic = "x-coupon-error-source-topic"
    /// Decimal partition number.
    public static let sourcePartition = "x-coupon-error-source-partition"
    /// Decimal offset.
    public static let sourceOffset = "x-coupon-error-source-offset"
    /// When the record was dead-lettered, RFC 3339 UTC with milliseconds.
    public static let at = "x-coupon-error-at"
    /// Present only when the original value did not fit the broker's message limit together
    /// with these headers: the original's size in bytes; the record holds its first bytes.
    public static let valueTruncated = "x-coupon-error-value-truncated"

    /// The longest reason kept; longer ones are cut on a character boundary and end in `…`.
    public static let maxReasonBytes = 1024

    /// The headers, in the order declared above; `field` is left out when nil.
    /// Control characters (CR, LF, …) in `reason` and `field` become spaces, so a header
    /// value is always one line.
    public static func build(
        code: ErrorCode, reason: String, field: String?, source: SourcePosition, at date: Date
    ) -> [(String, String)] {
        var headers: [(String, String)] = [
            (Self.code, code.rawValue),
            (Self.reason, singleLine(reason, maxBytes: maxReasonBytes)),
        ]
        if let field { headers.append((Self.field, singleLine(field, maxBytes: 256))) }
        headers += [
            (sourceTopic, source.topic),
            (sourcePartition, String(source.partition)),
            (sourceOffset, String(source.offset)),
            (at, ResultEvent.timestamp(date)),
        ]
        return headers
    }

    /// The same headers from the source record's topic, partition and offset as Kafka gives
    /// them; `at` defaults to now.
    public static func build(
        code: ErrorCode, reason: String, field: String?, sourceTopic: String, sourcePartition: Int32,
        sourceOffset: Int64, at date: Date = Date()
    ) -> [(String, String)] {
        build(
            code: code, reason: reason, field: field,
            source: SourcePosition(topic: sourceTopic, partition: sourcePartition, offset: sourceOffset), at: date)
    }

    /// The headers for a message `CommandDecoder` refused.
    public static func build(rejection: CommandRejection, source: SourcePosition, at date: Date) -> [(String, String)] {
        build(code: rejection.code, reason: rejection.reason, field: rejection.field, source: source, at: date)
    }

    private static func singleLine(_ text: String, maxBytes: Int) -> String {
        var clean = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            switch scalar.properties.generalCategory {
            case .control, .lineSeparator, .paragraphSeparator: clean.append(" ")
            default: clean.append(scalar)
            }
        }
        if String(clean).utf8.count <= maxBytes { return String(clean) }
        var cut = String.UnicodeScalarView()
        var bytes = 0
        for scalar in clean {
            let width = UTF8.width(scalar)
            if bytes + width > maxBytes - 3 { break }  // room for "…" (3 bytes)
            cut.append(scalar)
            bytes += width
        }
        cut.append("…")
        return String(cut)
    }
}
