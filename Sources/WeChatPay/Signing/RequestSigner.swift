/// Signs requests the way WeChat Pay APIv3 checks them.
///
/// The string to sign is five lines, each ending in `\n`:
/// `METHOD\nPATH_AND_QUERY\nTIMESTAMP\nNONCE\nBODY\n`, where PATH_AND_QUERY and BODY must be
/// byte-identical to what goes on the wire. The signature is RSASSA-PKCS1-v1_5 / SHA-256 with
/// the merchant API key, standard Base64, carried in
/// `Authorization: WECHATPAY2-SHA256-RSA2048 mchid="…",nonce_str="…",timestamp="…",serial_no="…",signature="…"`.
public struct RequestSigner: Sendable {
    /// The authorization scheme WeChat Pay APIv3 uses.
    public static let scheme = "WECHATPAY2-SHA256-RSA2048"

    public let mchid: String
    /// Serial of the merchant API certificate (not of a platform certificate).
    public let certificateSerial: String
    private let privateKey: MerchantPrivateKey

    public init(mchid: String, certificateSerial: String, privateKey: MerchantPrivateKey) {
        self.mchid = mchid
        self.certificateSerial = certificateSerial
        self.privateKey = privateKey
    }

    /// The exact bytes that are signed for one request.
    public static func message(
        method: String, pathAndQuery: String, timestamp: Int64, nonce: String, body: [UInt8]
    ) -> [UInt8] {
        SignedLines.message([
            ArraySlice(method.uppercased().utf8), ArraySlice(pathAndQuery.utf8), ArraySlice(String(timestamp).utf8),
            ArraySlice(nonce.utf8), body[...],
        ])
    }

    /// The Base64 signature of one request.
    public func signature(
        method: String, pathAndQuery: String, timestamp: Int64, nonce: String, body: [UInt8]
    ) throws(WeChatPayError) -> String {
        let message = Self.message(method: method, pathAndQuery: pathAndQuery, timestamp: timestamp, nonce: nonce, body: body)
        return try privateKey.base64Signature(for: message)
    }

    /// The `Authorization` header value of one request.
    public func authorization(
        method: String, pathAndQuery: String, timestamp: Int64, nonce: String, body: [UInt8]
    ) throws(WeChatPayError) -> String {
        let signature = try signature(method: method, pathAndQuery: pathAndQuery, timestamp: timestamp, nonce: nonce, body: body)
        return "\(Self.scheme) mchid=\"\(mchid)\",nonce_str=\"\(nonce)\",timestamp=\"\(timestamp)\","
            + "serial_no=\"\(certificateSerial)\",signature=\"\(signature)\""
    }

    /// A fresh nonce: 32 upper-case hex digits from the system's secure generator, as the
    /// official SDKs send. Two draws of 64 bits (each draw is a `getrandom` system call on
    /// Linux; one per digit made 32 of them per request).
    public static func makeNonce() -> String {
        var generator = SystemRandomNumberGenerator()
        let words: (UInt64, UInt64) = (generator.next(), generator.next())
        return String(unsafeUninitializedCapacity: 32) { digits in
            for index in 0..<32 {
                let word = index < 16 ? words.0 : words.1
                let nibble = UInt8(truncatingIfNeeded: word >> UInt64(4 * (index % 16))) & 0x0F
                digits[index] = nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "A") + nibble - 10
            }
            return 32
        }
    }
}
