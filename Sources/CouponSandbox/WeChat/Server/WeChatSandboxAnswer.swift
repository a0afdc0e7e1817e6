import CouponModel

/// What the sandbox answers before signing: a status and the exact body bytes.
struct WeChatSandboxAnswer: Sendable, Error {
    var status: Int
    var body: [UInt8]

    static func json(_ value: JSONValue, status: Int = 200) -> WeChatSandboxAnswer {
        WeChatSandboxAnswer(status: status, body: CanonicalJSON.bytes(of: value))
    }

    /// WeChat Pay's error shape: `{"code","message","detail":{"field","value","issue","location"}}`.
    static func error(_ status: Int, _ code: String, _ message: String, detail: JSONValue? = nil) -> WeChatSandboxAnswer {
        var members: [String: JSONValue] = ["code": .string(code), "message": .string(message)]
        if let detail { members["detail"] = detail }
        return json(.object(members), status: status)
    }

    /// `400 PARAM_ERROR` naming the field at fault.
    static func paramError(field: String, value: String?, issue: String, location: String) -> WeChatSandboxAnswer {
        error(
            400, "PARAM_ERROR", "参数错误: \(field) \(issue)",
            detail: .object([
                "field": .string(field), "value": value.map(JSONValue.string) ?? .null, "issue": .string(issue),
                "location": .string(location),
            ]))
    }

    /// The body WeChat Pay sends with `status` when it fails without processing (fault injection).
    static func failure(status: Int) -> WeChatSandboxAnswer {
        switch status {
        case 400: error(400, "PARAM_ERROR", "参数错误")
        case 401: error(401, "SIGN_ERROR", "签名错误，请检查后再试")
        case 403: error(403, "NO_AUTH", "无权限")
        case 404: error(404, "RESOURCE_NOT_EXISTS", "资源不存在")
        case 429: error(429, "FREQUENCY_LIMITED", "频率超限")
        case 503: error(503, "SERVICE_UNAVAILABLE", "服务不可用，请稍后重试")
        case 500...: error(status, "SYSTEM_ERROR", "系统错误，请稍后重试")
        default: error(status, "INVALID_REQUEST", "无效请求")
        }
    }
}
