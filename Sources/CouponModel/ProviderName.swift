/// The coupon providers the worker talks to.
public enum ProviderName: String, Sendable, Hashable, Codable, CaseIterable {
    /// WeChat Pay merchant coupons (busifavor), APIv3.
    case wechat
    /// zvcms, the Qmai open platform.
    case zvcms
}
