import Crypto

/// The merchant's APIv3 key: 32 ASCII characters whose UTF-8 bytes are the AES-256-GCM key
/// that platform certificates (and notifications) are encrypted with.
///
/// A secret: `description`, `debugDescription` and reflection never show it.
public struct APIv3Key: Sendable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    let symmetricKey: SymmetricKey

    /// Takes the key as configured at the merchant platform. Surrounding whitespace (a
    /// trailing newline in a key file) is ignored; anything but 32 bytes is rejected.
    public init(_ text: String) throws(WeChatPayConfigurationError) {
        let bytes = Array(text.trimmingWhitespace().utf8)
        guard bytes.count == 32 else { throw .invalidAPIv3Key(source: "text", byteCount: bytes.count) }
        self.symmetricKey = SymmetricKey(data: bytes)
    }

    public var description: String { "APIv3Key(<redacted>)" }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: [:]) }
}

extension String {
    /// The string without leading and trailing spaces, tabs and line breaks.
    func trimmingWhitespace() -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" }
        guard let first = firstIndex(where: { !isSpace($0) }), let last = lastIndex(where: { !isSpace($0) }) else {
            return ""
        }
        return String(self[first...last])
    }
}
