/// Coupon states: an open set (`SENDED`, `USED`, `EXPIRED`, and more on the detail call).
/// Unknown values are kept, never a decoding failure.
public enum CouponState: RawRepresentable, Sendable, Hashable, Codable {
    case sended, used, expired, deleted, deactivated
    /// A value this client does not know yet, as sent.
    case unrecognized(String)

    public init(rawValue: String) {
        switch rawValue {
        case "SENDED": self = .sended
        case "USED": self = .used
        case "EXPIRED": self = .expired
        case "DELETED": self = .deleted
        case "DEACTIVATED": self = .deactivated
        default: self = .unrecognized(rawValue)
        }
    }

    public var rawValue: String {
        switch self {
        case .sended: "SENDED"
        case .used: "USED"
        case .expired: "EXPIRED"
        case .deleted: "DELETED"
        case .deactivated: "DEACTIVATED"
        case .unrecognized(let value): value
        }
    }
}
