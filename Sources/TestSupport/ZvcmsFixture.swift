import AsyncHTTPClient
import CouponModel
import CouponSandbox
import Logging
import Zvcms

/// A running zvcms sandbox and a client configured for it, over real HTTP on loopback.
///
/// Use `ZvcmsFixture.withRunning { fixture in … }`: the sandbox and HTTP client are shut
/// down when the body returns or throws. Credentials are the public fake ones of the
/// docs' test vector; the sandbox starts with one customer, one coupon template and one
/// coupon already issued.
public struct ZvcmsFixture: Sendable {
    public static let openID = "fake-open-id-for-test-only-0001"
    public static let grantCode = "fake-grant-code-0001"
    public static let openKey = "fake-open-key-for-test-only-0001"
    /// A member with a 19-digit id (beyond `Double`'s exact integers).
    public static let customerID = "9183933091455959041"
    public static let userCode = "MEMBER-0001"
    /// The issue call's `couponId` of the configured template, and its `templateId`.
    public static let couponID = "390913441022877696"
    public static let templateID = "952"
    /// A template usable only at `storeCode` for orders of at least 20 yuan.
    public static let storeOnlyCouponID = "390913441022877697"
    public static let storeOnlyTemplateID = "953"
    public static let storeCode = "aEtGbNNVQ3m1YStlySDB0Q"
    /// A coupon the customer already holds (template `couponID`).
    public static let existingCardID = "1390913445498200065"

    public let sandbox: ZvcmsSandbox
    public let httpClient: HTTPClient
    /// The account pointing at the sandbox (no client-side rate limit unless asked for).
    public let account: ZvcmsAccount

    /// The sandbox configuration the fixture starts with, in `scalarStyle`.
    public static func configuration(scalarStyle: ZvcmsSandbox.Configuration.ScalarStyle = .typed) -> ZvcmsSandbox.Configuration {
        ZvcmsSandbox.Configuration(
            accounts: [openID: .init(grantCode: grantCode, openKey: openKey)],
            customers: [.init(id: customerID, userCode: userCode)],
            templates: [
                .init(couponID: couponID, templateID: templateID, title: "奈雪联调专用现金券", amount: "5"),
                .init(
                    couponID: storeOnlyCouponID, templateID: storeOnlyTemplateID, title: "门店满20减3", amount: "3",
                    minimumOrderFen: 2000, stores: [storeCode]),
            ],
            coupons: [.init(cardID: existingCardID, couponID: couponID, customerID: customerID)],
            scalarStyle: scalarStyle,
            firstCardID: 1_390_913_445_498_300_001)
    }

    /// Starts a sandbox with `configuration` and an HTTP client, runs `body`, then stops both.
    public static func withRunning<T: Sendable>(
        configuration: ZvcmsSandbox.Configuration = ZvcmsFixture.configuration(),
        _ body: (ZvcmsFixture) async throws -> T
    ) async throws -> T {
        let sandbox = ZvcmsSandbox(configuration: configuration)
        let port = try await sandbox.start()
        let httpClient = HTTPClient()
        let account = ZvcmsAccount(
            openID: openID, grantCode: grantCode, openKey: OpenKey(openKey), baseURL: "http://127.0.0.1:\(port)")
        let fixture = ZvcmsFixture(sandbox: sandbox, httpClient: httpClient, account: account)
        let result: Result<T, any Error>
        do {
            result = .success(try await body(fixture))
        } catch {
            result = .failure(error)
        }
        try? await httpClient.shutdown()
        await sandbox.stop()
        return try result.get()
    }

    /// A client for the fixture's account (or `account`), with `timeout`.
    public func client(account: ZvcmsAccount? = nil, timeout: Duration = .seconds(10)) -> ZvcmsClient {
        ZvcmsClient(account: account ?? self.account, httpClient: httpClient, timeout: timeout)
    }

    /// The provider the worker would use for the fixture's account (or `account`).
    public func provider(account: ZvcmsAccount? = nil, timeout: Duration = .seconds(10)) -> ZvcmsCouponProvider {
        ZvcmsCouponProvider(client: client(account: account, timeout: timeout))
    }
}
