import CouponModel

/// The zvcms calls the worker makes; each has its own rate limit.
public enum ZvcmsCall: String, Sendable, Hashable, CaseIterable {
    /// API 2.0 `user.user-use-coupon`: a member's coupons usable for an order (seed 001).
    case userUseCoupon = "user.user-use-coupon"
    /// API 3.0 `crm/coupon/getCustomerCoupons`: a customer's coupons (seed 003).
    case customerCoupons = "crm/coupon/getCustomerCoupons"
    /// API 3.0 `coupon/status`: one coupon by its code.
    case couponStatus = "coupon/status"
    /// API 3.0 `coupon/issueCouponsToCustomer`: issue coupons to a customer (a write).
    case issueCoupons = "coupon/issueCouponsToCustomer"

    /// Writes must never be re-sent blindly: zvcms has no idempotency key.
    public var kind: CommandKind { self == .issueCoupons ? .issue : .query }
}
