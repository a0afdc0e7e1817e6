import CouponModel

/// One coupon of a customer, as `crm/coupon/getCustomerCoupons` and `coupon/status` return
/// it (seed 003).
///
/// `fields` is the provider's object with every scalar as text (ids exact).
public struct CustomerCoupon: Sendable, Hashable {
    public var fields: [String: JSONValue]

    init(json: JSONValue) throws(ZvcmsError) {
        guard let object = json.objectValue else { throw .undecodableResponse(reason: "a coupon is not an object") }
        fields = object
    }

    /// The coupon code (`cardId`).
    public var cardID: String? { fields["cardId"]?.stringValue }
    public var couponID: String? { fields["couponId"]?.stringValue }
    public var customerID: String? { fields["customerId"]?.stringValue }
    public var templateID: String? { fields["templateId"]?.stringValue }
    /// 0 unused, 1 used, 2 frozen, 6 expired, 7 deleted.
    public var useStatus: Int? { fields["useStatus"]?.stringValue.flatMap { Int($0) } }
    public var title: String? { fields["title"]?.stringValue }

    /// Coupons in `data`, which zvcms sends as one object (seed 003), a list, or a page
    /// object with a `list`/`records`/`items` member.
    static func list(from data: JSONValue) throws(ZvcmsError) -> [CustomerCoupon] {
        switch data {
        case .null: return []
        case .array(let elements):
            var coupons: [CustomerCoupon] = []
            for element in elements { coupons.append(try CustomerCoupon(json: element)) }
            return coupons
        case .object(let members):
            for key in ["list", "records", "items"] {
                if let page = members[key], case .array = page { return try list(from: page) }
            }
            return [try CustomerCoupon(json: data)]
        default:
            throw .undecodableResponse(reason: "coupon data is neither an object nor a list")
        }
    }
}
