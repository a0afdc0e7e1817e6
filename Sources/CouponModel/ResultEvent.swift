/// The outcome of a command, as published on `coupon.results` (one per command).
public enum ResultStatus: String, Sendable, Hashable, Codable, CaseIterable {
    /// The provider did what was asked.
    case succeeded
    /// The provider said no, or transient retries ran out (`error.retryable` tells which).
    case failed
    /// The command is invalid; no provider was called.
    case rejected
    /// A write whose outcome cannot be known without a person.
    case unknown
}

/// Where a command was read from.
public struct SourcePosition: Sendable, Hashable, Codable {
    public var topic: String
    public var partition: Int32
    public var offset: Int64

    public init(topic: String, partition: Int32, offset: Int64) {
        self.topic = topic
        self.partition = partition
        self.offset = offset
    }
}

/// The result event of one command. Field names on the wire are snake_case
/// (see `schemas/coupon-result.v1.schema.json`).
public struct ResultEvent: Sendable, Hashable, Codable {
    /// Deterministic per (out_request_no, outcome): a replay carries the same id.
    public var eventId: String
    public var outRequestNo: String
    /// `issue` or `query`; nil only for a rejected command whose operation could not be read.
    public var command: CommandKind?
    public var provider: String?
    public var operation: String?
    public var merchant: String?
    public var status: ResultStatus
    public var data: JSONValue?
    public var error: ResultError?
    public var attempts: Int
    public var replayed: Bool
    public var occurredAt: String
    public var source: SourcePosition?

    public init(
        eventId: String, outRequestNo: String, command: CommandKind?, provider: String?, operation: String?,
        merchant: String?, status: ResultStatus, data: JSONValue?, error: ResultError?, attempts: Int,
        replayed: Bool, occurredAt: String, source: SourcePosition?
    ) {
        self.eventId = eventId
        self.outRequestNo = outRequestNo
        self.command = command
        self.provider = provider
        self.operation = operation
        self.merchant = merchant
        self.status = status
        self.data = data
        self.error = error
        self.attempts = attempts
        self.replayed = replayed
        self.occurredAt = occurredAt
        self.source = source
    }

    enum CodingKeys: String, CodingKey {
        case command, provider, operation, merchant, status, data, error, attempts, replayed, source
        case eventId = "event_id"
        case outRequestNo = "out_request_no"
        case occurredAt = "occurred_at"
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(eventId, forKey: .eventId)
        try c.encode(outRequestNo, forKey: .outRequestNo)
        try c.encode(command, forKey: .command)
        try c.encode(provider, forKey: .provider)
        try c.encode(operation, forKey: .operation)
        try c.encode(merchant, forKey: .merchant)
        try c.encode(status, forKey: .status)
        try c.encode(data ?? .null, forKey: .data)
        try c.encode(error, forKey: .error)
        try c.encode(attempts, forKey: .attempts)
        try c.encode(replayed, forKey: .replayed)
        try c.encode(occurredAt, forKey: .occurredAt)
        try c.encode(source, forKey: .source)
    }

    /// The event as the JSON bytes published on the results topic: the same members as
    /// `encode(to:)`, sorted, written by `CanonicalJSON` (one pass, no `JSONEncoder`, which
    /// the hot path cannot afford per result).
    public func encoded() -> [UInt8] {
        CanonicalJSON.bytes(ofSortedMembers: members, capacity: 512)
    }

    /// The event as a JSON object; `null` members are written, as the schema asks.
    public var jsonValue: JSONValue {
        .object(Dictionary(uniqueKeysWithValues: members.map { ($0.key, $0.value) }))
    }

    /// The event's members in canonical order (by key, UTF-8 byte order).
    private var members: KeyValuePairs<String, JSONValue> {
        func optional(_ s: String?) -> JSONValue { s.map(JSONValue.string) ?? .null }
        return [
            "attempts": .integer(Int64(attempts)),
            "command": optional(command?.rawValue),
            "data": data ?? .null,
            "error": error.map { error in
                .object([
                    "code": .string(error.code.rawValue),
                    "message": .string(error.message),
                    "provider_code": optional(error.providerCode),
                    "retryable": .bool(error.retryable),
                ])
            } ?? .null,
            "event_id": .string(eventId),
            "merchant": optional(merchant),
            "occurred_at": .string(occurredAt),
            "operation": optional(operation),
            "out_request_no": .string(outRequestNo),
            "provider": optional(provider),
            "replayed": .bool(replayed),
            "source": source.map { source in
                .object([
                    "topic": .string(source.topic),
                    "partition": .integer(Int64(source.partition)),
                    "offset": .integer(source.offset),
                ])
            } ?? .null,
            "status": .string(status.rawValue),
        ]
    }
}
