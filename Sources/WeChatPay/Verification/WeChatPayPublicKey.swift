import _CryptoExtras

/// The WeChat Pay public key (`pub_key.pem` from the merchant platform) and its id
/// (`PUB_KEY_ID_` + digits), which responses signed with it carry in `Wechatpay-Serial`.
public struct WeChatPayPublicKey: Sendable {
    public let id: String
    public let key: _RSA.Signing.PublicKey

    /// Checks the id's form and reads the PEM (`BEGIN PUBLIC KEY`).
    public init(id: String, pem: String) throws(WeChatPayConfigurationError) {
        try self.init(id: id, pem: pem, source: "PEM text")
    }

    init(id: String, pem: String, source: String) throws(WeChatPayConfigurationError) {
        guard Self.isValidID(id) else { throw .invalidPublicKeyID(id) }
        do {
            self.key = try _RSA.Signing.PublicKey(pemRepresentation: pem)
        } catch {
            throw .invalidPublicKey(source: source)
        }
        self.id = id
    }

    /// Whether `id` has the form `PUB_KEY_ID_` + one or more digits.
    public static func isValidID(_ id: String) -> Bool {
        guard id.hasPrefix(prefix) else { return false }
        let digits = id.dropFirst(prefix.count)
        return !digits.isEmpty && digits.allSatisfy { $0.isASCII && $0.isNumber }
    }

    static let prefix = "PUB_KEY_ID_"
}
