/// `stock_state` of a stock (`UNAUDIT`, `RUNNING`, `STOPED` (sic), `PAUSED`, …), open-ended:
/// an unknown state is kept, never a decoding failure.
public enum StockState: RawRepresentable, Sendable, Hashable, Codable {
    case unaudit, running, stopped, paused
    /// A value this client does not know yet, as sent.
    case unrecognized(String)

    public init(rawValue: String) {
        switch rawValue {
        case "UNAUDIT": self = .unaudit
        case "RUNNING": self = .running
        case "STOPED": self = .stopped
        case "PAUSED": self = .paused
        default: self = .unrecognized(rawValue)
        }
    }

    public var rawValue: String {
        switch self {
        case .unaudit: "UNAUDIT"
        case .running: "RUNNING"
        case .stopped: "STOPED"
        case .paused: "PAUSED"
        case .unrecognized(let value): value
        }
    }
}
