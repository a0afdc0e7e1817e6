import CouponModel
import CouponSandbox
import Foundation
import Testing
import TestSupport
import WeChatPay

/// Every error class of the doc's table, provoked in the sandbox and seen as ProviderFailure.
@Suite("WeChat Pay errors map to the project's vocabulary")
struct ErrorMappingTests {
    static func send(_ client: WeChatPayClient, _ outRequestNo: String) async throws(WeChatPayError) -> SendProductCouponResponse {
        try await client.sendProductCoupon(
            SendProductCouponRequest(
                openid: "oUser1", appid: WeChatFixture.appid, stockID: WeChatFixture.stockID, outRequestNo: outRequestNo))
    }

    /// The ProviderFailure `body` fails with; nil (and a recorded issue) when it succeeds or
    /// throws something that is not a WeChatPayError.
    static func failure(_ body: () async throws -> Void) async -> ProviderFailure? {
        do {
            try await body()
            Issue.record("expected a failure")
            return nil
        } catch let error as WeChatPayError {
            return error.providerFailure
        } catch {
            Issue.record("unexpected \(error)")
            return nil
        }
    }

    @Test("500 SYSTEM_ERROR and 503 SERVICE_UNAVAILABLE are retryable, not ambiguous")
    func serverErrorsRetryable() async throws {
        try await WeChatFixture.with { fixture in
            _ = try await fixture.client.refreshPlatformCertificates()
            for status in [500, 503] {
                fixture.sandbox.faults.inject(.httpStatus(status))
                let failure = try #require(await Self.failure { _ = try await Self.send(fixture.client, "ORD-\(status)") })
                #expect(failure.code == .providerUnavailable)
                #expect(failure.providerCode == (status == 500 ? "SYSTEM_ERROR" : "SERVICE_UNAVAILABLE"))
                #expect(failure.httpStatus == status)
                #expect(failure.retryable && !failure.ambiguous)
            }
            #expect(fixture.sandbox.coupons.isEmpty)
        }
    }

    @Test("429 FREQUENCY_LIMITED is RATE_LIMITED and retryable")
    func rateLimited() async throws {
        try await WeChatFixture.with { fixture in
            fixture.sandbox.faults.inject(.httpStatus(429), pathContains: "product-coupons")
            let failure = try #require(await Self.failure { _ = try await Self.send(fixture.client, "ORD-429") })
            #expect(failure.code == .rateLimited)
            #expect(failure.providerCode == "FREQUENCY_LIMITED")
            #expect(failure.retryable && !failure.ambiguous)
        }
    }

    @Test("4xx answers are terminal PROVIDER_REJECTED with WeChat's code and detail")
    func clientErrorsTerminal() async throws {
        try await WeChatFixture.with { fixture in
            // 404 RESOURCE_NOT_EXISTS: no such stock.
            let missing = try #require(await Self.failure { _ = try await fixture.client.stock(id: "404404") })
            #expect(missing.code == .providerRejected)
            #expect(missing.providerCode == "RESOURCE_NOT_EXISTS")
            #expect(missing.httpStatus == 404 && !missing.retryable)
            // 403 NO_AUTH: another merchant's stock.
            fixture.sandbox.addStock(WeChatSandboxStock(stockID: "555", creatorMerchant: "1900009999"))
            let noAuth = try #require(
                await Self.failure {
                    _ = try await fixture.client.sendProductCoupon(
                        SendProductCouponRequest(openid: "o", appid: WeChatFixture.appid, stockID: "555", outRequestNo: "ORD-403"))
                })
            #expect(noAuth.providerCode == "NO_AUTH" && noAuth.httpStatus == 403 && !noAuth.retryable)
            // 400 PARAM_ERROR with detail: limit out of range.
            let param = try #require(
                await Self.failure {
                    _ = try await fixture.client.userCoupons(
                        UserCouponsQuery(openid: "o", appid: WeChatFixture.appid, senderMerchant: WeChatFixture.mchid, limit: 51))
                })
            #expect(param.providerCode == "PARAM_ERROR" && param.httpStatus == 400)
            #expect(param.message.contains("field=limit"))
            // 400 INVALID_REQUEST: the same out_request_no with other parameters.
            _ = try await Self.send(fixture.client, "ORD-reuse")
            let reuse = try #require(
                await Self.failure {
                    _ = try await fixture.client.sendProductCoupon(
                        SendProductCouponRequest(
                            openid: "oUser1", appid: "wxOTHER", stockID: WeChatFixture.stockID, outRequestNo: "ORD-reuse"))
                })
            #expect(reuse.providerCode == "INVALID_REQUEST" && reuse.code == .providerRejected && !reuse.ambiguous)
            #expect(fixture.sandbox.issuanceCount(outRequestNo: "ORD-reuse") == 1)
        }
    }

    @Test("401 SIGN_ERROR is signed again once with a new nonce, and then succeeds")
    func signErrorResignedOnce() async throws {
        try await WeChatFixture.with { fixture in
            _ = try await fixture.client.refreshPlatformCertificates()
            fixture.sandbox.faults.inject(.httpStatus(401), pathContains: "product-coupons")
            let response = try await Self.send(fixture.client, "ORD-401")
            #expect(response.outRequestNo == "ORD-401")
            let sends = fixture.sandbox.requests.filter { $0.target.contains("product-coupons") }
            #expect(sends.map(\.status) == [401, 200])
            #expect(Set(sends.compactMap(\.nonce)).count == 2)
        }
    }

    @Test("a second SIGN_ERROR is SIGNATURE_INVALID and terminal, after exactly two attempts")
    func signErrorTwiceTerminal() async throws {
        try await WeChatFixture.with { fixture in
            // Clock skew beyond 5 minutes is what causes SIGN_ERROR in practice.
            fixture.sandbox.faults.inject(.clockSkew(seconds: 900), times: 2, pathContains: "product-coupons")
            let failure = try #require(await Self.failure { _ = try await Self.send(fixture.client, "ORD-skew") })
            #expect(failure.code == .signatureInvalid)
            #expect(failure.providerCode == "SIGN_ERROR")
            #expect(!failure.retryable && !failure.ambiguous)
            #expect(fixture.sandbox.requests.filter { $0.target.contains("product-coupons") }.count == 2)
            #expect(fixture.sandbox.issuanceCount(outRequestNo: "ORD-skew") == 0)
        }
    }

    /// A held answer and one that stops half-way (the call's timeout must cover the whole
    /// answer, not only its head) both end at the timeout, after the coupon was issued.
    @Test(
        "a timeout after the coupon was issued is retryable and ambiguous",
        .timeLimit(.minutes(1)), arguments: [SandboxFault.timeoutAfterProcessing, .answerStalls])
    func timeoutAfterProcessingAmbiguous(fault: SandboxFault) async throws {
        // Public-key trust: no certificate download has to fit inside the short timeout.
        try await WeChatFixture.with(trust: .publicKey) { fixture in
            let client = try fixture.makeClient(configuration: WeChatPayClient.Configuration(timeout: .seconds(2)))
            fixture.sandbox.faults.inject(fault, pathContains: "product-coupons")
            // The answer waits at the sandbox's gate until the coupon was issued: the issuance
            // is then a fact, not a race with the client's timeout on a loaded runner.
            fixture.sandbox.faults.gate.close(pathContains: "product-coupons")
            async let outcome = Self.failure { _ = try await Self.send(client, "ORD-timeout") }
            await fixture.sandbox.faults.gate.openWhenHolding(1)
            let failure = try #require(await outcome)
            #expect(failure.code == .providerUnavailable)
            #expect(failure.retryable && failure.ambiguous)
            #expect(fixture.sandbox.issuanceCount(outRequestNo: "ORD-timeout") == 1)
        }
    }

    @Test("a connection closed without an answer is retryable and ambiguous, and nothing was issued")
    func connectionResetAmbiguous() async throws {
        try await WeChatFixture.with { fixture in
            _ = try await fixture.client.refreshPlatformCertificates()
            fixture.sandbox.faults.inject(.connectionReset, pathContains: "product-coupons")
            let failure = try #require(await Self.failure { _ = try await Self.send(fixture.client, "ORD-reset") })
            #expect(failure.code == .providerUnavailable)
            #expect(failure.retryable && failure.ambiguous)
            #expect(fixture.sandbox.issuanceCount(outRequestNo: "ORD-reset") == 0)
        }
    }

    @Test("connection refused before sending is retryable and not ambiguous")
    func connectionRefusedNotAmbiguous() async throws {
        let refusing = try RefusingPort()
        defer { refusing.close() }
        let port = refusing.port
        try await WeChatFixture.with(trust: .publicKey) { fixture in
            let client = try fixture.makeClient(
                configuration: WeChatPayClient.Configuration(timeout: .seconds(1)), baseURL: "http://127.0.0.1:\(port)")
            let failure = try #require(await Self.failure { _ = try await Self.send(client, "ORD-refused") })
            #expect(failure.code == .providerUnavailable)
            #expect(failure.retryable && !failure.ambiguous)
        }
    }

    @Test("when the primary host cannot be reached the same signed request goes to the backup host")
    func backupHost() async throws {
        let refusing = try RefusingPort()
        defer { refusing.close() }
        let port = refusing.port
        try await WeChatFixture.with(trust: .publicKey) { fixture in
            let client = try fixture.makeClient(
                configuration: WeChatPayClient.Configuration(timeout: .seconds(10)), baseURL: "http://127.0.0.1:\(port)",
                backupBaseURL: fixture.baseURL)
            let response = try await Self.send(client, "ORD-backup")
            #expect(response.outRequestNo == "ORD-backup")
            #expect(fixture.sandbox.issuanceCount(outRequestNo: "ORD-backup") == 1)
        }
    }
}
