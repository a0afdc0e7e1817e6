import CouponModel

/// What `coupon/issueCouponsToCustomer` answers: `{cardId, cardIdList, num}`.
public struct IssuedCoupons: Sendable, Hashable {
    public var fields: [String: JSONValue]

    init(json: JSONValue) throws(ZvcmsError) {
        guard let object = json.objectValue else { throw .undecodableResponse(reason: "issue data is not an object") }
        fields = object
    }

    /// The first issued coupon code.
    public var cardID: String? { fields["cardId"]?.stringValue ?? cardIDs.first }
    /// Every issued coupon code.
    public var cardIDs: [String] { fields["cardIdList"]?.arrayValue?.compactMap(\.stringValue) ?? [] }
    public var num: Int? { fields["num"]?.stringValue.flatMap { Int($0) } }
}
