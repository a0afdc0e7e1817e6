import _CryptoExtras

/// How a `WeChatPaySandbox` behaves: who may call it, which keys sign its answers, and the
/// choices the public docs leave open.
public struct WeChatSandboxConfiguration: Sendable {
    /// A merchant allowed to call: its API certificate serial, the public half of its API
    /// key (verifies `Authorization`), and its APIv3 key (encrypts `/v3/certificates`).
    public struct Merchant: Sendable {
        public var certificateSerial: String
        public var publicKey: _RSA.Signing.PublicKey
        public var apiV3Key: String

        public init(certificateSerial: String, publicKey: _RSA.Signing.PublicKey, apiV3Key: String) {
            self.certificateSerial = certificateSerial
            self.publicKey = publicKey
            self.apiV3Key = apiV3Key
        }
    }

    /// Which keys sign responses.
    public enum TrustMode: Sendable {
        /// The newest platform certificate signs; `/v3/certificates` lists them all.
        case platformCertificates
        /// The WeChat Pay public key signs; `/v3/certificates` is `404 RESOURCE_NOT_EXISTS`.
        case publicKey(WeChatSandboxPublicKey)
        /// Migration: answers alternate between the public key and the newest platform
        /// certificate, so a client must route by `Wechatpay-Serial`.
        case mixed(WeChatSandboxPublicKey)
    }

    /// What `offset` means on the user-coupons list (unconfirmed upstream).
    public enum Paging: Sendable {
        case pageIndex
        case itemOffset
    }

    /// Merchants by mchid.
    public var merchants: [String: Merchant]
    /// Platform keys, oldest first; the last one signs. Rotation appends.
    public var platformKeys: [WeChatPlatformKey]
    public var trustMode: TrustMode
    /// The worst case: no server-side dedup, so a repeated `out_request_no` issues again.
    public var forgetDuplicates: Bool
    public var paging: Paging
    /// Request timestamps further than this from the sandbox clock fail with SIGN_ERROR.
    public var maxClockSkew: Int64
    /// How long `.timeoutAfterProcessing` holds an answer if `stop()` does not come first.
    public var holdBound: Duration

    public init(
        merchants: [String: Merchant], platformKeys: [WeChatPlatformKey], trustMode: TrustMode = .platformCertificates,
        forgetDuplicates: Bool = false, paging: Paging = .pageIndex, maxClockSkew: Int64 = 300,
        holdBound: Duration = .seconds(120)
    ) {
        self.merchants = merchants
        self.platformKeys = platformKeys
        self.trustMode = trustMode
        self.forgetDuplicates = forgetDuplicates
        self.paging = paging
        self.maxClockSkew = maxClockSkew
        self.holdBound = holdBound
    }
}
