import AsyncHTTPClient
import CouponModel
import CouponWorker
import Logging
import WeChatPay
import Zvcms

/// Turns the merchant profiles of the settings into provider routes, collecting every
/// problem (missing key file, unreadable PEM, bad URL) as one line each.
///
/// The one place provider clients are built: `run`, `demo`, `bench` and the test harness all
/// get their routes here, so what a test exercises is what production runs.
public enum ProviderAssembly {
    /// Requests/s of a WeChat merchant without `rate_per_second`.
    public static let defaultWeChatRate = 500.0
    /// zvcms's documented limit: 10 requests/s per endpoint per account.
    public static let defaultZvcmsRate = 10.0

    /// A profile's limiter: calls spaced at `rate` per second, at most a hundredth of a
    /// second's worth at once (one call at zvcms's 10/s). A bucket that stores a second's worth
    /// of tokens lets twice the rate through in one second (the stored burst plus the refill),
    /// and zvcms documents its limit as 10 requests/s; a bucket of one would make every call
    /// at a high rate (a benchmark's) wait microseconds on a timer.
    static func limiter(_ rate: Double) -> TokenBucket<ContinuousClock> {
        TokenBucket(ratePerSecond: rate, burst: max(1, Int(rate / 100)), clock: ContinuousClock())
    }

    /// The routes of every profile in `settings`, their clients sharing `httpClient` (the
    /// caller owns it and shuts it down). Throws every problem at once.
    public static func directory(
        _ settings: WorkerSettings, httpClient: HTTPClient, timeout: Duration, logger: Logger
    ) throws(ConfigurationProblems) -> ProviderDirectory {
        var problems: [String] = []
        var directory = ProviderDirectory()
        for (index, m) in (settings.wechat.merchants ?? []).enumerated() {
            let name = "wechat.merchants[\(index)]"
            guard let mchid = m.mchid, let serial = m.certSerial, let keyFile = m.privateKeyFile,
                let apiV3KeyFile = m.apiV3KeyFile
            else {
                problems.append("\(name): mchid, cert_serial, private_key_file and apiv3_key_file are required")
                continue
            }
            do {
                let profile = try WeChatMerchantProfile.load(
                    mchid: mchid, certificateSerial: serial, privateKeyFile: keyFile, apiV3KeyFile: apiV3KeyFile,
                    publicKeyFile: m.publicKeyFile, publicKeyID: m.publicKeyID,
                    baseURL: m.baseURL ?? WeChatMerchantProfile.primaryBaseURL, backupBaseURL: m.backupBaseURL)
                let client = WeChatCouponProvider(client: WeChatPayClient(
                    profile: profile, httpClient: httpClient, configuration: .init(timeout: timeout), logger: logger))
                let rate = m.ratePerSecond ?? defaultWeChatRate
                directory.add(.init(merchant: mchid, client: client, limiter: limiter(rate)), for: .wechat)
            } catch {
                problems.append("\(name) (\(mchid)): \(error)")
            }
        }
        for (index, a) in (settings.zvcms.accounts ?? []).enumerated() {
            let name = "zvcms.accounts[\(index)]"
            guard let openID = a.openID, let grantCode = a.grantCode, let keyFile = a.openKeyFile else {
                problems.append("\(name): open_id, grant_code and open_key_file are required")
                continue
            }
            do {
                // zvcms allows 10 requests/s per endpoint per account. One bucket per account,
                // one token per request (every zvcms attempt is one call), keeps every
                // endpoint within it: all of them together stay under the rate. The client
                // has no limiter of its own, so no call waits in two buckets.
                let rate = a.ratePerSecond ?? defaultZvcmsRate
                let account = try ZvcmsAccount.load(
                    openID: openID, grantCode: grantCode, openKeyFile: keyFile,
                    baseURL: a.baseURL ?? "https://openapi.qmai.cn", endpoints: endpoints(a.endpoints))
                let client = ZvcmsCouponProvider(account: account, httpClient: httpClient, timeout: timeout, logger: logger)
                directory.add(.init(merchant: openID, client: client, limiter: limiter(rate)), for: .zvcms)
            } catch {
                problems.append("\(name) (\(openID)): \(error)")
            }
        }
        if directory.merchants(of: .wechat).isEmpty && directory.merchants(of: .zvcms).isEmpty && problems.isEmpty {
            problems.append("no provider profile: configure wechat.merchants or zvcms.accounts (or COUPON_WECHAT_* / COUPON_ZVCMS_*)")
        }
        guard problems.isEmpty else { throw ConfigurationProblems(problems) }
        return directory
    }

    /// zvcms's defaults with what `settings` overrides.
    static func endpoints(_ settings: WorkerSettings.ZvcmsEndpointSettings?) -> ZvcmsEndpoints {
        var endpoints = ZvcmsEndpoints()
        guard let settings else { return endpoints }
        if let value = settings.v2Path { endpoints.v2Path = value }
        if let value = settings.v3Prefix { endpoints.v3Prefix = value }
        if let value = settings.userUseCouponAction { endpoints.userUseCouponAction = value }
        if let value = settings.customerCouponsPath { endpoints.customerCouponsPath = value }
        if let value = settings.couponStatusPath { endpoints.couponStatusPath = value }
        if let value = settings.issuePath { endpoints.issuePath = value }
        if let fields = settings.issueFields {
            if let value = fields.bizID { endpoints.issueFields.bizID = value }
            if let value = fields.couponID { endpoints.issueFields.couponID = value }
            if let value = fields.customerID { endpoints.issueFields.customerID = value }
            if let value = fields.num { endpoints.issueFields.num = value }
            if let value = fields.thirdChannel { endpoints.issueFields.thirdChannel = value }
        }
        return endpoints
    }
}
