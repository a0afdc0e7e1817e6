import CouponModel

/// The final outcome of a command, stored before its result is published.
public struct StoredOutcome: Sendable, Hashable {
    public var status: ResultStatus
    /// The published `ResultEvent` JSON (`ResultEvent.encoded()`), replayed as is.
    public var resultEvent: [UInt8]
    /// True for `failed` with `retryable: true`: the key is not closed, and another delivery
    /// of the same command executes again (``ClaimOutcome/reopened(_:)``).
    public var reopenable: Bool

    public init(status: ResultStatus, resultEvent: [UInt8], reopenable: Bool = false) {
        self.status = status
        self.resultEvent = resultEvent
        self.reopenable = reopenable
    }
}
