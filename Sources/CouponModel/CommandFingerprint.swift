import Crypto

/// SHA-256 (lower-case hex) of the canonical JSON of provider, operation, merchant and params.
///
/// Equal fingerprints under one idempotency key mean "the same command again" (replay);
/// different ones mean a conflicting reuse of the out_request_no.
public struct CommandFingerprint: Sendable, Hashable, Codable, CustomStringConvertible {
    public var hex: String

    public init(hex: String) { self.hex = hex }

    /// The fingerprint of `command`, with `merchant` the resolved profile id.
    public init(command: CouponCommand, merchant: String) {
        let document: JSONValue = .object([
            "provider": .string(command.provider.rawValue),
            "operation": .string(command.operation.rawValue),
            "merchant": .string(merchant),
            "params": .object(command.params),
        ])
        self.hex = Self.sha256Hex(CanonicalJSON.bytes(of: document))
    }

    /// The SHA-256 of a raw message, for a message that never became a `CouponCommand`:
    /// it tells a redelivery of the same bad bytes from different bad bytes under one
    /// out_request_no (see `ResultEvent.rejected`).
    public init(messageBytes: [UInt8]) {
        self.hex = Self.sha256Hex(messageBytes)
    }

    private static func sha256Hex(_ bytes: [UInt8]) -> String {
        LowercaseHex.text(Array(SHA256.hash(data: bytes)))
    }

    public var description: String { hex }
}
