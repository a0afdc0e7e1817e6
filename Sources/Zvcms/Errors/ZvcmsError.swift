/// Everything that can go wrong with one zvcms call, in zvcms's own terms.
///
/// The cases separate what the worker must treat differently: a request that never left
/// (safe to send again), one that left but got no usable answer (may have taken effect),
/// and answers in which zvcms said no. `ZvcmsError.providerFailure(for:)` maps them to the
/// project's vocabulary, once. No case ever carries the openKey.
public enum ZvcmsError: Error, Sendable, Hashable {
    /// The command's params cannot make this call (a required field is missing or ill-typed).
    /// Nothing was sent.
    case invalidParams(String)
    /// zvcms refused the token (code 110004): the openId, grantCode or openKey is wrong.
    case signatureRejected(code: String, message: String, traceID: String?)
    /// zvcms answered and said no: `status` false or a non-zero `code`.
    case rejected(code: String, message: String, traceID: String?)
    /// zvcms (or a proxy in front of it) answered with an HTTP status other than 200.
    case httpStatus(Int, message: String)
    /// An HTTP 200 answer arrived but is not a zvcms response.
    case undecodableResponse(reason: String)
    /// The request never left this process: no connection could be made (refused, DNS,
    /// connect timeout). zvcms cannot have acted on it.
    case notSent(reason: String)
    /// The request was (or may have been) sent, then no answer came: timeout, connection
    /// closed or reset. zvcms may have acted on it.
    case noAnswer(reason: String)
}

extension ZvcmsError: CustomStringConvertible {
    public var description: String {
        switch self {
        case .invalidParams(let reason): "invalid params: \(reason)"
        case .signatureRejected(let code, let message, let traceID):
            "zvcms rejected the token (code \(code)): \(message)" + Self.trace(traceID)
        case .rejected(let code, let message, let traceID):
            "zvcms rejected the request (code \(code)): \(message)" + Self.trace(traceID)
        case .httpStatus(let status, let message): "zvcms answered HTTP \(status): \(message)"
        case .undecodableResponse(let reason): "zvcms answer could not be decoded: \(reason)"
        case .notSent(let reason): "request to zvcms was not sent: \(reason)"
        case .noAnswer(let reason): "no answer from zvcms after sending: \(reason)"
        }
    }

    private static func trace(_ traceID: String?) -> String {
        traceID.map { " (traceId \($0))" } ?? ""
    }
}
