import CouponModel

/// What `coupon/issueCouponsToCustomer` answers: `{cardId, cardIdList, num}` (*assumption*).
///
/// The answer said success (`status` true, `code` 0), so the coupons were issued whatever
/// `data` looks like: data that is not an object (null, absent, a list) is kept under
/// `"data"` rather than turning a definite success into an unknown outcome.
public struct IssuedCoupons: Sendable, Hashable {
    public var fields: [String: JSONValue]

    init(json: JSONValue) {
        fields = json.objectValue ?? ["data": json]
    }

    /// The first issued coupon code.
    public var cardID: String? { fields["cardId"]?.stringValue ?? cardIDs.first }
    /// Every issued coupon code.
    public var cardIDs: [String] { fields["cardIdList"]?.arrayValue?.compactMap(\.stringValue) ?? [] }
    public var num: Int? { fields["num"]?.stringValue.flatMap { Int($0) } }
}
