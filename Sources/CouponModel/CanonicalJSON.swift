/// The canonical JSON form that fingerprints are computed over.
///
/// Two commands mean the same thing exactly when their canonical forms are byte-equal:
/// - objects: members sorted by key in Unicode code point order (= UTF-8 byte order), no
///   whitespace anywhere;
/// - strings: UTF-8, only `"`, `\` and U+0000–U+001F escaped (`\b \f \n \r \t`, else
///   `\u00xx` lower-case hex); `/` and non-ASCII are written as themselves;
/// - numbers: integers as plain decimal digits; a double with no fraction and magnitude
///   below 2^53 is written as that integer (`1.0` → `1`); any other double in Swift's
///   shortest round-trip form (`0.1`, `1e+21`);
/// - `true`, `false`, `null` as themselves (a non-finite double, which JSON cannot hold,
///   as `null`).
///
/// No Unicode normalisation is applied: `"é"` (U+00E9) and `"e\u{301}"` are different
/// strings here and give different fingerprints, although Swift's `String ==` calls them
/// equal. Producers must send the same bytes for the same command.
public enum CanonicalJSON {
    /// The canonical UTF-8 bytes of `value`.
    public static func bytes(of value: JSONValue) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(128)
        write(value, into: &out)
        return out
    }

    /// The canonical bytes of an object whose members the caller gives in canonical order (by
    /// key, UTF-8 byte order): the bytes of `bytes(of: .object(…))` without building and
    /// sorting a dictionary, for documents with fixed keys.
    public static func bytes(ofSortedMembers members: KeyValuePairs<String, JSONValue>, capacity: Int = 256) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(capacity)
        out.append(UInt8(ascii: "{"))
        for (index, (key, value)) in members.enumerated() {
            assert(index == 0 || members[index - 1].key.utf8.lexicographicallyPrecedes(key.utf8), "members out of canonical order")
            if index > 0 { out.append(UInt8(ascii: ",")) }
            writeString(key, into: &out)
            out.append(UInt8(ascii: ":"))
            write(value, into: &out)
        }
        out.append(UInt8(ascii: "}"))
        return out
    }

    /// The canonical form of `value` as a string.
    public static func string(of value: JSONValue) -> String {
        String(decoding: bytes(of: value), as: UTF8.self)
    }

    private static func write(_ value: JSONValue, into out: inout [UInt8]) {
        switch value {
        case .null: out.append(contentsOf: "null".utf8)
        case .bool(let b): out.append(contentsOf: (b ? "true" : "false").utf8)
        case .integer(let i): out.append(contentsOf: String(i).utf8)
        case .double(let d):
            if !d.isFinite {
                // JSON has no NaN or infinity; parsed input never holds one, but a value
                // built in code might. Written as `null`, as JavaScript's JSON.stringify does,
                // so the output is always JSON.
                out.append(contentsOf: "null".utf8)
            } else if d.rounded() == d, abs(d) < 9_007_199_254_740_992 {
                out.append(contentsOf: String(Int64(d)).utf8)
            } else {
                out.append(contentsOf: d.description.utf8)
            }
        case .string(let s): writeString(s, into: &out)
        case .array(let elements):
            out.append(UInt8(ascii: "["))
            for (i, e) in elements.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                write(e, into: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let members):
            out.append(UInt8(ascii: "{"))
            let sorted = members.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
            for (i, (k, v)) in sorted.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                writeString(k, into: &out)
                out.append(UInt8(ascii: ":"))
                write(v, into: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    /// Writes `s` quoted, copying each run of bytes that needs no escape at once.
    private static func writeString(_ s: String, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        var s = s
        s.withUTF8 { utf8 in
            var runStart = 0
            for index in utf8.indices {
                let byte = utf8[index]
                guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") else { continue }
                out.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart..<index]))
                writeEscape(byte, into: &out)
                runStart = index + 1
            }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart...]))
        }
        out.append(UInt8(ascii: "\""))
    }

    /// The escape of `"`, `\` or a control character.
    private static func writeEscape(_ byte: UInt8, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\\"))
        switch byte {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"): out.append(byte)
        case 0x08: out.append(UInt8(ascii: "b"))
        case 0x0C: out.append(UInt8(ascii: "f"))
        case 0x0A: out.append(UInt8(ascii: "n"))
        case 0x0D: out.append(UInt8(ascii: "r"))
        case 0x09: out.append(UInt8(ascii: "t"))
        default:
            out.append(contentsOf: "u00".utf8)
            out.append(contentsOf: LowercaseHex.text(CollectionOfOne(byte)).utf8)
        }
    }
}
