import CouponModel

extension ZvcmsError {
    /// The code zvcms uses for "signature check failed".
    public static let signatureCheckFailedCode = "110004"
    /// *Assumption* (docs: "probably signature/replay related"): a stale timestamp or a
    /// replayed nonce, refused before processing.
    public static let staleRequestCode = "110007"

    /// This error in the project's vocabulary, for a call of `kind`.
    ///
    /// The one place zvcms errors are classified. zvcms has no idempotency key for writes,
    /// so an issue that may have reached it (5xx, timeout or reset after sending,
    /// unreadable answer) is `OUTCOME_UNKNOWN`: ambiguous and never re-sent blindly. The
    /// same failures on a query are merely retryable. Failures before the request left are
    /// retryable for both.
    public func providerFailure(for kind: CommandKind) -> ProviderFailure {
        switch self {
        case .invalidParams:
            return ProviderFailure(code: .invalidCommand, message: description, retryable: false)
        case .signatureRejected(let code, _, _):
            return ProviderFailure(code: .signatureInvalid, message: description, providerCode: code, retryable: false)
        case .rejected(let code, _, _):
            return ProviderFailure(code: .providerRejected, message: description, providerCode: code, retryable: false)
        case .httpStatus(let status, _):
            if status == 429 {
                // Throttled before processing: safe to try again later, for writes too.
                return ProviderFailure(code: .rateLimited, message: description, httpStatus: status, retryable: true)
            }
            if (500...599).contains(status) {
                return sentButUnanswered(kind: kind, httpStatus: status)
            }
            return ProviderFailure(code: .providerRejected, message: description, httpStatus: status, retryable: false)
        case .undecodableResponse:
            return sentButUnanswered(kind: kind, httpStatus: 200)
        case .noAnswer:
            return sentButUnanswered(kind: kind, httpStatus: nil)
        case .notSent:
            return ProviderFailure(code: .providerUnavailable, message: description, retryable: true)
        }
    }

    private func sentButUnanswered(kind: CommandKind, httpStatus: Int?) -> ProviderFailure {
        switch kind {
        case .issue:
            ProviderFailure(
                code: .outcomeUnknown, message: description, httpStatus: httpStatus, retryable: false, ambiguous: true)
        case .query:
            ProviderFailure(code: .providerUnavailable, message: description, httpStatus: httpStatus, retryable: true)
        }
    }
}
