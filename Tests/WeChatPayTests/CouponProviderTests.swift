import CouponModel
import CouponSandbox
import Foundation
import Testing
import TestSupport
import WeChatPay

@Suite("WeChatCouponProvider adapts commands")
struct CouponProviderTests {
    static func command(_ operation: CouponOperation, _ outRequestNo: String, _ params: [String: JSONValue]) -> CouponCommand {
        CouponCommand(outRequestNo: outRequestNo, operation: operation, merchant: WeChatFixture.mchid, params: params)
    }

    @Test("product_coupon.send, user_coupons.list, user_coupon.get and stock.get return the provider's data")
    func everyOperation() async throws {
        try await WeChatFixture.with(trust: .publicKey) { fixture in
            let provider = WeChatCouponProvider(client: fixture.client)
            let base: [String: JSONValue] = ["openid": "oCmd", "appid": .string(WeChatFixture.appid)]
            let issued = try await provider.execute(
                Self.command(
                    .wechatProductCouponSend, "ORD-cmd",
                    base.merging(["stock_id": .string(WeChatFixture.stockID), "coupon_type": "NORMAL"]) { a, _ in a }))
            let code = try #require(issued["coupon_code"]?.stringValue)
            #expect(issued == ["coupon_code": .string(code), "stock_id": .string(WeChatFixture.stockID), "out_request_no": "ORD-cmd"])

            let list = try await provider.execute(
                Self.command(
                    .wechatUserCouponsList, "Q-1",
                    base.merging(["sender_merchant": .string(WeChatFixture.mchid), "offset": 0, "limit": 10]) { a, _ in a }))
            #expect(list["total_count"] == 1)
            #expect(list["data"]?.arrayValue?.first?["send_request_no"] == "ORD-cmd")

            let one = try await provider.execute(
                Self.command(.wechatUserCouponGet, "Q-2", base.merging(["coupon_code": .string(code)]) { a, _ in a }))
            #expect(one["coupon_code"] == .string(code))

            let stock = try await provider.execute(
                Self.command(.wechatStockGet, "Q-3", ["stock_id": .string(WeChatFixture.stockID)]))
            #expect(stock["stock_id"] == .string(WeChatFixture.stockID))
        }
    }

    @Test("a missing or mistyped param is INVALID_COMMAND and nothing is sent")
    func invalidParams() async throws {
        try await WeChatFixture.with(trust: .publicKey) { fixture in
            let provider = WeChatCouponProvider(client: fixture.client)
            for params: [String: JSONValue] in [
                ["appid": .string(WeChatFixture.appid), "stock_id": "1"],
                ["openid": .bool(true), "appid": .string(WeChatFixture.appid), "stock_id": "1"],
                ["openid": "o", "appid": .string(WeChatFixture.appid), "stock_id": "1", "coupon_type": "MEMBER"],
            ] {
                do throws(ProviderFailure) {
                    _ = try await provider.execute(Self.command(.wechatProductCouponSend, "ORD-bad", params))
                    Issue.record("accepted \(params)")
                } catch {
                    #expect(error.code == .invalidCommand && !error.retryable)
                }
            }
            #expect(fixture.sandbox.requests.isEmpty)
        }
    }
}
