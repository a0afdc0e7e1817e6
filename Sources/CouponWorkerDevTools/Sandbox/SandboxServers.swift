import CouponSandbox
import CouponWorkerRuntime
import Foundation
import Logging

/// `coupon-worker sandbox`: both provider sandboxes on loopback (or any host), with fresh
/// keys written for a worker; with an admin port, also `SandboxAdminAPI` on loopback so
/// another process can set faults and read what was issued.
public enum SandboxServers {
    /// Runs until SIGINT/SIGTERM, after printing the `COUPON_*` lines a worker needs.
    public static func run(
        host: String, wechatPort: Int, zvcmsPort: Int, keysDir: String, forgetDuplicates: Bool, adminPort: Int?
    ) async throws {
        LoggingSetup.bootstrap(format: nil, level: "notice")
        let sandboxes = try await ProviderSandboxes.start(
            host: host, wechatPort: wechatPort, zvcmsPort: zvcmsPort,
            keysDirectory: URL(fileURLWithPath: keysDir), forgetDuplicates: forgetDuplicates)
        let ids = ProviderSandboxes.Identities.self
        let files = sandboxes.keyFiles
        let banner = """
            WeChat Pay sandbox: \(sandboxes.wechatBaseURL)   (public-key trust mode)
            zvcms sandbox:      \(sandboxes.zvcmsBaseURL)
            A worker calls them with:
              COUPON_WECHAT_BASE_URL=\(sandboxes.wechatBaseURL)
              COUPON_WECHAT_MCHID=\(ids.mchid)
              COUPON_WECHAT_CERT_SERIAL=\(ids.certificateSerial)
              COUPON_WECHAT_PRIVATE_KEY_FILE=\(files.wechatPrivateKey)
              COUPON_WECHAT_APIV3_KEY_FILE=\(files.wechatAPIv3Key)
              COUPON_WECHAT_PUBLIC_KEY_FILE=\(files.wechatPublicKey)
              COUPON_WECHAT_PUBLIC_KEY_ID=\(ids.publicKeyID)
              COUPON_ZVCMS_BASE_URL=\(sandboxes.zvcmsBaseURL)
              COUPON_ZVCMS_OPEN_ID=\(ids.zvcmsOpenID)
              COUPON_ZVCMS_GRANT_CODE=\(ids.zvcmsGrantCode)
              COUPON_ZVCMS_OPEN_KEY_FILE=\(files.zvcmsOpenKey)
            Sample data: WeChat stock \(ids.stockID) (appid \(ids.appid)); zvcms customer \(ids.zvcmsCustomerID), couponId \(ids.zvcmsCouponID).
            """
        if let adminPort {
            let logger = Logger(label: "coupon-worker.sandbox-admin")
            let api = SandboxAdminAPI(sandboxes: sandboxes)
            try await LoopbackControlServer(router: api.router(), port: adminPort, logger: logger).run { url in
                Console.line(banner)
                Console.line("admin: \(url)")
                Console.line("Ctrl-C to stop.")
                await Signals.waitForTermination()
            }
        } else {
            Console.line(banner)
            Console.line("Ctrl-C to stop.")
            await Signals.waitForTermination()
        }
        await sandboxes.stop()
    }
}
