/// Which keys a merchant trusts to have signed WeChat Pay's responses.
public enum WeChatTrustMode: Sendable {
    /// Platform certificates downloaded from `/v3/certificates` (the older scheme).
    case platformCertificates
    /// Only the WeChat Pay public key (new merchants, whose `/v3/certificates` is 404).
    case publicKey(WeChatPayPublicKey)
    /// Migration: responses signed by either; each is routed by its `Wechatpay-Serial`.
    case mixed(WeChatPayPublicKey)

    var publicKey: WeChatPayPublicKey? {
        switch self {
        case .platformCertificates: nil
        case .publicKey(let key), .mixed(let key): key
        }
    }

    var usesPlatformCertificates: Bool {
        if case .publicKey = self { return false }
        return true
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
