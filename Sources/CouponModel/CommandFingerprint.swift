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
        let digest = SHA256.hash(data: CanonicalJSON.bytes(of: document))
        self.hex = digest.map { byte in
            let s = String(byte, radix: 16)
            return s.count == 1 ? "0" + s : s
        }.joined()
    }

    public var description: String { hex }
}
