/// A value from a message, quoted for a rejection reason, a log line or a header.
///
/// Rejections are published and logged, and the values in them come from whoever wrote to
/// the topic: a 1 MB string or a CR/LF must not reach either verbatim. At most 64 Unicode
/// scalars are kept (with the full UTF-8 length noted when cut); quotes, backslashes and
/// control characters (C0, DEL, C1, U+2028/2029) are escaped as `\u{…}`.
struct QuotedValue: CustomStringConvertible {
    static let maxScalars = 64

    let value: String

    init(_ value: String) { self.value = value }

    var description: String {
        var out = "\""
        var count = 0
        for scalar in value.unicodeScalars {
            if count == Self.maxScalars {
                out += "\"… (\(value.utf8.count) bytes)"
                return out
            }
            count += 1
            switch scalar.value {
            case 0x22: out += "\\\""
            case 0x5C: out += "\\\\"
            case 0x00..<0x20, 0x7F..<0xA0, 0x2028, 0x2029:
                out += "\\u{" + String(scalar.value, radix: 16, uppercase: true) + "}"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
