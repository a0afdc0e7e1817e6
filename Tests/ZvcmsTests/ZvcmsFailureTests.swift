import AsyncHTTPClient
import CouponModel
import CouponSandbox
import Foundation
import NIOCore
import Testing
import TestSupport
import Zvcms

/// Every failure class, provoked for real against the sandbox, and how it reaches the
/// pipeline: which failures may be retried and which issues are ambiguous.
@Suite("zvcms failures")
struct ZvcmsFailureTests {
    static func issue(_ outRequestNo: String) -> CouponCommand {
        CouponCommand(
            outRequestNo: outRequestNo, operation: .zvcmsCouponIssue, merchant: nil,
            params: ["couponId": .string(ZvcmsFixture.couponID), "customerId": .string(ZvcmsFixture.customerID)])
    }

    static let statusQuery = CouponCommand(
        outRequestNo: "Q-1", operation: .zvcmsCouponStatus, merchant: nil,
        params: ["id": .string(ZvcmsFixture.existingCardID)])

    /// The failure of an issue whose answer the sandbox holds at its gate until the coupon was
    /// issued, so the issuance is counted after the fact, not raced against the client's
    /// timeout (a loaded runner may process the request after the client gave up).
    static func failureAfterProcessing(
        of command: CouponCommand, with provider: ZvcmsCouponProvider, in fixture: ZvcmsFixture
    ) async -> ProviderFailure? {
        fixture.sandbox.faults.gate.close(pathContains: "issueCouponsToCustomer")
        async let failure = Self.failure(of: command, with: provider)
        await fixture.sandbox.faults.gate.openWhenHolding(1)
        return await failure
    }

    /// The failure `command` ends in; the test fails if it succeeds.
    static func failure(of command: CouponCommand, with provider: ZvcmsCouponProvider) async -> ProviderFailure? {
        do {
            _ = try await provider.execute(command)
            return nil
        } catch {
            return error
        }
    }

    @Test("a wrong openKey is refused with 110004: SIGNATURE_INVALID, terminal, no secret in the message")
    func wrongKey() async throws {
        try await ZvcmsFixture.withRunning { fixture in
            var account = fixture.account
            account.openKey = OpenKey("not-the-right-key-0001")
            let failure = try #require(await Self.failure(of: Self.statusQuery, with: fixture.provider(account: account)))
            #expect(failure.code == .signatureInvalid)
            #expect(failure.providerCode == "110004")
            #expect(!failure.retryable && !failure.ambiguous)
            #expect(!failure.message.contains("not-the-right-key"))
            #expect(!failure.message.contains(ZvcmsFixture.openKey))
        }
    }

    @Test("a business refusal is PROVIDER_REJECTED with zvcms's code, in either scalar style",
          arguments: [ZvcmsSandbox.Configuration.ScalarStyle.typed, .strings])
    func businessRefusal(style: ZvcmsSandbox.Configuration.ScalarStyle) async throws {
        try await ZvcmsFixture.withRunning(configuration: ZvcmsFixture.configuration(scalarStyle: style)) { fixture in
            let command = CouponCommand(
                outRequestNo: "Q-9", operation: .zvcmsCouponStatus, merchant: nil, params: ["id": "404404404404404404"])
            let failure = try #require(await Self.failure(of: command, with: fixture.provider()))
            #expect(failure.code == .providerRejected)
            #expect(failure.providerCode == "300001")
            #expect(!failure.retryable)
        }
    }

    @Test("a request timestamp outside the server clock's tolerance is refused (110007), again after signing afresh")
    func clockSkew() async throws {
        try await ZvcmsFixture.withRunning { fixture in
            fixture.sandbox.faults.inject(.clockSkew(seconds: 3600), times: 2)
            let failure = try #require(await Self.failure(of: Self.statusQuery, with: fixture.provider()))
            #expect(failure.code == .providerRejected)
            #expect(failure.providerCode == "110007")
        }
    }

    @Test("an issue refused once with 110007 is signed afresh and sent once more: issued once")
    func staleRequestIsSignedAfresh() async throws {
        try await ZvcmsFixture.withRunning { fixture in
            fixture.sandbox.faults.inject(.clockSkew(seconds: 3600))
            let data = try await fixture.provider().execute(Self.issue("ORD-110007"))
            #expect(data["cardId"] != nil)
            #expect(fixture.sandbox.issuanceCount(outRequestNo: "ORD-110007") == 1)
        }
    }

    @Test("the sandbox refuses params that are not a JSON object with 100002")
    func paramsNotAnObject() async throws {
        try await ZvcmsFixture.withRunning { fixture in
            let timestamp = Int64(Date().timeIntervalSince1970)
            let token = TokenSigner(openKey: OpenKey(ZvcmsFixture.openKey)).token(
                openID: ZvcmsFixture.openID, grantCode: ZvcmsFixture.grantCode, nonce: 42, timestamp: timestamp)
            let body: JSONValue = [
                "openId": .string(ZvcmsFixture.openID), "grantCode": .string(ZvcmsFixture.grantCode), "nonce": 42,
                "timestamp": .integer(timestamp), "token": .string(token), "params": #"{"id":"1"}"#,
            ]
            var request = HTTPClientRequest(url: fixture.account.baseURL + "/v3/coupon/status")
            request.method = .POST
            request.body = .bytes(ByteBuffer(bytes: try JSONEncoder().encode(body)))
            let response = try await fixture.httpClient.execute(request, timeout: .seconds(10))
            let answer = try JSONDecoder().decode(
                JSONValue.self, from: Data(try await response.body.collect(upTo: 1 << 16).readableBytesView))
            #expect(response.status.code == 200)
            #expect(answer["status"] == false)
            #expect(answer["code"] == 100002)
        }
    }

    @Test("params the call cannot use are INVALID_COMMAND, and nothing is issued")
    func invalidParams() async throws {
        try await ZvcmsFixture.withRunning { fixture in
            let command = CouponCommand(
                outRequestNo: "ORD-BAD", operation: .zvcmsCouponIssue, merchant: nil,
                params: ["couponId": .string(ZvcmsFixture.couponID)])
            let failure = try #require(await Self.failure(of: command, with: fixture.provider()))
            #expect(failure.code == .invalidCommand)
            #expect(!failure.retryable)
            #expect(fixture.sandbox.issuanceCount(outRequestNo: "ORD-BAD") == 0)
        }
    }

    @Test("HTTP 5xx is retryable for a query but OUTCOME_UNKNOWN, not retryable, for an issue")
    func serverError() async throws {
        try await ZvcmsFixture.withRunning { fixture in
            fixture.sandbox.faults.inject(.httpStatus(503))
            let query = try #require(await Self.failure(of: Self.statusQuery, with: fixture.provider()))
            #expect(query.code == .providerUnavailable)
            #expect(query.retryable && !query.ambiguous)
            #expect(query.httpStatus == 503)

            fixture.sandbox.faults.inject(.httpStatus(500))
            let issue = try #require(await Self.failure(of: Self.issue("ORD-5XX"), with: fixture.provider()))
            #expect(issue.code == .outcomeUnknown)
            #expect(issue.ambiguous && !issue.retryable)
        }
    }

    @Test("HTTP 429 is RATE_LIMITED and retryable")
    func throttled() async throws {
        try await ZvcmsFixture.withRunning { fixture in
            fixture.sandbox.faults.inject(.httpStatus(429))
            let failure = try #require(await Self.failure(of: Self.issue("ORD-429"), with: fixture.provider()))
            #expect(failure.code == .rateLimited)
            #expect(failure.retryable)
        }
    }

    @Test("a timeout after sending is retryable for a query")
    func queryTimeout() async throws {
        try await ZvcmsFixture.withRunning { fixture in
            fixture.sandbox.faults.inject(.timeoutAfterProcessing)
            let failure = try #require(
                await Self.failure(of: Self.statusQuery, with: fixture.provider(timeout: .milliseconds(500))))
            #expect(failure.code == .providerUnavailable)
            #expect(failure.retryable && !failure.ambiguous)
        }
    }

    @Test("an issue that timed out after zvcms processed it is OUTCOME_UNKNOWN and never re-sent")
    func ambiguousIssueIsNotResent() async throws {
        try await ZvcmsFixture.withRunning { fixture in
            fixture.sandbox.faults.inject(.timeoutAfterProcessing)
            let provider = fixture.provider(timeout: .milliseconds(500))
            let command = Self.issue("ORD-AMBIGUOUS")
            let failure = try #require(await Self.failureAfterProcessing(of: command, with: provider, in: fixture))
            #expect(failure.code == .outcomeUnknown)
            #expect(failure.ambiguous && !failure.retryable)
            // zvcms has no way to look the issue up again: the outcome stays unknown.
            #expect(try await provider.reconcile(command) == .unknowable)
            // The coupon was issued exactly once; the client did not send it again.
            #expect(fixture.sandbox.issuanceCount(outRequestNo: "ORD-AMBIGUOUS") == 1)
            #expect(fixture.sandbox.coupons(ofCustomer: ZvcmsFixture.customerID).filter { $0.bizID == "ORD-AMBIGUOUS" }.count == 1)
        }
    }

    @Test(
        "an answer that stops half-way ends at the call's timeout: OUTCOME_UNKNOWN for an issue, retryable for a query",
        .timeLimit(.minutes(1)))
    func stalledAnswer() async throws {
        try await ZvcmsFixture.withRunning { fixture in
            let provider = fixture.provider(timeout: .seconds(2))
            fixture.sandbox.faults.inject(.answerStalls)
            let issue = try #require(await Self.failureAfterProcessing(of: Self.issue("ORD-STALLED"), with: provider, in: fixture))
            #expect(issue.code == .outcomeUnknown)
            #expect(issue.ambiguous && !issue.retryable)
            #expect(fixture.sandbox.issuanceCount(outRequestNo: "ORD-STALLED") == 1)
            fixture.sandbox.faults.inject(.answerStalls)
            let query = try #require(await Self.failure(of: Self.statusQuery, with: provider))
            #expect(query.code == .providerUnavailable)
            #expect(query.retryable && !query.ambiguous)
        }
    }

    @Test("a connection reset after sending is retryable for a query, OUTCOME_UNKNOWN for an issue")
    func connectionReset() async throws {
        try await ZvcmsFixture.withRunning { fixture in
            fixture.sandbox.faults.inject(.connectionReset)
            let query = try #require(await Self.failure(of: Self.statusQuery, with: fixture.provider()))
            #expect(query.code == .providerUnavailable)
            #expect(query.retryable)

            fixture.sandbox.faults.inject(.connectionReset)
            let issue = try #require(await Self.failure(of: Self.issue("ORD-RESET"), with: fixture.provider()))
            #expect(issue.code == .outcomeUnknown)
            #expect(issue.ambiguous && !issue.retryable)
        }
    }

    @Test("an unreadable answer to an issue is OUTCOME_UNKNOWN (the coupon was issued)")
    func undecodableAnswer() async throws {
        try await ZvcmsFixture.withRunning { fixture in
            fixture.sandbox.faults.inject(.wrongSignature)
            let issue = try #require(await Self.failure(of: Self.issue("ORD-GARBLED"), with: fixture.provider()))
            #expect(issue.code == .outcomeUnknown)
            #expect(issue.ambiguous && !issue.retryable)
            #expect(fixture.sandbox.issuanceCount(outRequestNo: "ORD-GARBLED") == 1)

            fixture.sandbox.faults.inject(.wrongSignature)
            let query = try #require(await Self.failure(of: Self.statusQuery, with: fixture.provider()))
            #expect(query.code == .providerUnavailable)
            #expect(query.retryable)
        }
    }

    @Test("a refused connection never sent the request: retryable even for an issue")
    func connectionRefused() async throws {
        // Held, not merely closed: a closed port can go to a parallel test's server.
        let refusing = try RefusingPort()
        defer { refusing.close() }
        try await ZvcmsFixture.withRunning { fixture in
            var account = fixture.account
            account.baseURL = "http://127.0.0.1:\(refusing.port)"
            let failure = try #require(
                await Self.failure(of: Self.issue("ORD-REFUSED"), with: fixture.provider(account: account, timeout: .seconds(2))))
            #expect(failure.code == .providerUnavailable)
            #expect(failure.retryable && !failure.ambiguous)
        }
    }
}
