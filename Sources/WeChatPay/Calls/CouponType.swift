/// `coupon_type` of a product-coupon send: `NORMAL` or `MEMBER` (which needs a member card).
public enum CouponType: RawRepresentable, Sendable, Hashable, Codable {
    case normal, member
    /// A value this client does not know yet, as sent.
    case unrecognized(String)

    public init(rawValue: String) {
        switch rawValue {
        case "NORMAL": self = .normal
        case "MEMBER": self = .member
        default: self = .unrecognized(rawValue)
        }
    }

    public var rawValue: String {
        switch self {
        case .normal: "NORMAL"
        case .member: "MEMBER"
        case .unrecognized(let value): value
        }
    }
}
