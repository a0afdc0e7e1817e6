/// The signature headers of a WeChat Pay response: `Wechatpay-Timestamp`, `Wechatpay-Nonce`,
/// `Wechatpay-Signature` (Base64) and `Wechatpay-Serial` (which key signed it).
public struct ResponseSignature: Sendable, Hashable {
    public var timestamp: String
    public var nonce: String
    public var signature: String
    /// A platform certificate serial, or a `PUB_KEY_ID_…` for the WeChat Pay public key.
    public var serial: String

    public init(timestamp: String, nonce: String, signature: String, serial: String) {
        self.timestamp = timestamp
        self.nonce = nonce
        self.signature = signature
        self.serial = serial
    }

    /// Reads the four headers (names are case-insensitive) with `header(name)` returning the
    /// first value; names the first one missing.
    public init(header: (String) -> String?) throws(ResponseVerificationFailure) {
        func required(_ name: String) throws(ResponseVerificationFailure) -> String {
            guard let value = header(name), !value.isEmpty else { throw .missingHeader(name) }
            return value
        }
        self.timestamp = try required("Wechatpay-Timestamp")
        self.nonce = try required("Wechatpay-Nonce")
        self.signature = try required("Wechatpay-Signature")
        self.serial = try required("Wechatpay-Serial")
    }
}
