import CouponModel

/// One page of `users/{openid}/coupons`: `{total_count, offset, limit, data:[coupon…]}`.
public struct UserCouponsPage: Sendable, Hashable, Decodable {
    public var totalCount: Int
    public var offset: Int
    public var limit: Int
    public var coupons: [UserCoupon]
    /// The page exactly as decoded.
    public var json: JSONValue

    enum CodingKeys: String, CodingKey {
        case totalCount = "total_count"
        case offset, limit
        case coupons = "data"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        totalCount = try c.decodeIfPresent(Int.self, forKey: .totalCount) ?? 0
        offset = try c.decodeIfPresent(Int.self, forKey: .offset) ?? 0
        limit = try c.decodeIfPresent(Int.self, forKey: .limit) ?? 0
        coupons = try c.decodeIfPresent([UserCoupon].self, forKey: .coupons) ?? []
        json = try JSONValue(from: decoder)
    }
}
