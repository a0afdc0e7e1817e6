import CouponModel
import CouponSandbox
import Foundation
import Testing
import TestSupport
import WeChatPay

@Suite("Reconciliation by send_request_no")
struct ReconciliationTests {
    static func seed(_ sandbox: WeChatPaySandbox, count: Int, openid: String) {
        for index in 0..<count {
            sandbox.addCoupon(
                WeChatSandboxCoupon(
                    couponCode: "SEED\(index)", stockID: WeChatFixture.stockID, openid: openid, appid: WeChatFixture.appid,
                    senderMerchant: WeChatFixture.mchid, sendRequestNo: "OTHER-\(index)", receiveTime: "2026-01-01T00:00:00+08:00"))
        }
    }

    @Test(
        "the coupon issued under an out_request_no is found on a later page",
        arguments: [WeChatSandboxConfiguration.Paging.pageIndex, .itemOffset])
    func findsAcrossPages(paging: WeChatSandboxConfiguration.Paging) async throws {
        let convention: PagingConvention = paging == .pageIndex ? .pageIndex : .itemOffset
        let configuration = WeChatPayClient.Configuration(timeout: .seconds(5), pagingConvention: convention, reconciliationPageSize: 50)
        try await WeChatFixture.with(trust: .publicKey, paging: paging, clientConfiguration: configuration) { fixture in
            Self.seed(fixture.sandbox, count: 120, openid: "oRecon")
            let issued = try await fixture.client.sendProductCoupon(
                SendProductCouponRequest(
                    openid: "oRecon", appid: WeChatFixture.appid, stockID: WeChatFixture.stockID, outRequestNo: "ORD-late"))
            let found = try await fixture.client.findCoupon(
                issuedUnder: "ORD-late", openid: "oRecon", appid: WeChatFixture.appid, stockID: WeChatFixture.stockID)
            #expect(found?.couponCode == issued.couponCode)
            #expect(fixture.sandbox.requests.filter { $0.target.contains("/coupons?") }.count == 3)
        }
    }

    @Test("nothing issued under the out_request_no means not found, after every page")
    func notFound() async throws {
        try await WeChatFixture.with(trust: .publicKey) { fixture in
            Self.seed(fixture.sandbox, count: 60, openid: "oRecon")
            let found = try await fixture.client.findCoupon(
                issuedUnder: "ORD-never", openid: "oRecon", appid: WeChatFixture.appid, stockID: WeChatFixture.stockID)
            #expect(found == nil)
            #expect(fixture.sandbox.requests.count == 2)
        }
    }

    @Test("a probe's signature on a read is retryable: the reconciliation's list call and a query; on the issue it stays ambiguous")
    func probeOnReadIsRetryable() async throws {
        try await WeChatFixture.with(trust: .publicKey) { fixture in
            let provider = WeChatCouponProvider(client: fixture.client)
            let issue = CouponCommand(
                outRequestNo: "ORD-probe", operation: .wechatProductCouponSend, merchant: WeChatFixture.mchid,
                params: ["openid": "oProbe", "appid": .string(WeChatFixture.appid), "stock_id": .string(WeChatFixture.stockID)])
            fixture.sandbox.faults.inject(.wrongSignature, pathContains: "product-coupons")
            do throws(ProviderFailure) {
                _ = try await provider.execute(issue)
                Issue.record("a probe's answer was accepted")
            } catch {
                #expect(error.ambiguous && !error.retryable, "the issue was processed: reconcile, never re-send")
            }
            fixture.sandbox.faults.inject(.wrongSignature, pathContains: "/coupons?")
            do throws(ProviderFailure) {
                _ = try await provider.reconcile(issue)
                Issue.record("a probe's answer to the list call was accepted")
            } catch {
                #expect(error.retryable && !error.ambiguous)
            }
            let coupon = try #require(fixture.sandbox.coupons.first)
            let expected: JSONValue = [
                "coupon_code": .string(coupon.couponCode), "stock_id": .string(WeChatFixture.stockID), "out_request_no": "ORD-probe",
            ]
            #expect(try await provider.reconcile(issue) == .found(expected), "asked again, the list finds it")
            let query = CouponCommand(
                outRequestNo: "Q-probe", operation: .wechatStockGet, merchant: WeChatFixture.mchid,
                params: ["stock_id": .string(WeChatFixture.stockID)])
            fixture.sandbox.faults.inject(.wrongSignature, pathContains: "stocks")
            do throws(ProviderFailure) {
                _ = try await provider.execute(query)
                Issue.record("a probe's answer to a query was accepted")
            } catch {
                #expect(error.retryable, "a query read again changes nothing")
            }
            #expect(fixture.sandbox.issuanceCount(outRequestNo: "ORD-probe") == 1)
        }
    }

    @Test("the provider reconciles a timed-out issue to the coupon it created")
    func providerReconcilesTimedOutIssue() async throws {
        try await WeChatFixture.with(trust: .publicKey) { fixture in
            let provider = WeChatCouponProvider(
                client: try fixture.makeClient(configuration: WeChatPayClient.Configuration(timeout: .seconds(3))))
            let command = CouponCommand(
                outRequestNo: "ORD-amb", operation: .wechatProductCouponSend, merchant: WeChatFixture.mchid,
                params: ["openid": "oAmb", "appid": .string(WeChatFixture.appid), "stock_id": .string(WeChatFixture.stockID)])
            #expect(try await provider.reconcile(command) == .notFound)
            fixture.sandbox.faults.inject(.timeoutAfterProcessing, pathContains: "product-coupons")
            do throws(ProviderFailure) {
                _ = try await provider.execute(command)
                Issue.record("expected a timeout")
            } catch {
                #expect(error.ambiguous)
            }
            let coupon = try #require(fixture.sandbox.coupons.first)
            let expected: JSONValue = [
                "coupon_code": .string(coupon.couponCode), "stock_id": .string(WeChatFixture.stockID), "out_request_no": "ORD-amb",
            ]
            #expect(try await provider.reconcile(command) == .found(expected))
            #expect(fixture.sandbox.issuanceCount(outRequestNo: "ORD-amb") == 1)
        }
    }
}
