import CouponModel
import CouponSandbox
import Foundation
import Testing
import TestSupport
import WeChatPay

/// Which keys verify answers: platform certificates, the WeChat Pay public key, both.
@Suite("Response trust modes")
struct TrustModeTests {
    static func send(_ client: WeChatPayClient, _ outRequestNo: String) async throws(WeChatPayError) -> SendProductCouponResponse {
        try await client.sendProductCoupon(
            SendProductCouponRequest(
                openid: "oTrust", appid: WeChatFixture.appid, stockID: WeChatFixture.stockID, outRequestNo: outRequestNo))
    }

    @Test("platform-certificate mode downloads the certificates once and verifies with them")
    func platformCertificates() async throws {
        try await WeChatFixture.with(trust: .platformCertificates) { fixture in
            _ = try await Self.send(fixture.client, "ORD-p1")
            _ = try await Self.send(fixture.client, "ORD-p2")
            #expect(await fixture.client.certificateDownloads == 1)
            #expect(fixture.sandbox.certificateDownloads == 1)
            let serial = try #require(fixture.sandbox.platformSerials.last)
            #expect(fixture.sandbox.requests.allSatisfy { $0.answerSerial == serial })
        }
    }

    @Test("public-key mode never asks for certificates and verifies with the PUB_KEY_ID key")
    func publicKey() async throws {
        try await WeChatFixture.with(trust: .publicKey) { fixture in
            _ = try await Self.send(fixture.client, "ORD-k1")
            let id = try #require(fixture.sandboxPublicKey?.id)
            #expect(fixture.sandbox.requests.map(\.target) == ["/v3/marketing/busifavor/product-coupons/send"])
            #expect(fixture.sandbox.requests.first?.wechatpaySerial == id)
            #expect(fixture.sandbox.requests.first?.answerSerial == id)
        }
    }

    @Test("in public-key mode the certificates endpoint is 404 RESOURCE_NOT_EXISTS")
    func certificatesAbsentInPublicKeyMode() async throws {
        try await WeChatFixture.with(trust: .publicKey) { fixture in
            let client = try fixture.makeClient()
            // A platform-certificate client for a public-key-only merchant cannot get keys.
            let platformProfile = WeChatMerchantProfile(
                mchid: fixture.profile.mchid, certificateSerial: fixture.profile.certificateSerial,
                privateKey: fixture.profile.privateKey, apiV3Key: fixture.profile.apiV3Key, trustMode: .platformCertificates,
                baseURL: fixture.baseURL)
            let platformClient = WeChatPayClient(profile: platformProfile, configuration: client.configuration)
            do throws(WeChatPayError) {
                _ = try await Self.send(platformClient, "ORD-404cert")
                Issue.record("expected the certificates download to fail")
            } catch {
                guard case .errorResponse(let response) = error else {
                    Issue.record("unexpected \(error)")
                    return
                }
                #expect(response.status == 404 && response.code == "RESOURCE_NOT_EXISTS")
                #expect(!error.providerFailure.ambiguous)
            }
            #expect(fixture.sandbox.issuanceCount(outRequestNo: "ORD-404cert") == 0)
        }
    }

    @Test("mixed mode verifies answers signed by either key, routed by Wechatpay-Serial")
    func mixed() async throws {
        try await WeChatFixture.with(trust: .mixed) { fixture in
            for index in 0..<4 { _ = try await Self.send(fixture.client, "ORD-m\(index)") }
            let answerSerials = Set(fixture.sandbox.requests.compactMap(\.answerSerial))
            let id = try #require(fixture.sandboxPublicKey?.id)
            let platform = try #require(fixture.sandbox.platformSerials.last)
            #expect(answerSerials == [id, platform])
            #expect(fixture.sandbox.requests.filter { $0.target.contains("product-coupons") }.allSatisfy { $0.status == 200 })
        }
    }

    @Test("a public-key client whose merchant is being migrated downloads the certificates at the first platform serial and verifies both kinds")
    func publicKeyClientDuringMigration() async throws {
        try await WeChatFixture.with(trust: .mixed) { fixture in
            let key = try #require(fixture.sandboxPublicKey)
            let profile = WeChatMerchantProfile(
                mchid: fixture.profile.mchid, certificateSerial: fixture.profile.certificateSerial,
                privateKey: fixture.profile.privateKey, apiV3Key: fixture.profile.apiV3Key,
                trustMode: .publicKey(try WeChatPayPublicKey(id: key.id, pem: key.pemRepresentation)), baseURL: fixture.baseURL)
            let client = WeChatPayClient(profile: profile, configuration: fixture.client.configuration)
            for index in 0..<4 { _ = try await Self.send(client, "ORD-mig\(index)") }
            let platform = try #require(fixture.sandbox.platformSerials.last)
            let answerSerials = Set(fixture.sandbox.requests.filter { $0.target.contains("product-coupons") }.compactMap(\.answerSerial))
            #expect(answerSerials == [key.id, platform], "the sandbox signed with both kinds")
            #expect(await client.certificateDownloads == 1)
        }
    }

    @Test("a rotated platform certificate makes the client refresh once and carry on")
    func rotation() async throws {
        try await WeChatFixture.with(trust: .platformCertificates) { fixture in
            _ = try await Self.send(fixture.client, "ORD-r1")
            #expect(await fixture.client.certificateDownloads == 1)
            let newSerial = try fixture.sandbox.rotatePlatformCertificate()
            _ = try await Self.send(fixture.client, "ORD-r2")
            _ = try await Self.send(fixture.client, "ORD-r3")
            #expect(await fixture.client.certificateDownloads == 2)
            #expect(fixture.sandbox.requests.last?.answerSerial == newSerial)
            #expect(fixture.sandbox.requests.last?.wechatpaySerial == newSerial)
        }
    }

    @Test("a forged answer to an issue is SIGNATURE_INVALID and ambiguous, and the coupon exists")
    func forgedAnswer() async throws {
        try await WeChatFixture.with { fixture in
            _ = try await fixture.client.refreshPlatformCertificates()
            fixture.sandbox.faults.inject(.wrongSignature, pathContains: "product-coupons")
            do throws(WeChatPayError) {
                _ = try await Self.send(fixture.client, "ORD-forged")
                Issue.record("a forged answer was accepted")
            } catch {
                guard case .responseUnverified(.badSignature) = error else {
                    Issue.record("unexpected \(error)")
                    return
                }
                let failure = error.providerFailure
                #expect(failure.code == .signatureInvalid)
                #expect(failure.ambiguous && !failure.retryable)
            }
            #expect(fixture.sandbox.issuanceCount(outRequestNo: "ORD-forged") == 1)
        }
    }

    @Test(
        "a certificate download that fails before any business call leaves the issue unsent: retryable, not ambiguous",
        arguments: [SandboxFault.wrongSignature, .httpStatus(503)])
    func failedCertificateDownloadIsNotTheCallsFailure(fault: SandboxFault) async throws {
        try await WeChatFixture.with(trust: .platformCertificates) { fixture in
            fixture.sandbox.faults.inject(fault, pathContains: "v3/certificates")
            do throws(WeChatPayError) {
                _ = try await Self.send(fixture.client, "ORD-nocert")
                Issue.record("the issue went through without trusted certificates")
            } catch {
                let failure = error.providerFailure
                #expect(failure.retryable && !failure.ambiguous, "nothing was sent: a retry is safe (\(error))")
            }
            #expect(fixture.sandbox.issuanceCount(outRequestNo: "ORD-nocert") == 0)
            // The next call downloads again and goes through.
            _ = try await Self.send(fixture.client, "ORD-nocert")
            #expect(fixture.sandbox.issuanceCount(outRequestNo: "ORD-nocert") == 1)
        }
    }

    @Test("an answer whose timestamp is too far from local time fails verification")
    func skewedAnswer() async throws {
        try await WeChatFixture.with(trust: .publicKey) { fixture in
            let strict = try fixture.makeClient(configuration: WeChatPayClient.Configuration(timeout: .seconds(5), maxClockSkew: 60))
            // 200 s is inside the sandbox's own 300 s window, so the request is accepted.
            fixture.sandbox.faults.inject(.clockSkew(seconds: 200))
            do throws(WeChatPayError) {
                _ = try await strict.stock(id: WeChatFixture.stockID)
                Issue.record("a stale answer was accepted")
            } catch {
                guard case .responseUnverified(.timestampOutOfWindow) = error else {
                    Issue.record("unexpected \(error)")
                    return
                }
            }
        }
    }
}
