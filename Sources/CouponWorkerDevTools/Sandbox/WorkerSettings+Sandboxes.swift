import CouponSandbox
import CouponWorkerRuntime

extension WorkerSettings {
    /// Points the provider profiles at `sandboxes`, with the key files they wrote: the WeChat
    /// merchant (public-key trust mode) and the zvcms account, replacing any configured ones.
    ///
    /// `demo`, `bench` and the test harness configure workers with this, then assemble them
    /// with `ProviderAssembly` / `WorkerRuntime`, as `run` does with a config file.
    /// `ratePerSecond` `nil` keeps each provider's default limit.
    public mutating func useSandboxes(
        _ sandboxes: ProviderSandboxes, wechat: Bool = true, zvcms: Bool = true, ratePerSecond: Double? = nil
    ) {
        let files = sandboxes.keyFiles
        let ids = ProviderSandboxes.Identities.self
        self.wechat.merchants = wechat
            ? [.init(
                mchid: ids.mchid, baseURL: sandboxes.wechatBaseURL, certSerial: ids.certificateSerial,
                privateKeyFile: files.wechatPrivateKey, apiV3KeyFile: files.wechatAPIv3Key,
                publicKeyFile: files.wechatPublicKey, publicKeyID: ids.publicKeyID, ratePerSecond: ratePerSecond)]
            : nil
        self.zvcms.accounts = zvcms
            ? [.init(
                openID: ids.zvcmsOpenID, grantCode: ids.zvcmsGrantCode, openKeyFile: files.zvcmsOpenKey,
                baseURL: sandboxes.zvcmsBaseURL, ratePerSecond: ratePerSecond)]
            : nil
    }
}
