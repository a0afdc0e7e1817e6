import CouponModel

/// One coupon a member can use for an order, as `user.user-use-coupon` returns it (seed 001).
///
/// `fields` is the provider's object with every scalar as text (ids exact); the typed
/// accessors name the fields the worker cares about.
public struct UsableCoupon: Sendable, Hashable {
    public var fields: [String: JSONValue]

    init(json: JSONValue) throws(ZvcmsError) {
        guard let object = json.objectValue else { throw .undecodableResponse(reason: "a usable coupon is not an object") }
        fields = object
    }

    /// The code used to redeem the coupon (`couponId`, 券核销码).
    public var couponCode: String? { fields["couponId"]?.stringValue }
    /// The member's coupon id (`id`).
    public var id: String? { fields["id"]?.stringValue }
    public var userID: String? { fields["user_id"]?.stringValue }
    /// The coupon's id (`coupon_id`).
    public var couponID: String? { fields["coupon_id"]?.stringValue }
    /// The template id (`coupon.id`), usable for issuing more of the same.
    public var templateID: String? { fields["coupon"]?["id"]?.stringValue }
    public var title: String? { fields["coupon"]?["title"]?.stringValue }
}
