/// A merchant-coupon stock in the sandbox: who created it, its budget and per-user limit.
public struct WeChatSandboxStock: Sendable, Hashable {
    public var stockID: String
    public var stockName: String
    /// The creating merchant, also the belonging one here; only it may send from the stock.
    public var creatorMerchant: String
    public var maxCoupons: Int
    public var maxCouponsPerUser: Int
    /// `RUNNING`, `PAUSED`, `STOPED`, …; only `RUNNING` stocks send.
    public var state: String

    public init(
        stockID: String, stockName: String = "Sandbox stock", creatorMerchant: String, maxCoupons: Int = 1_000_000,
        maxCouponsPerUser: Int = 1_000, state: String = "RUNNING"
    ) {
        self.stockID = stockID
        self.stockName = stockName
        self.creatorMerchant = creatorMerchant
        self.maxCoupons = maxCoupons
        self.maxCouponsPerUser = maxCouponsPerUser
        self.state = state
    }
}
