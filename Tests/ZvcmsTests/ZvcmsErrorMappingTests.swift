import CouponModel
import Testing
import Zvcms

/// The one mapping from zvcms errors to the pipeline's vocabulary, case by case.
@Suite("ZvcmsError → ProviderFailure")
struct ZvcmsErrorMappingTests {
    struct Row: Sendable, CustomTestStringConvertible {
        var error: ZvcmsError
        var kind: CommandKind
        var code: ErrorCode
        var retryable: Bool
        var ambiguous: Bool
        var testDescription: String { "\(error) on \(kind)" }
    }

    static let rows: [Row] = [
        Row(error: .invalidParams("x"), kind: .issue, code: .invalidCommand, retryable: false, ambiguous: false),
        Row(error: .signatureRejected(code: "110004", message: "", traceID: nil), kind: .query, code: .signatureInvalid, retryable: false, ambiguous: false),
        Row(error: .rejected(code: "100002", message: "", traceID: nil), kind: .issue, code: .providerRejected, retryable: false, ambiguous: false),
        Row(error: .httpStatus(502, message: ""), kind: .query, code: .providerUnavailable, retryable: true, ambiguous: false),
        Row(error: .httpStatus(502, message: ""), kind: .issue, code: .outcomeUnknown, retryable: false, ambiguous: true),
        Row(error: .httpStatus(429, message: ""), kind: .issue, code: .rateLimited, retryable: true, ambiguous: false),
        Row(error: .httpStatus(404, message: ""), kind: .query, code: .providerRejected, retryable: false, ambiguous: false),
        Row(error: .undecodableResponse(reason: ""), kind: .query, code: .providerUnavailable, retryable: true, ambiguous: false),
        Row(error: .undecodableResponse(reason: ""), kind: .issue, code: .outcomeUnknown, retryable: false, ambiguous: true),
        Row(error: .noAnswer(reason: ""), kind: .query, code: .providerUnavailable, retryable: true, ambiguous: false),
        Row(error: .noAnswer(reason: ""), kind: .issue, code: .outcomeUnknown, retryable: false, ambiguous: true),
        Row(error: .notSent(reason: ""), kind: .issue, code: .providerUnavailable, retryable: true, ambiguous: false),
    ]

    @Test("each zvcms error maps to one code, retryability and ambiguity", arguments: rows)
    func mapping(row: Row) {
        let failure = row.error.providerFailure(for: row.kind)
        #expect(failure.code == row.code)
        #expect(failure.retryable == row.retryable)
        #expect(failure.ambiguous == row.ambiguous)
    }

    @Test("zvcms's own code is carried as provider_code")
    func providerCode() {
        let failure = ZvcmsError.rejected(code: "300001", message: "不存在", traceID: "t").providerFailure(for: .query)
        #expect(failure.providerCode == "300001")
        #expect(failure.resultError.providerCode == "300001")
    }
}
