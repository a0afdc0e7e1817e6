/// `stock_type`: `NORMAL` (fixed amount), `DISCOUNT`, `EXCHANGE`, or one not known yet.
public enum StockType: RawRepresentable, Sendable, Hashable, Codable {
    case normal, discount, exchange
    /// A value this client does not know yet, as sent.
    case unrecognized(String)

    public init(rawValue: String) {
        switch rawValue {
        case "NORMAL": self = .normal
        case "DISCOUNT": self = .discount
        case "EXCHANGE": self = .exchange
        default: self = .unrecognized(rawValue)
        }
    }

    public var rawValue: String {
        switch self {
        case .normal: "NORMAL"
        case .discount: "DISCOUNT"
        case .exchange: "EXCHANGE"
        case .unrecognized(let value): value
        }
    }
}
