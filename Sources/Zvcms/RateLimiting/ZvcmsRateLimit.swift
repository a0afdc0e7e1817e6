/// How fast the client may call one endpoint for one account.
///
/// zvcms allows 10 requests/s per endpoint; exceeding it gets requests refused, so the
/// client paces itself below that instead of finding out.
public enum ZvcmsRateLimit: Sendable, Hashable {
    /// At most `requestsPerSecond` per endpoint, with up to `burst` at once after a pause.
    case perEndpoint(requestsPerSecond: Double, burst: Int)
    /// No client-side limit (tests, or when the worker limits in front of the client).
    case unlimited

    /// The platform's documented limit: 10 requests/s per endpoint.
    public static let `default` = ZvcmsRateLimit.perEndpoint(requestsPerSecond: 10, burst: 10)
}
