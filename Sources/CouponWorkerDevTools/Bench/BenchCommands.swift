import CouponSandbox

/// The commands the scenarios send: valid issues the sandboxes accept, each with its own
/// out_request_no (so every one is a real provider call, never a replay).
enum BenchCommands {
    /// A zvcms coupon issue.
    static func zvcmsIssue(_ outRequestNo: String) -> [UInt8] {
        Array(ProviderSandboxes.SampleCommands.zvcmsIssue(outRequestNo).utf8)
    }

    /// A WeChat merchant-coupon send. The stock allows 1,000 coupons per user, so the
    /// openid changes every 500 commands.
    static func wechatIssue(_ outRequestNo: String, index: Int) -> [UInt8] {
        let openid = "oBenchUser" + String(index / 500).leftPadded(to: 18)
        return Array(ProviderSandboxes.SampleCommands.wechatIssue(
            outRequestNo, openid: openid, merchant: ProviderSandboxes.Identities.mchid).utf8)
    }

    /// `BENCH-<run>-<index>`, unique across runs against the same store.
    static func outRequestNo(run: String, index: Int) -> String {
        "BENCH-\(run)-\(String(index).leftPadded(to: 7))"
    }
}

extension String {
    /// Zero-padded on the left to `width` characters.
    fileprivate func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
