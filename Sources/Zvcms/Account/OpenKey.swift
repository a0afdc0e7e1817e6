import Foundation

/// The zvcms openKey: the HMAC secret issued with an openId and grantCode.
///
/// It is never sent and never printed: `description`, `debugDescription` and the mirror
/// show only that a key is present, so it cannot leak through logs, errors or `dump`.
public struct OpenKey: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    let bytes: Data

    /// Wraps the secret text. Surrounding whitespace (a trailing newline in a key file) is dropped.
    public init(_ secret: String) {
        self.bytes = Data(secret.trimmingCharacters(in: .whitespacesAndNewlines).utf8)
    }

    /// Whether the key is empty (an empty file or variable is a configuration error).
    public var isEmpty: Bool { bytes.isEmpty }

    public var description: String { "OpenKey(redacted)" }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: [], displayStyle: .struct) }
}
