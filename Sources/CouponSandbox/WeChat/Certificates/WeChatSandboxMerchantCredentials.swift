import _CryptoExtras

/// A made-up merchant for tests and demos: an API key pair, its certificate serial and an
/// APIv3 key. The sandbox gets `merchant`; the client gets `privateKeyPEM` and `apiV3Key`.
///
/// Test credentials only, but still treated as secrets: the description shows the mchid.
public struct WeChatSandboxMerchantCredentials: Sendable, CustomStringConvertible {
    public let mchid: String
    public let certificateSerial: String
    /// PKCS#8 PEM, as `apiclient_key.pem` is.
    public let privateKeyPEM: String
    public let apiV3Key: String
    public let publicKey: _RSA.Signing.PublicKey

    /// Fresh RSA-2048 keys, a random 40-hex-digit serial and a random 32-character APIv3 key.
    public static func generate(mchid: String) throws -> WeChatSandboxMerchantCredentials {
        let key = try _RSA.Signing.PrivateKey(keySize: .bits2048)
        let hex = Array("0123456789ABCDEF")
        let alphanumerics = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
        return WeChatSandboxMerchantCredentials(
            mchid: mchid, certificateSerial: String((0..<40).map { _ in hex.randomElement()! }),
            privateKeyPEM: key.pkcs8PEMRepresentation,
            apiV3Key: String((0..<32).map { _ in alphanumerics.randomElement()! }), publicKey: key.publicKey)
    }

    /// What the sandbox configuration needs to know about this merchant.
    public var merchant: WeChatSandboxConfiguration.Merchant {
        WeChatSandboxConfiguration.Merchant(certificateSerial: certificateSerial, publicKey: publicKey, apiV3Key: apiV3Key)
    }

    public var description: String { "WeChatSandboxMerchantCredentials(mchid: \(mchid), keys: <redacted>)" }
}
