/// Where each call lives, relative to the account's base URL.
///
/// Only `user.user-use-coupon` (API 2.0) and `crm/coupon/getCustomerCoupons` (API 3.0) are
/// documented by the seeds; `coupon/status` and `coupon/issueCouponsToCustomer` come from
/// public clients and are configurable in case a deployment differs (*assumption*).
public struct ZvcmsEndpoints: Sendable, Hashable {
    /// API 2.0 endpoint path (all actions share it).
    public var v2Path: String = "/api/v2"
    /// API 3.0 prefix; a call posts to `{base}{v3Prefix}{path}`.
    public var v3Prefix: String = "/v3/"
    /// API 2.0 `Action` of "filter a user's usable coupons" (seed 001).
    public var userUseCouponAction: String = "user.user-use-coupon"
    /// API 3.0 customer coupon query (seed 003).
    public var customerCouponsPath: String = "crm/coupon/getCustomerCoupons"
    /// API 3.0 single coupon status by code.
    public var couponStatusPath: String = "coupon/status"
    /// API 3.0 issue.
    public var issuePath: String = "coupon/issueCouponsToCustomer"
    /// Field names of the issue request.
    public var issueFields = ZvcmsIssueFields()

    public init() {}
}
