import _CryptoExtras

/// The "WeChat Pay public key" of the public-key trust mode: the sandbox keeps the private
/// half to sign responses; merchants get `pemRepresentation` (their `pub_key.pem`) and `id`.
public struct WeChatSandboxPublicKey: Sendable {
    /// `PUB_KEY_ID_` + digits, sent as `Wechatpay-Serial`.
    public let id: String
    let privateKey: _RSA.Signing.PrivateKey

    /// The `pub_key.pem` a merchant downloads (SubjectPublicKeyInfo PEM).
    public var pemRepresentation: String { privateKey.publicKey.pemRepresentation }

    public init(id: String, privateKey: _RSA.Signing.PrivateKey) {
        self.id = id
        self.privateKey = privateKey
    }

    /// A fresh RSA-2048 key with a random `PUB_KEY_ID_` id.
    public static func generate() throws -> WeChatSandboxPublicKey {
        let digits = (0..<28).map { _ in String(Int.random(in: 0...9)) }.joined()
        return WeChatSandboxPublicKey(id: "PUB_KEY_ID_01" + digits, privateKey: try _RSA.Signing.PrivateKey(keySize: .bits2048))
    }

    func sign(_ message: [UInt8]) throws -> String {
        try privateKey.signature(for: message, padding: .insecurePKCS1v1_5).rawRepresentation.base64EncodedString()
    }
}
