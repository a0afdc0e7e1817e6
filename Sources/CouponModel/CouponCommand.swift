/// A validated coupon command: what an upstream order system asked for.
///
/// Only `CommandDecoder` makes these from bytes; anything that reaches the pipeline as a
/// `CouponCommand` has passed validation.
public struct CouponCommand: Sendable, Hashable {
    /// The idempotency key chosen by the caller: 1–128 of `[A-Za-z0-9|_*-]`.
    public var outRequestNo: String
    public var operation: CouponOperation
    /// The credential profile (WeChat mchid / zvcms account). Resolved to the only profile
    /// when the command leaves it out and exactly one is configured.
    public var merchant: String?
    /// The provider's fields, as the provider names them.
    public var params: [String: JSONValue]

    public var provider: ProviderName { operation.provider }

    public init(outRequestNo: String, operation: CouponOperation, merchant: String?, params: [String: JSONValue]) {
        self.outRequestNo = outRequestNo
        self.operation = operation
        self.merchant = merchant
        self.params = params
    }

    /// The string param `name`, if present and a string.
    public func string(_ name: String) -> String? { params[name]?.stringValue }
}
