import CouponModel

extension WeChatPayError {
    /// This error in the project's vocabulary: the one place WeChat Pay failures are mapped.
    ///
    /// Per the error table of docs/wechatpay-v3.md: no answer, 5xx and 429 are retryable with
    /// the same body (a 5xx marked `serverFailed`: an issue is looked for before the re-send); a
    /// timeout or a broken connection after sending is also ambiguous; 4xx is terminal; a 2xx
    /// that fails verification was processed (ambiguous, not retryable).
    public var providerFailure: ProviderFailure {
        switch self {
        case .notSent(let host, let reason):
            return ProviderFailure(
                code: .providerUnavailable, message: "WeChat Pay unreachable at \(host): \(reason)",
                retryable: true, ambiguous: false)
        case .timedOut(let host):
            return ProviderFailure(
                code: .providerUnavailable, message: "no answer from WeChat Pay at \(host) before the deadline",
                retryable: true, ambiguous: true)
        case .connectionLost(let host, let reason):
            return ProviderFailure(
                code: .providerUnavailable, message: "connection to WeChat Pay at \(host) lost: \(reason)",
                retryable: true, ambiguous: true)
        case .errorResponse(let response):
            return Self.failure(for: response)
        case .responseUnverified(let failure):
            return ProviderFailure(
                code: .signatureInvalid, message: "WeChat Pay response failed verification: \(failure)",
                providerCode: "SIGNATURE_INVALID", retryable: false, ambiguous: true)
        case .undecodableResponse(let status, let reason):
            return ProviderFailure(
                code: .outcomeUnknown, message: "WeChat Pay answered \(status) with an unreadable body: \(reason)",
                httpStatus: status, retryable: false, ambiguous: true)
        case .invalidArguments(let reason):
            return ProviderFailure(code: .invalidCommand, message: reason, retryable: false)
        case .signingFailed:
            return ProviderFailure(code: .internalError, message: "the merchant key could not sign the request", retryable: false)
        case .certificatesUnavailable(let reason):
            return ProviderFailure(
                code: .providerUnavailable, message: "WeChat Pay platform certificates unavailable: \(reason)",
                retryable: true, ambiguous: false)
        }
    }

    /// This error for a read (a query, the reconciliation's list call): an answer that may
    /// have been processed — a probe's signature (`WECHATPAY/SIGNTEST/`), a timeout, an
    /// unreadable body — is merely retryable, because reading again changes nothing.
    public var readFailure: ProviderFailure {
        var failure = providerFailure
        if failure.ambiguous {
            failure.ambiguous = false
            failure.retryable = true
        }
        return failure
    }

    private static func failure(for response: WeChatErrorResponse) -> ProviderFailure {
        var message = response.code.isEmpty ? "HTTP \(response.status)" : "\(response.code): \(response.message)"
        if let detail = response.detailSummary { message += " (\(detail))" }
        if let requestID = response.requestID { message += " [Request-ID \(requestID)]" }
        let providerCode = response.code.isEmpty ? nil : response.code
        let status = response.status
        switch status {
        case 429:
            return ProviderFailure(
                code: .rateLimited, message: message, providerCode: providerCode, httpStatus: status, retryable: true)
        case 500...:
            return ProviderFailure(
                code: .providerUnavailable, message: message, providerCode: providerCode, httpStatus: status,
                retryable: true, serverFailed: true)
        case 401 where response.code == "SIGN_ERROR":
            return ProviderFailure(
                code: .signatureInvalid, message: message, providerCode: providerCode, httpStatus: status,
                retryable: false)
        default:
            return ProviderFailure(
                code: .providerRejected, message: message, providerCode: providerCode, httpStatus: status,
                retryable: false)
        }
    }
}
