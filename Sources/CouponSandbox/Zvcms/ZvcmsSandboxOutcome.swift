import CouponModel

/// What the sandbox answers one verified request with, before shaping it into JSON.
enum ZvcmsSandboxOutcome: Sendable {
    case success(JSONValue)
    /// A refusal: `status` false for system errors (signature, params), true for business
    /// exceptions such as "not found" (the seeds' 异常示例 shows `status:true` with a code).
    case failure(code: Int, message: String, status: Bool)

    static let signatureFailedCode = 110004
    static let parameterFormatCode = 100002
    /// *Assumption*: zvcms's code for a stale timestamp is not documented; 110007 is the
    /// closest known code ("probably signature/replay related").
    static let timestampRejectedCode = 110007
    /// Sandbox-only codes (production ones are not public).
    static let unknownCallCode = 100001
    static let notFoundCode = 300001

    static func parameterError(_ message: String) -> ZvcmsSandboxOutcome {
        .failure(code: parameterFormatCode, message: message, status: false)
    }

    static func notFound(_ message: String) -> ZvcmsSandboxOutcome {
        .failure(code: notFoundCode, message: message, status: true)
    }
}
