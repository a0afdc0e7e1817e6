import CouponModel
import CouponSandbox
import Foundation
import Testing
import TestSupport
import WeChatPay

/// `user_coupons.list` without a merchant filter: WeChat Pay wants one of creator_merchant,
/// belong_merchant, sender_merchant; the provider sends `sender_merchant` = the profile's mchid.
@Suite("user_coupons.list fills sender_merchant from the merchant profile")
struct ListMerchantDefaultTests {
    /// A command example from `schemas/examples/coupon-command-query.v1/valid/`, decoded as the
    /// worker decodes it.
    static func queryExample(_ name: String) throws -> CouponCommand {
        let file = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("schemas/examples/coupon-command-query.v1/valid/\(name)")
        switch CommandDecoder.decode(Array(try Data(contentsOf: file)), topicKind: .query) {
        case .success(let command): return command
        case .failure(let rejection): throw rejection
        }
    }

    /// The query string of the sandbox's recorded list requests, as name → value.
    static func listQueries(_ sandbox: WeChatPaySandbox) -> [[String: String]] {
        sandbox.requests.filter { $0.method == "GET" && $0.target.contains("/coupons?") }.map { record in
            let query = record.target.split(separator: "?", maxSplits: 1).last ?? ""
            var pairs: [String: String] = [:]
            for pair in query.split(separator: "&") {
                let parts = pair.split(separator: "=", maxSplits: 1)
                pairs[String(parts[0])] = parts.count > 1 ? String(parts[1]) : ""
            }
            return pairs
        }
    }

    @Test("the example wechat-list-minimal.json (openid + appid only) succeeds and is sent with sender_merchant=<mchid>")
    func minimalExample() async throws {
        let command = try Self.queryExample("wechat-list-minimal.json")
        #expect(command.params.keys.sorted() == ["appid", "openid"])
        try await WeChatFixture.with(trust: .publicKey) { fixture in
            let provider = WeChatCouponProvider(client: fixture.client)
            // Give the example's user one coupon of this merchant's stock, so the list has something to find.
            let openid = try #require(command.params["openid"]?.stringValue)
            let appid = try #require(command.params["appid"]?.stringValue)
            _ = try await provider.execute(
                CouponCommand(
                    outRequestNo: "ORD-list-default", operation: .wechatProductCouponSend, merchant: WeChatFixture.mchid,
                    params: [
                        "openid": .string(openid), "appid": .string(appid), "stock_id": .string(WeChatFixture.stockID),
                        "coupon_type": "NORMAL",
                    ]))

            let data = try await provider.execute(command)
            #expect(data["total_count"] == 1)
            #expect(data["data"]?.arrayValue?.first?["send_request_no"] == "ORD-list-default")

            let sent = try #require(Self.listQueries(fixture.sandbox).last)
            #expect(sent["sender_merchant"] == WeChatFixture.mchid)
            #expect(sent["creator_merchant"] == nil && sent["belong_merchant"] == nil)
            #expect(sent["appid"] == appid)
            #expect(fixture.sandbox.requests.last?.status == 200)
        }
    }

    @Test("a command that names a merchant filter is sent as given, without a sender_merchant added")
    func namedFilterKept() async throws {
        let command = try Self.queryExample("wechat-list-open-coupon-state.json")
        #expect(command.params["belong_merchant"] != nil && command.params["sender_merchant"] == nil)
        try await WeChatFixture.with(trust: .publicKey) { fixture in
            _ = try await WeChatCouponProvider(client: fixture.client).execute(command)
            let sent = try #require(Self.listQueries(fixture.sandbox).last)
            #expect(sent["belong_merchant"] == command.params["belong_merchant"]?.stringValue)
            #expect(sent["sender_merchant"] == nil)
        }
    }

    @Test("defaultingSenderMerchant fills only when no merchant filter is named")
    func defaulting() {
        let open = UserCouponsQuery(openid: "o", appid: "wx1")
        #expect(!open.hasMerchantFilter)
        #expect(open.defaultingSenderMerchant(to: "1900000001").senderMerchant == "1900000001")
        #expect(open.defaultingSenderMerchant(to: "1900000001").hasMerchantFilter)
        for named in [
            UserCouponsQuery(openid: "o", appid: "wx1", creatorMerchant: "1"),
            UserCouponsQuery(openid: "o", appid: "wx1", belongMerchant: "2"),
            UserCouponsQuery(openid: "o", appid: "wx1", senderMerchant: "3"),
        ] {
            #expect(named.defaultingSenderMerchant(to: "1900000001") == named)
        }
    }
}
