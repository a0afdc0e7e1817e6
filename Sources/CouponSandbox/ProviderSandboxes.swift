import Foundation
import Logging
import _CryptoExtras

/// Both provider sandboxes, started with fresh keys, and the files a worker needs to call
/// them: what `coupon-worker sandbox` and `demo` run, and what the worker's tests call.
///
/// Identities are fixed (`Identities`), so a worker can be configured before the sandbox
/// starts (deploy/compose.yaml does); keys are generated anew every start. WeChat Pay runs
/// in public-key trust mode; zvcms with one account.
public final class ProviderSandboxes: Sendable {
    /// The ids a worker is configured with. Not secrets.
    public enum Identities {
        public static let mchid = "1900000001"
        public static let certificateSerial = "5157F09EFDC096DE15EBE81A47057A7232F1B8E1"
        public static let publicKeyID = "PUB_KEY_ID_0119000000012026112400000000000001"
        public static let appid = "wx1234567890abcdef"
        public static let stockID = "1212000001"
        public static let zvcmsOpenID = "sandbox-open-id"
        public static let zvcmsGrantCode = "sandbox-grant-code"
        /// A zvcms member (19 digits, as production ids are).
        public static let zvcmsCustomerID = "9183933091455959041"
        /// A zvcms coupon template's `couponId`.
        public static let zvcmsCouponID = "390913441022877696"
        public static let zvcmsTemplateID = "952"
    }

    /// Commands against the sample data of `Identities`, as an order system would send them.
    public enum SampleCommands {
        /// A WeChat `product_coupon.send`; `merchant` left out uses the only profile.
        public static func wechatIssue(
            _ outRequestNo: String, openid: String = "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o", merchant: String? = nil
        ) -> String {
            let merchantField = merchant.map { #""merchant":"\#($0)","# } ?? ""
            return #"{"out_request_no":"\#(outRequestNo)","provider":"wechat","operation":"product_coupon.send",\#(merchantField)"params":{"openid":"\#(openid)","appid":"\#(Identities.appid)","stock_id":"\#(Identities.stockID)","coupon_type":"NORMAL"}}"#
        }

        /// A zvcms `coupon.issue` of one coupon of the sample template to the sample member.
        public static func zvcmsIssue(_ outRequestNo: String) -> String {
            #"{"out_request_no":"\#(outRequestNo)","provider":"zvcms","operation":"coupon.issue","params":{"couponId":"\#(Identities.zvcmsCouponID)","customerId":"\#(Identities.zvcmsCustomerID)","num":1}}"#
        }
    }

    /// Where the secrets were written (mode 0600).
    public struct KeyFiles: Sendable {
        /// The merchant API private key (`apiclient_key.pem`).
        public var wechatPrivateKey: String
        /// The 32-byte APIv3 key.
        public var wechatAPIv3Key: String
        /// The WeChat Pay public key (`pub_key.pem`).
        public var wechatPublicKey: String
        /// The zvcms openKey.
        public var zvcmsOpenKey: String
    }

    public let wechat: WeChatPaySandbox
    public let zvcms: ZvcmsSandbox
    public let wechatBaseURL: String
    public let zvcmsBaseURL: String
    public let keyFiles: KeyFiles

    private init(wechat: WeChatPaySandbox, zvcms: ZvcmsSandbox, wechatBaseURL: String, zvcmsBaseURL: String, keyFiles: KeyFiles) {
        self.wechat = wechat
        self.zvcms = zvcms
        self.wechatBaseURL = wechatBaseURL
        self.zvcmsBaseURL = zvcmsBaseURL
        self.keyFiles = keyFiles
    }

    /// Generates keys into `keysDirectory` and starts both sandboxes on `host`.
    /// `forgetDuplicates`: WeChat issues anew for a repeated out_request_no, so only the
    /// worker's own guard prevents a double issue (zvcms never dedupes, as in production).
    public static func start(
        host: String = "127.0.0.1", wechatPort: Int = 0, zvcmsPort: Int = 0, keysDirectory: URL,
        forgetDuplicates: Bool = false, logger: Logger = Logger(label: "coupon-sandbox")
    ) async throws -> ProviderSandboxes {
        let merchantKey = try _RSA.Signing.PrivateKey(keySize: .bits2048)
        let credentials = WeChatSandboxMerchantCredentials(
            mchid: Identities.mchid, certificateSerial: Identities.certificateSerial,
            privateKeyPEM: merchantKey.pkcs8PEMRepresentation, apiV3Key: randomAlphanumerics(32),
            publicKey: merchantKey.publicKey)
        let publicKey = WeChatSandboxPublicKey(
            id: Identities.publicKeyID, privateKey: try _RSA.Signing.PrivateKey(keySize: .bits2048))
        let openKey = randomAlphanumerics(32)

        try FileManager.default.createDirectory(at: keysDirectory, withIntermediateDirectories: true)
        func write(_ name: String, _ text: String) throws -> String {
            let url = keysDirectory.appendingPathComponent(name)
            try Data(text.utf8).write(to: url, options: .atomic)
            try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: url.path)
            return url.path
        }
        let files = KeyFiles(
            wechatPrivateKey: try write("apiclient_key.pem", credentials.privateKeyPEM),
            wechatAPIv3Key: try write("apiv3_key", credentials.apiV3Key),
            wechatPublicKey: try write("wechatpay_public_key.pem", publicKey.pemRepresentation),
            zvcmsOpenKey: try write("zvcms_open_key", openKey))

        let wechat = WeChatPaySandbox(
            configuration: WeChatSandboxConfiguration(
                merchants: [Identities.mchid: credentials.merchant], platformKeys: [], trustMode: .publicKey(publicKey),
                forgetDuplicates: forgetDuplicates),
            logger: logger)
        wechat.addStock(WeChatSandboxStock(stockID: Identities.stockID, creatorMerchant: Identities.mchid))
        let zvcms = ZvcmsSandbox(
            configuration: ZvcmsSandbox.Configuration(
                accounts: [Identities.zvcmsOpenID: .init(grantCode: Identities.zvcmsGrantCode, openKey: openKey)],
                customers: [.init(id: Identities.zvcmsCustomerID, userCode: "MEMBER-0001")],
                templates: [
                    .init(couponID: Identities.zvcmsCouponID, templateID: Identities.zvcmsTemplateID, title: "满20减5", amount: "5",
                          minimumOrderFen: 2000)
                ]),
            logger: logger)
        let boundWeChat = try await wechat.start(host: host, port: wechatPort)
        let boundZvcms: Int
        do {
            boundZvcms = try await zvcms.start(host: host, port: zvcmsPort)
        } catch {
            await wechat.stop()
            throw error
        }
        let advertised = host == "0.0.0.0" ? "127.0.0.1" : host
        return ProviderSandboxes(
            wechat: wechat, zvcms: zvcms, wechatBaseURL: "http://\(advertised):\(boundWeChat)",
            zvcmsBaseURL: "http://\(advertised):\(boundZvcms)", keyFiles: files)
    }

    /// Stops both sandboxes.
    public func stop() async {
        await wechat.stop()
        await zvcms.stop()
    }

    /// How many coupons were really created under `outRequestNo`, at either provider.
    public func issuanceCount(outRequestNo: String) -> Int {
        wechat.issuanceCount(outRequestNo: outRequestNo) + zvcms.issuanceCount(outRequestNo: outRequestNo)
    }

    /// How many times each out_request_no was issued, per provider.
    public struct IssuanceCounts: Sendable, Hashable, Encodable {
        /// out_request_no → coupons created under it at WeChat Pay (only keys issued at least once).
        public var wechat: [String: Int]
        /// bizId (= out_request_no) → accepted issue requests at zvcms (only keys issued at least once).
        public var zvcms: [String: Int]
    }

    /// Every out_request_no issued so far, with its count at each provider: what an
    /// out-of-process test checks "never issued twice" against, without knowing the keys.
    public func issuanceCounts() -> IssuanceCounts {
        // Every accepted issue creates at least one coupon carrying its out_request_no (WeChat
        // `send_request_no`, zvcms `bizId`) for a configured customer, so the coupons name every
        // key issued; the sandboxes' own counters then say how often.
        var counts = IssuanceCounts(wechat: [:], zvcms: [:])
        for key in Set(wechat.coupons.map(\.sendRequestNo)) {
            let count = wechat.issuanceCount(outRequestNo: key)
            if count > 0 { counts.wechat[key] = count }
        }
        let zvcmsCoupons = zvcms.configuration.customers.flatMap { zvcms.coupons(ofCustomer: $0.id) }
        for key in Set(zvcmsCoupons.compactMap(\.bizID)) {
            let count = zvcms.issuanceCount(outRequestNo: key)
            if count > 0 { counts.zvcms[key] = count }
        }
        return counts
    }

    private static func randomAlphanumerics(_ count: Int) -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
        var generator = SystemRandomNumberGenerator()
        return String((0..<count).map { _ in alphabet.randomElement(using: &generator)! })
    }
}
