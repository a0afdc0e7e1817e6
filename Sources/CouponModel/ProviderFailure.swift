/// Why one provider call did not succeed, in the project's vocabulary.
///
/// Provider modules map their own typed errors to this, once. The pipeline decides on
/// `retryable` (backoff and call again with the same body), `ambiguous` (the request may
/// have taken effect: never re-sent blindly, reconciled or reported `unknown`) and
/// `serverFailed` (the provider answered with an error of its own: re-sending is documented
/// as safe, but an issue is looked for once before it is sent again).
/// `message` never contains secrets.
public struct ProviderFailure: Error, Sendable, Hashable {
    public var code: ErrorCode
    public var message: String
    /// The provider's own code (`PARAM_ERROR`, `110004`, …) when it answered.
    public var providerCode: String?
    /// The HTTP status when there was one.
    public var httpStatus: Int?
    /// Calling again with the same out_request_no and body may succeed.
    public var retryable: Bool
    /// The request may have been processed although no success was seen.
    public var ambiguous: Bool
    /// The provider answered with a server error (5xx). Its docs call a re-send with the same
    /// `out_request_no` safe, but what it does with a repeated one is unconfirmed, and a server
    /// can fail after it took effect: an issue is looked for once before it is sent again, so
    /// a coupon issued before the error is found instead of being sent for a second time.
    public var serverFailed: Bool

    public init(
        code: ErrorCode, message: String, providerCode: String? = nil, httpStatus: Int? = nil,
        retryable: Bool, ambiguous: Bool = false, serverFailed: Bool = false
    ) {
        self.code = code
        self.message = message
        self.providerCode = providerCode
        self.httpStatus = httpStatus
        self.retryable = retryable
        self.ambiguous = ambiguous
        self.serverFailed = serverFailed
    }

    /// The `error` object of a result event.
    public var resultError: ResultError {
        ResultError(code: code, message: message, providerCode: providerCode, retryable: retryable)
    }
}

/// The `error` object of a result event: `{code, message, provider_code, retryable}`.
public struct ResultError: Sendable, Hashable, Codable {
    public var code: ErrorCode
    public var message: String
    public var providerCode: String?
    public var retryable: Bool

    public init(code: ErrorCode, message: String, providerCode: String? = nil, retryable: Bool) {
        self.code = code
        self.message = message
        self.providerCode = providerCode
        self.retryable = retryable
    }

    enum CodingKeys: String, CodingKey {
        case code, message, retryable
        case providerCode = "provider_code"
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(code, forKey: .code)
        try c.encode(message, forKey: .message)
        try c.encode(providerCode, forKey: .providerCode)  // explicit null, as the schema says
        try c.encode(retryable, forKey: .retryable)
    }
}
