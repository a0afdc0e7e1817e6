/// Why a command message was refused before any provider saw it.
///
/// `reason` names the offending field and is safe to log and publish: quoted values are
/// cut to 64 characters with control characters escaped, and nothing secret is ever in a
/// command. The fields the decoder could read before it stopped (`outRequestNo`, `provider`,
/// `operation`, `merchant`) are kept so the worker can publish a `rejected` result keyed by
/// the out_request_no; each is set only when it was itself valid.
public struct CommandRejection: Error, Sendable, Hashable, CustomStringConvertible {
    /// The dotted path of the offending field (`params.openid`, `params.trade_marks[2]`), or
    /// nil when the message as a whole is at fault (too large, not UTF-8, not JSON).
    public var field: String?
    /// What is wrong, in words an operator can act on.
    public var reason: String
    /// The command's out_request_no, when it could be read and is well-formed.
    public var outRequestNo: String?
    /// Always `.invalidCommand` from the decoder; kept as a field so results and DLQ
    /// headers take it from one place.
    public var code: ErrorCode
    /// The provider, when it could be read and is known.
    public var provider: ProviderName?
    /// The operation, when it could be read, is known and belongs to `provider`.
    public var operation: CouponOperation?
    /// The merchant, when it could be read and is well-formed.
    public var merchant: String?

    public init(
        field: String?, reason: String, outRequestNo: String? = nil, code: ErrorCode = .invalidCommand,
        provider: ProviderName? = nil, operation: CouponOperation? = nil, merchant: String? = nil
    ) {
        self.field = field
        self.reason = reason
        self.outRequestNo = outRequestNo
        self.code = code
        self.provider = provider
        self.operation = operation
        self.merchant = merchant
    }

    /// `field: reason`, or just the reason for message-level faults.
    public var description: String {
        guard let field else { return reason }
        return "\(field): \(reason)"
    }

    /// When the message itself gave no well-formed out_request_no (not JSON, too large, the
    /// field missing or malformed), its Kafka record key stands in: commands are keyed by their
    /// out_request_no (architecture.md, "Topics"), so the sender still gets its `rejected`
    /// result. A key that is not a well-formed out_request_no changes nothing.
    public mutating func fallBack(toRecordKey key: [UInt8]?) {
        guard outRequestNo == nil, let key, let text = String(validating: key, as: UTF8.self),
            IdentifierSyntax.isOutRequestNo(text)
        else { return }
        outRequestNo = text
    }

    /// The `error` object of the `rejected` result: never retryable, the same bytes will
    /// be refused again.
    public var resultError: ResultError {
        ResultError(code: code, message: description, providerCode: nil, retryable: false)
    }
}
