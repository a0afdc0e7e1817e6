/// A failure a sandbox can be told to produce, the same classes for every provider.
///
/// These are the ways real providers fail that the worker must survive: each maps to a
/// row of the provider docs' error tables.
public enum SandboxFault: Sendable, Hashable {
    /// Answer with this HTTP status and the provider's own error body for it
    /// (500 SYSTEM_ERROR, 503 SERVICE_UNAVAILABLE, 429 FREQUENCY_LIMITED, …) without processing.
    case httpStatus(Int)
    /// Process the request (a coupon *is* issued), then hold the answer back until the
    /// client gives up: the ambiguous "timeout after sending" case.
    case timeoutAfterProcessing
    /// Process the request (a coupon *is* issued), send the status, the headers and the first
    /// half of the answer, then hold the rest until the client gives up: an answer that began
    /// and never ended (a server or proxy that stalled mid-write). The client's timeout must
    /// cover the whole answer, not only its head.
    case answerStalls
    /// Hold the request this long before processing it (a coupon *is* issued then), and
    /// answer after: a client with a shorter timeout gives up while its request is still on
    /// its way, and the effect lands after it stopped waiting.
    case lateProcessing(Duration)
    /// Close the connection without answering, before processing.
    case connectionReset
    /// Process the request and answer 2xx, but with a signature that does not verify
    /// (WeChat's `WECHATPAY/SIGNTEST/` probe traffic; zvcms has no response signature, so
    /// there it answers with a body the client cannot decode).
    case wrongSignature
    /// Answer as if the server clock were off by this many seconds (WeChat: the response
    /// timestamp; both: request timestamps are judged against the skewed clock).
    case clockSkew(seconds: Int)
}
