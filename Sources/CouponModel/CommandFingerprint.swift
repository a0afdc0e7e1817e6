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
        // The canonical JSON of {provider, operation, merchant, params}, its keys in order.
        let canonical = CanonicalJSON.bytes(ofSortedMembers: [
            "merchant": .string(merchant),
            "operation": .string(command.operation.rawValue),
            "params": .object(command.params),
            "provider": .string(command.provider.rawValue),
        ])
        self.hex = Self.sha256Hex(canonical)
    }

    /// The SHA-256 of a raw message, for a message that never became a `CouponCommand`:
    /// it tells a redelivery of the same bad bytes from different bad bytes under one
    /// out_request_no (see `ResultEvent.rejected`).
    public init(messageBytes: [UInt8]) {
        self.hex = Self.sha256Hex(messageBytes)
    }

    private static func sha256Hex(_ bytes: [UInt8]) -> String {
        SHA256.hash(data: bytes).withUnsafeBytes { LowercaseHex.text($0) }
    }

    public var description: String { hex }
}
