/// The character sets identifiers in commands must keep to.
///
/// Identifiers end up in URL paths (`/users/{openid}/coupons/{coupon_code}`), query strings,
/// idempotency keys and log lines. Allowing only ASCII letters, digits and a few
/// punctuation marks rules out path traversal (`/`, `..`), pre-encoded bytes (`%2F`),
/// header and log injection (CR, LF, NUL) and Unicode look-alikes, without an escaping step
/// anyone could forget.
enum IdentifierSyntax {
    /// `out_request_no`: `[A-Za-z0-9|_*-]{1,128}` (WeChat's own rule for it).
    static let outRequestNoMaxLength = 128

    /// Whether `value` is 1–128 of `[A-Za-z0-9|_*-]`.
    static func isOutRequestNo(_ value: String) -> Bool {
        matches(value, maxLength: outRequestNoMaxLength) { byte in
            isWordByte(byte) || byte == UInt8(ascii: "|") || byte == UInt8(ascii: "*")
        }
    }

    /// Whether `value` is 1–`maxLength` of `[A-Za-z0-9_-]`.
    static func isIdentifier(_ value: String, maxLength: Int) -> Bool {
        matches(value, maxLength: maxLength, isWordByte)
    }

    /// Whether `value` is 1–`maxLength` of `[A-Z_]` (WeChat enum values such as `SENDED`).
    static func isUpperSnake(_ value: String, maxLength: Int) -> Bool {
        matches(value, maxLength: maxLength) { byte in
            (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) || byte == UInt8(ascii: "_")
        }
    }

    /// `[A-Za-z0-9_-]`.
    private static func isWordByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "_"), UInt8(ascii: "-"):
            true
        default:
            false
        }
    }

    private static func matches(_ value: String, maxLength: Int, _ allowed: (UInt8) -> Bool) -> Bool {
        // All allowed characters are ASCII, so the UTF-8 length is the character count.
        let utf8 = value.utf8
        return !utf8.isEmpty && utf8.count <= maxLength && utf8.allSatisfy(allowed)
    }
}
