import CouponModel

/// The final outcome of a command, stored before its result is published.
public struct StoredOutcome: Sendable, Hashable {
    public var status: ResultStatus
    /// The published `ResultEvent` JSON (`ResultEvent.encoded()`), replayed as is.
    public var resultEvent: [UInt8]

    public init(status: ResultStatus, resultEvent: [UInt8]) {
        self.status = status
        self.resultEvent = resultEvent
    }
}
