import CouponModel

/// A command as read from Kafka, before validation.
public struct IncomingCommand: Sendable {
    public var bytes: [UInt8]
    /// Which commands topic it came from.
    public var kind: CommandKind
    public var source: SourcePosition
    /// The record's Kafka key (the out_request_no, by contract); nil when it had none.
    public var recordKey: [UInt8]?

    public init(bytes: [UInt8], kind: CommandKind, source: SourcePosition, recordKey: [UInt8]?) {
        self.bytes = bytes
        self.kind = kind
        self.source = source
        self.recordKey = recordKey
    }
}

/// What processing a command produced: the result to publish and, for a command that must
/// be looked at by a person, why it goes to the dead-letter topic.
public struct CommandOutcome: Sendable {
    /// Nil only when no out_request_no could be read, from the message or from its record's key
    /// (then there is nothing to publish under).
    public let result: ResultEvent?
    /// `result`'s bytes when they were encoded already (to be stored): published as they are,
    /// not encoded a second time.
    public let encodedResult: [UInt8]?
    public var deadLetter: DeadLetterCause?
    /// Provider calls made for this delivery (0 for replays and rejections).
    public var providerCalls: Int

    public init(result: ResultEvent?, encodedResult: [UInt8]? = nil, deadLetter: DeadLetterCause?, providerCalls: Int = 0) {
        self.result = result
        self.encodedResult = encodedResult
        self.deadLetter = deadLetter
        self.providerCalls = providerCalls
    }
}

/// Why a record goes to the dead-letter topic.
public struct DeadLetterCause: Sendable, Hashable {
    public var code: ErrorCode
    public var reason: String
    /// The offending field, when one is to blame.
    public var field: String?

    public init(code: ErrorCode, reason: String, field: String? = nil) {
        self.code = code
        self.reason = reason
        self.field = field
    }
}
