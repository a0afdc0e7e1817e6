/// The key a command takes effect once under: provider + merchant + out_request_no.
public struct IdempotencyKey: Sendable, Hashable, Codable, CustomStringConvertible {
    public var provider: ProviderName
    /// The resolved merchant profile id (never nil here: the pipeline resolves defaults first).
    public var merchant: String
    public var outRequestNo: String

    public init(provider: ProviderName, merchant: String, outRequestNo: String) {
        self.provider = provider
        self.merchant = merchant
        self.outRequestNo = outRequestNo
    }

    /// `provider:merchant:out_request_no`, the form stored and shown to operators.
    public var description: String { "\(provider.rawValue):\(merchant):\(outRequestNo)" }
}
