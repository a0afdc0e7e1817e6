import CouponModel
import Foundation
import Testing

@Suite("JSON Schemas")
struct SchemaTests {
    @Test("validate.py passes every valid example and fails every invalid one")
    func allExamples() async throws {
        let run = try await SchemaValidator.validate()
        #expect(run.status == 0, "\(run.output)")
        #expect(run.output.contains(" checked, 0 failed"), "\(run.output)")
    }

    @Test(
        "the Swift decoder agrees with the command schemas on every example",
        arguments: [("coupon-command-issue.v1", CommandKind.issue), ("coupon-command-query.v1", .query)])
    func decoderAgreesWithSchema(schema: String, kind: CommandKind) throws {
        let valid = try SchemaValidator.examples(schema, "valid")
        let invalid = try SchemaValidator.examples(schema, "invalid")
        #expect(!valid.isEmpty && !invalid.isEmpty)
        for file in valid {
            let result = CommandDecoder.decode(Array(try Data(contentsOf: file)), topicKind: kind)
            if case .failure(let rejection) = result { Issue.record("\(file.lastPathComponent) rejected: \(rejection)") }
        }
        for file in invalid {
            let result = CommandDecoder.decode(Array(try Data(contentsOf: file)), topicKind: kind)
            if case .success = result { Issue.record("\(file.lastPathComponent) accepted but the schema refuses it") }
        }
    }

    @Test("the Swift encoder's result of every status, and a rejected one, validates against coupon-result.v1")
    func encodedResultsMatchSchema() async throws {
        let key = IdempotencyKey(provider: .zvcms, merchant: "naixue", outRequestNo: "ZV-0001")
        let command = CouponCommand(
            outRequestNo: "ZV-0001", operation: .zvcmsCouponIssue, merchant: "naixue",
            params: ["couponId": "952", "customerId": .integer(383_933_091_455_959_041)])
        let fingerprint = CommandFingerprint(command: command, merchant: "naixue")
        let at = Date(timeIntervalSince1970: 1_795_341_600.123)
        var events: [ResultEvent] = ResultStatus.allCases.map { status in
            let error: ResultError? =
                switch status {
                case .succeeded: nil
                case .failed: ProviderFailure(code: .rateLimited, message: "HTTP 429", providerCode: "RATE_LIMITED", httpStatus: 429, retryable: true).resultError
                case .rejected: ResultError(code: .idempotencyConflict, message: "ZV-0001 was used for another command", retryable: false)
                case .unknown: ResultError(code: .outcomeUnknown, message: "timed out after the request was sent", retryable: false)
                }
            return ResultEvent(
                eventId: ResultEvent.eventID(outRequestNo: "ZV-0001", key: key, status: status, fingerprint: fingerprint, error: error),
                outRequestNo: "ZV-0001", command: .issue, provider: "zvcms", operation: "coupon.issue", merchant: "naixue",
                status: status,
                data: status == .succeeded ? ["cardId": "390913445498200065", "cardIdList": ["390913445498200065"], "num": 1, "ratio": 0.5, "名": "券"] : nil,
                error: error, attempts: status == .rejected ? 0 : 3, replayed: status == .succeeded,
                occurredAt: ResultEvent.timestamp(at),
                source: SourcePosition(topic: "coupon.commands.issue", partition: 3, offset: 42))
        }
        let bad = Array(#"{"out_request_no":"R1","provider":"wechat","operation":"nope","params":{}}"#.utf8)
        if case .failure(let rejection) = CommandDecoder.decode(bad, topicKind: .issue),
            let rejected = ResultEvent.rejected(rejection, message: bad, topicKind: nil, source: nil, at: at)
        {
            #expect(rejected.command == nil)
            events.append(rejected)
        } else {
            Issue.record("the bad command was not turned into a rejected result")
        }

        let documents = events.enumerated().map { (name: "result-\($0)-\($1.status.rawValue)", bytes: $1.encoded()) }
        #expect(documents.allSatisfy { !$0.bytes.isEmpty })
        let run = try await SchemaValidator.validate(documents: documents, against: "coupon-result.v1")
        #expect(run.status == 0, "\(run.output)")
        #expect(run.output.contains("\(documents.count) checked, 0 failed"), "\(run.output)")
    }

    @Test("dead-letter headers built in Swift validate against coupon-dlq-headers.v1")
    func deadLetterHeadersMatchSchema() async throws {
        let source = SourcePosition(topic: "coupon.commands.issue", partition: 7, offset: 123_456)
        let at = Date(timeIntervalSince1970: 1_795_341_600.123)
        let messages = ["{", "[]", #"{"out_request_no":"A1","provider":"wechat","operation":"product_coupon.send","params":{"openid":"o\r\n/../x"}}"#]
        var headerSets = messages.compactMap { text -> [(String, String)]? in
            guard case .failure(let rejection) = CommandDecoder.decode(Array(text.utf8), topicKind: .issue) else { return nil }
            return DeadLetterHeaders.build(rejection: rejection, source: source, at: at)
        }
        headerSets.append(
            DeadLetterHeaders.build(
                code: .outcomeUnknown, reason: "zvcms issue timed out\nafter sending", field: nil, source: source, at: at))
        #expect(headerSets.count == messages.count + 1)

        let documents = headerSets.enumerated().map { i, headers in
            let object = JSONValue.object(Dictionary(uniqueKeysWithValues: headers.map { ($0.0, JSONValue.string($0.1)) }))
            return (name: "headers-\(i)", bytes: CanonicalJSON.bytes(of: object))
        }
        let run = try await SchemaValidator.validate(documents: documents, against: "coupon-dlq-headers.v1")
        #expect(run.status == 0, "\(run.output)")
        #expect(run.output.contains("\(documents.count) checked, 0 failed"), "\(run.output)")
    }
}
