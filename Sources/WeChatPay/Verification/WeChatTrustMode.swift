/// Which keys a merchant trusts to have signed WeChat Pay's responses.
public enum WeChatTrustMode: Sendable {
    /// Platform certificates downloaded from `/v3/certificates` (the older scheme).
    case platformCertificates
    /// The WeChat Pay public key (new merchants, whose `/v3/certificates` is 404). An answer
    /// signed under a platform serial (a merchant being migrated) makes the client download
    /// the platform certificates once, like any unknown serial, and route by serial after.
    case publicKey(WeChatPayPublicKey)
    /// Migration: responses signed by either; each is routed by its `Wechatpay-Serial`, and
    /// the certificates are downloaded up front and refreshed on schedule.
    case mixed(WeChatPayPublicKey)

    var publicKey: WeChatPayPublicKey? {
        switch self {
        case .platformCertificates: nil
        case .publicKey(let key), .mixed(let key): key
        }
    }

    /// A short name for logs and descriptions.
    public var name: String {
        switch self {
        case .platformCertificates: "platform-certificates"
        case .publicKey: "public-key"
        case .mixed: "mixed"
        }
    }
}
