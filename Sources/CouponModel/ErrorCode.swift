/// The project's stable error vocabulary: the `error.code` of a result event.
///
/// Provider- and layer-specific errors are mapped once to these; downstream consumers
/// may switch on them.
public enum ErrorCode: String, Sendable, Hashable, Codable, CaseIterable {
    /// The command is malformed or names something unknown. Never sent to a provider.
    case invalidCommand = "INVALID_COMMAND"
    /// The same out_request_no arrived earlier with different content.
    case idempotencyConflict = "IDEMPOTENCY_CONFLICT"
    /// The provider answered and said no (business or parameter error). Terminal.
    case providerRejected = "PROVIDER_REJECTED"
    /// The provider throttled us, or our own limiter ran out of patience.
    case rateLimited = "RATE_LIMITED"
    /// The provider could not be reached or failed (5xx, timeouts, resets).
    case providerUnavailable = "PROVIDER_UNAVAILABLE"
    /// A signature did not verify: request rejected (401 SIGN_ERROR / 110004) or a response failed checks.
    case signatureInvalid = "SIGNATURE_INVALID"
    /// A write whose outcome cannot be known without a person or a reconciliation.
    case outcomeUnknown = "OUTCOME_UNKNOWN"
    /// The worker's own configuration cannot serve the command (no such merchant profile).
    case configurationError = "CONFIGURATION_ERROR"
    /// A bug or an unexpected state inside the worker.
    case internalError = "INTERNAL_ERROR"
}
