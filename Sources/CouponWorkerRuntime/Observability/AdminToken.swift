import Crypto
import Foundation

/// The bearer token that opens `/requests/{out_request_no}` — idempotency records, which hold
/// customer data (openids, coupon codes) — to on-call operators.
///
/// Read from a file (a Kubernetes Secret, a compose volume), never from the command line or
/// the JSON config. Only its SHA-256 digest is kept, and a presented token is compared by
/// digest in constant time: the comparison's duration depends on neither the token nor how
/// much of it a guess got right. A secret: `description`, `debugDescription` and reflection
/// never show it (nor its digest), so it cannot reach a log line, an error or `/metrics`.
public struct AdminToken: Sendable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    private let digest: SHA256.Digest

    /// Takes the token as written in its file: surrounding spaces, tabs and line breaks (the
    /// trailing newline of `echo … > file`) are not part of it; nothing else may be empty.
    init(fileContents: some Collection<UInt8>, path: String) throws(AdminTokenError) {
        let token = Self.trimmed(Array(fileContents))
        guard !token.isEmpty else { throw .empty(path: path) }
        digest = SHA256.hash(data: token)
    }

    /// Reads the token from `path`.
    static func load(file path: String) throws(AdminTokenError) -> AdminToken {
        guard let contents = FileManager.default.contents(atPath: path) else { throw .unreadable(path: path) }
        return try AdminToken(fileContents: contents, path: path)
    }

    /// Whether `authorization` — a request's `Authorization` header — is `Bearer <this token>`
    /// (the scheme in any case, RFC 9110 §11.1).
    func accepts(authorization: String?) -> Bool {
        guard let authorization else { return false }
        let scheme = "bearer "
        let bytes = Array(authorization.utf8)
        guard bytes.count > scheme.utf8.count,
            String(decoding: bytes[..<scheme.utf8.count], as: UTF8.self).lowercased() == scheme
        else { return false }
        let presented = Self.trimmed(Array(bytes[scheme.utf8.count...]))
        guard !presented.isEmpty else { return false }
        return Self.constantTimeEqual(SHA256.hash(data: presented), digest)
    }

    /// Compares every byte of two equal-length digests whatever the first difference.
    private static func constantTimeEqual(_ a: SHA256.Digest, _ b: SHA256.Digest) -> Bool {
        var difference: UInt8 = 0
        for (x, y) in zip(a, b) { difference |= x ^ y }
        return difference == 0
    }

    private static func trimmed(_ bytes: [UInt8]) -> ArraySlice<UInt8> {
        let isSpace: (UInt8) -> Bool = { $0 == 0x20 || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D }
        guard let first = bytes.firstIndex(where: { !isSpace($0) }), let last = bytes.lastIndex(where: { !isSpace($0) })
        else { return [] }
        return bytes[first...last]
    }

    public var description: String { "AdminToken(<redacted>)" }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: [:]) }
}

/// Why the admin token file cannot be used: the start is refused (exit 78) with this line.
/// Names the file, never its content.
enum AdminTokenError: Error, Equatable, CustomStringConvertible {
    /// The file does not exist or this process may not read it.
    case unreadable(path: String)
    /// The file holds nothing but whitespace: a Secret that was never filled in, not a wish
    /// for no token (that is said by leaving the setting out).
    case empty(path: String)

    var description: String {
        switch self {
        case .unreadable(let path): "http.admin_token_file (COUPON_HTTP_ADMIN_TOKEN_FILE) \(path): cannot be read"
        case .empty(let path): "http.admin_token_file (COUPON_HTTP_ADMIN_TOKEN_FILE) \(path): is empty"
        }
    }
}
