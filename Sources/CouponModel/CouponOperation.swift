/// What a command asks a provider to do. The raw value is the `operation` field of a command.
///
/// Issues are writes (executed once per `out_request_no`); queries are reads (safe to repeat).
public enum CouponOperation: String, Sendable, Hashable, Codable, CaseIterable {
    /// WeChat `POST /v3/marketing/busifavor/product-coupons/send`.
    case wechatProductCouponSend = "product_coupon.send"
    /// WeChat `GET /v3/marketing/busifavor/users/{openid}/coupons`.
    case wechatUserCouponsList = "user_coupons.list"
    /// WeChat `GET /v3/marketing/busifavor/users/{openid}/coupons/{coupon_code}/appids/{appid}`.
    case wechatUserCouponGet = "user_coupon.get"
    /// WeChat `GET /v3/marketing/busifavor/stocks/{stock_id}`.
    case wechatStockGet = "stock.get"
    /// zvcms v3 `coupon/issueCouponsToCustomer`.
    case zvcmsCouponIssue = "coupon.issue"
    /// zvcms v2 Action `user.user-use-coupon`.
    case zvcmsUserUseCoupon = "user_use_coupon"
    /// zvcms v3 `crm/coupon/getCustomerCoupons`.
    case zvcmsCustomerCoupons = "customer_coupons"
    /// zvcms v3 `coupon/status`.
    case zvcmsCouponStatus = "coupon.status"

    /// The provider that serves this operation.
    public var provider: ProviderName {
        switch self {
        case .wechatProductCouponSend, .wechatUserCouponsList, .wechatUserCouponGet, .wechatStockGet: .wechat
        case .zvcmsCouponIssue, .zvcmsUserUseCoupon, .zvcmsCustomerCoupons, .zvcmsCouponStatus: .zvcms
        }
    }

    /// Whether this is a write or a read.
    public var kind: CommandKind {
        switch self {
        case .wechatProductCouponSend, .zvcmsCouponIssue: .issue
        default: .query
        }
    }

    /// The operation named `name` for `provider`, if that provider serves it.
    public init?(provider: ProviderName, name: String) {
        guard let op = CouponOperation(rawValue: name), op.provider == provider else { return nil }
        self = op
    }
}

/// Writes and reads: the `command` field of a result and the topic a command comes from.
public enum CommandKind: String, Sendable, Hashable, Codable {
    case issue
    case query
}
