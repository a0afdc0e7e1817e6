/// A coupon the sandbox issued (or was seeded with): what a user's wallet holds.
public struct WeChatSandboxCoupon: Sendable, Hashable {
    public var couponCode: String
    public var stockID: String
    public var openid: String
    public var appid: String
    /// The mchid that sent it (`sender_merchant`).
    public var senderMerchant: String
    /// The `out_request_no` it was issued under.
    public var sendRequestNo: String
    /// `SENDED`, `USED`, `EXPIRED`, or any other string (to test open enums).
    public var state: String
    public var couponType: String
    public var receiveTime: String

    public init(
        couponCode: String, stockID: String, openid: String, appid: String, senderMerchant: String,
        sendRequestNo: String, state: String = "SENDED", couponType: String = "NORMAL", receiveTime: String
    ) {
        self.couponCode = couponCode
        self.stockID = stockID
        self.openid = openid
        self.appid = appid
        self.senderMerchant = senderMerchant
        self.sendRequestNo = sendRequestNo
        self.state = state
        self.couponType = couponType
        self.receiveTime = receiveTime
    }
}
