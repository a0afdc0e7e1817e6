import CouponModel
import Foundation
import Testing

@Suite("Result event helpers")
struct ResultEventTests {
    static let key = IdempotencyKey(provider: .wechat, merchant: "1900000001", outRequestNo: "ORD20261122-0001")
    static let fingerprint = CommandFingerprint(hex: "05a6e87b98017acd7c9afb412684d0ffa1143bdd6853aedd5da616a62a577ccc")

    @Test("event id is pinned: a replay after an upgrade must keep the original id")
    func eventIDPinned() {
        // Computed independently with Python (hashlib over the canonical JSON of the inputs).
        #expect(
            ResultEvent.eventID(outRequestNo: "ORD20261122-0001", key: Self.key, status: .succeeded, fingerprint: Self.fingerprint, error: nil)
                == "4ffae37a-9c36-8358-a77c-e82d4bf64d1a")
    }

    @Test("event id is deterministic and a version 8 UUID with the RFC 9562 variant")
    func eventIDDeterministic() throws {
        let a = ResultEvent.eventID(outRequestNo: "A1", key: Self.key, status: .failed, fingerprint: Self.fingerprint, error: nil)
        let b = ResultEvent.eventID(outRequestNo: "A1", key: Self.key, status: .failed, fingerprint: Self.fingerprint, error: nil)
        #expect(a == b)
        let uuid = try #require(UUID(uuidString: a))
        #expect(uuid.uuidString.lowercased() == a)
        let characters = Array(a)
        #expect(characters[14] == "8")
        #expect("89ab".contains(characters[19]))
    }

    @Test("event id changes with out_request_no, key, status and fingerprint")
    func eventIDChanges() {
        let base = ResultEvent.eventID(outRequestNo: "A1", key: Self.key, status: .succeeded, fingerprint: Self.fingerprint, error: nil)
        var otherMerchant = Self.key
        otherMerchant.merchant = "1900000002"
        let variants = [
            ResultEvent.eventID(outRequestNo: "A2", key: Self.key, status: .succeeded, fingerprint: Self.fingerprint, error: nil),
            ResultEvent.eventID(outRequestNo: "A1", key: otherMerchant, status: .succeeded, fingerprint: Self.fingerprint, error: nil),
            ResultEvent.eventID(outRequestNo: "A1", key: nil, status: .succeeded, fingerprint: Self.fingerprint, error: nil),
            ResultEvent.eventID(outRequestNo: "A1", key: Self.key, status: .failed, fingerprint: Self.fingerprint, error: nil),
            ResultEvent.eventID(outRequestNo: "A1", key: Self.key, status: .succeeded, fingerprint: nil, error: nil),
            ResultEvent.eventID(outRequestNo: "A1", key: Self.key, status: .succeeded, fingerprint: CommandFingerprint(hex: "00"), error: nil),
        ]
        #expect(Set(variants + [base]).count == variants.count + 1)
    }

    @Test("a failed outcome's id changes with its error's code and retryable (a reopened key failing differently), other statuses' ids do not")
    func failedEventIDNamesTheError() {
        func id(_ status: ResultStatus, _ error: ResultError?) -> String {
            ResultEvent.eventID(outRequestNo: "A1", key: Self.key, status: status, fingerprint: Self.fingerprint, error: error)
        }
        let rateLimited = ResultError(code: .rateLimited, message: "429", retryable: true)
        let refused = ResultError(code: .providerRejected, message: "no", providerCode: "STOCK_EXHAUSTED", retryable: false)
        let ids = [id(.failed, rateLimited), id(.failed, refused), id(.failed, ResultError(code: .rateLimited, message: "429", retryable: false))]
        #expect(Set(ids).count == 3)
        #expect(id(.failed, rateLimited) == id(.failed, ResultError(code: .rateLimited, message: "other words", retryable: true)),
                "the message is not part of the outcome's identity")
        #expect(id(.rejected, refused) == id(.rejected, nil), "a rejected id is what it was before errors counted")
        #expect(id(.unknown, refused) == id(.unknown, nil))
    }

    @Test(
        "timestamps are RFC 3339 UTC with milliseconds, rounded to the nearest millisecond",
        arguments: [
            (1_795_341_600.123, "2026-11-22T10:00:00.123Z"),
            (0, "1970-01-01T00:00:00.000Z"),
            (-0.001, "1969-12-31T23:59:59.999Z"),
            (1_709_251_199.5, "2024-02-29T23:59:59.500Z"),
            (1.9996, "1970-01-01T00:00:02.000Z"),
            (951_782_400, "2000-02-29T00:00:00.000Z"),
            (-62_135_596_800, "0001-01-01T00:00:00.000Z"),
            (1e15, "9999-12-31T23:59:59.999Z"),
            (-1e15, "0000-01-01T00:00:00.000Z"),
        ])
    func timestamps(secondsSince1970: Double, expected: String) {
        #expect(ResultEvent.timestamp(Date(timeIntervalSince1970: secondsSince1970)) == expected)
    }

    @Test("timestamps agree with Foundation's ISO 8601 formatting on whole seconds across four centuries")
    func timestampsMatchFoundation() {
        let style = Date.ISO8601FormatStyle(timeZone: TimeZone(identifier: "UTC")!)
        var seconds: Int64 = -2_208_988_800  // 1900-01-01
        while seconds < 10_413_792_000 {  // 2300-01-01
            let date = Date(timeIntervalSince1970: Double(seconds))
            let foundation = style.format(date)  // 1900-01-01T00:00:00Z
            #expect(ResultEvent.timestamp(date) == foundation.dropLast() + ".000Z")
            seconds += 7_776_013  // ~90 days and 13 s: walks through every month, leap years and times of day
        }
    }

    @Test("a rejected result carries what the decoder could read and an id tied to the message bytes")
    func rejectedResult() throws {
        let message = Array(#"{"out_request_no":"R1","provider":"alipay","operation":"x","params":{}}"#.utf8)
        let rejection = try #require(CommandDecoder.decode(message, topicKind: .issue).failure)
        let at = Date(timeIntervalSince1970: 1_795_341_600.123)
        let source = SourcePosition(topic: "coupon.commands.issue", partition: 3, offset: 42)
        let event = try #require(ResultEvent.rejected(rejection, message: message, topicKind: .issue, source: source, at: at))
        #expect(event.outRequestNo == "R1")
        #expect(event.status == .rejected)
        #expect(event.command == .issue)
        #expect(event.provider == nil)
        #expect(event.error?.code == .invalidCommand)
        #expect(event.error?.message.hasPrefix("provider: unknown provider \"alipay\"") == true)
        #expect(event.attempts == 0)
        #expect(event.occurredAt == "2026-11-22T10:00:00.123Z")
        let again = ResultEvent.rejected(rejection, message: message, topicKind: .issue, source: source, at: at.addingTimeInterval(60))
        #expect(again?.eventId == event.eventId)
        let other = ResultEvent.rejected(rejection, message: message + [0x20], topicKind: .issue, source: source, at: at)
        #expect(other?.eventId != event.eventId)
    }

    @Test(
        "the published bytes carry the same members as the Codable form and decode to the same event",
        arguments: [
            EventHeaderTests.event,
            ResultEvent(
                eventId: "e", outRequestNo: "R\"1/\u{1}", command: nil, provider: nil, operation: nil, merchant: nil,
                status: .failed, data: nil,
                error: ResultError(code: .providerRejected, message: "券 \\ \n", providerCode: "PARAM_ERROR", retryable: false),
                attempts: 3, replayed: true, occurredAt: "2026-11-22T10:00:00.123Z",
                source: SourcePosition(topic: "coupon.commands.issue", partition: 5, offset: 9_000_000_000)),
        ])
    func encodedMatchesCodable(event: ResultEvent) throws {
        let published = event.encoded()
        // Written member by member in canonical order: the same bytes as sorting the object.
        #expect(published == CanonicalJSON.bytes(of: event.jsonValue))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let codable = try encoder.encode(event)
        #expect(try JSONDecoder().decode(JSONValue.self, from: Data(published)) == JSONDecoder().decode(JSONValue.self, from: codable))
        #expect(try JSONDecoder().decode(ResultEvent.self, from: Data(published)) == event)
    }

    @Test("no rejected result without a readable out_request_no")
    func rejectedWithoutKey() throws {
        let message = Array(#"{"out_request_no":"bad key"}"#.utf8)
        let rejection = try #require(CommandDecoder.decode(message, topicKind: .issue).failure)
        #expect(ResultEvent.rejected(rejection, message: message, topicKind: .issue, source: nil, at: Date()) == nil)
    }
}

@Suite("CloudEvents and dead-letter headers")
struct EventHeaderTests {
    static let event = ResultEvent(
        eventId: "4ffae37a-9c36-8358-a77c-e82d4bf64d1a", outRequestNo: "ORD20261122-0001", command: .issue,
        provider: "wechat", operation: "product_coupon.send", merchant: "1900000001", status: .succeeded,
        data: ["coupon_code": "202007019999"], error: nil, attempts: 1, replayed: false,
        occurredAt: "2026-11-22T10:00:00.123Z", source: nil)

    @Test("CloudEvents binary-mode headers carry the event's id, time and subject")
    func cloudEvents() {
        let headers = CloudEventHeaders.forResult(Self.event, source: "/coupon-worker")
        #expect(headers.map(\.0) == ["ce_specversion", "ce_id", "ce_source", "ce_type", "ce_time", "ce_subject", "content-type"])
        #expect(headers.map(\.1) == [
            "1.0", "4ffae37a-9c36-8358-a77c-e82d4bf64d1a", "/coupon-worker", "com.coupon-worker.result.v1",
            "2026-11-22T10:00:00.123Z", "ORD20261122-0001", "application/json",
        ])
    }

    @Test("dead-letter headers name code, reason, field and source, in a fixed order")
    func deadLetter() throws {
        let message = Array(#"{"out_request_no":"R1","provider":"wechat","operation":"stock.get","params":{"stock_id":"../1"}}"#.utf8)
        let rejection = try #require(CommandDecoder.decode(message, topicKind: .query).failure)
        let headers = DeadLetterHeaders.build(
            rejection: rejection, source: SourcePosition(topic: "coupon.commands.query", partition: 0, offset: 9_000_000_000),
            at: Date(timeIntervalSince1970: 1_795_341_600.123))
        #expect(headers.map(\.0) == [
            "x-coupon-error-code", "x-coupon-error-reason", "x-coupon-error-field", "x-coupon-error-source-topic",
            "x-coupon-error-source-partition", "x-coupon-error-source-offset", "x-coupon-error-at",
        ])
        #expect(headers.map(\.1) == [
            "INVALID_COMMAND", "must be 1..64 of [A-Za-z0-9_-], got \"../1\"", "params.stock_id", "coupon.commands.query", "0",
            "9000000000", "2026-11-22T10:00:00.123Z",
        ])
    }

    @Test("dead-letter reasons are one line, at most 1024 bytes, and the field is left out when unknown")
    func deadLetterSanitised() {
        let headers = DeadLetterHeaders.build(
            code: .outcomeUnknown, reason: "line one\r\nx-injected: yes\u{2028}" + String(repeating: "券", count: 1_000), field: nil,
            source: SourcePosition(topic: "t", partition: 1, offset: 2), at: Date(timeIntervalSince1970: 0))
        let reason = headers.first { $0.0 == DeadLetterHeaders.reason }?.1 ?? ""
        #expect(reason.hasPrefix("line one  x-injected: yes 券"))
        #expect(reason.utf8.count <= DeadLetterHeaders.maxReasonBytes)
        #expect(reason.hasSuffix("…"))
        #expect(!headers.contains { $0.0 == DeadLetterHeaders.field })
    }
}

extension Result {
    fileprivate var failure: Failure? {
        if case .failure(let failure) = self { return failure }
        return nil
    }
}
