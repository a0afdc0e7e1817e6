/// The request field names of the v3 issue call (`coupon/issueCouponsToCustomer`).
///
/// *Assumption*: no public source confirms these names, so each is configurable. The
/// defaults follow docs/zvcms.md.
public struct ZvcmsIssueFields: Sendable, Hashable {
    /// Carries the command's out_request_no.
    public var bizID: String = "bizId"
    /// The coupon (template) to issue.
    public var couponID: String = "couponId"
    public var customerID: String = "customerId"
    public var num: String = "num"
    public var thirdChannel: String = "thirdChannel"

    public init() {}
}
