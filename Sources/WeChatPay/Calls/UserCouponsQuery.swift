/// The filters of `GET /v3/marketing/busifavor/users/{openid}/coupons` (seed 000).
///
/// WeChat Pay requires `appid` and at least one of the three merchant filters
/// (`400 PARAM_ERROR` otherwise, docs/wechatpay-v3.md). A command may leave the merchant
/// filter open: `defaultingSenderMerchant(to:)` fills `sender_merchant` from the merchant
/// profile, as `WeChatCouponProvider` does and as reconciliation always has.
public struct UserCouponsQuery: Sendable, Hashable {
    public var openid: String
    public var appid: String
    public var stockID: String?
    public var couponState: CouponState?
    public var creatorMerchant: String?
    public var belongMerchant: String?
    public var senderMerchant: String?
    /// Which page (see `WeChatPayClient.Configuration.pagingConvention`).
    public var offset: Int?
    /// Page size (WeChat Pay: at most 50, default 20).
    public var limit: Int?

    public init(
        openid: String, appid: String, stockID: String? = nil, couponState: CouponState? = nil,
        creatorMerchant: String? = nil, belongMerchant: String? = nil, senderMerchant: String? = nil,
        offset: Int? = nil, limit: Int? = nil
    ) {
        self.openid = openid
        self.appid = appid
        self.stockID = stockID
        self.couponState = couponState
        self.creatorMerchant = creatorMerchant
        self.belongMerchant = belongMerchant
        self.senderMerchant = senderMerchant
        self.offset = offset
        self.limit = limit
    }

    /// The request target: `openid` percent-encoded as one path segment, filters in the
    /// order the API lists them.
    var target: RequestTarget {
        RequestTarget(
            ["v3", "marketing", "busifavor", "users", .parameter(openid), "coupons"],
            query: [
                ("appid", appid), ("stock_id", stockID), ("coupon_state", couponState?.rawValue),
                ("creator_merchant", creatorMerchant), ("belong_merchant", belongMerchant),
                ("sender_merchant", senderMerchant), ("offset", offset.map(String.init)),
                ("limit", limit.map(String.init)),
            ])
    }

    /// Whether one of `creator_merchant`, `belong_merchant`, `sender_merchant` is set.
    public var hasMerchantFilter: Bool {
        creatorMerchant != nil || belongMerchant != nil || senderMerchant != nil
    }

    /// This query, with `sender_merchant` = `mchid` when it names none of the three merchant
    /// filters; unchanged when it names any of them (the caller's filter is never widened
    /// or narrowed).
    public func defaultingSenderMerchant(to mchid: String) -> UserCouponsQuery {
        guard !hasMerchantFilter else { return self }
        var query = self
        query.senderMerchant = mchid
        return query
    }

    func validate() throws(WeChatPayError) {
        guard !openid.isEmpty else { throw .invalidArguments("openid is required") }
        guard !appid.isEmpty else { throw .invalidArguments("appid is required") }
        guard hasMerchantFilter else {
            throw .invalidArguments("one of creator_merchant, belong_merchant, sender_merchant is required")
        }
    }
}
