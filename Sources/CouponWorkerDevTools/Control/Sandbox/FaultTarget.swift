import CouponSandbox

/// Which sandbox a fault request is for: `wechat`, `zvcms` or `both`.
enum FaultTarget: String, Decodable, Sendable {
    case wechat, zvcms, both

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let name = try container.decode(String.self)
        guard let target = FaultTarget(rawValue: name) else {
            throw DecodingError.dataCorruptedError(
                in: container, debugDescription: "unknown provider \"\(name)\"; use wechat, zvcms or both")
        }
        self = target
    }

    /// The fault injectors of the sandboxes this names.
    func injectors(of sandboxes: ProviderSandboxes) -> [SandboxFaultInjector] {
        switch self {
        case .wechat: [sandboxes.wechat.faults]
        case .zvcms: [sandboxes.zvcms.faults]
        case .both: [sandboxes.wechat.faults, sandboxes.zvcms.faults]
        }
    }
}
