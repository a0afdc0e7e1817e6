import CouponModel
import CouponSandbox
import Foundation
import Testing
import TestSupport
import WeChatPay

/// Every call against the sandbox over real HTTP, with real signatures both ways.
@Suite("WeChat Pay client round trips")
struct ClientRoundTripTests {
    static let openid = "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"

    @Test("a product coupon is issued and the answer names it")
    func issues() async throws {
        try await WeChatFixture.with { fixture in
            let response = try await fixture.client.sendProductCoupon(
                SendProductCouponRequest(
                    openid: Self.openid, appid: WeChatFixture.appid, stockID: WeChatFixture.stockID,
                    outRequestNo: "ORD-1", couponType: .normal))
            #expect(response.outRequestNo == "ORD-1")
            #expect(response.stockID == WeChatFixture.stockID)
            #expect(fixture.sandbox.coupons.map(\.couponCode) == [response.couponCode])
            #expect(fixture.sandbox.issuanceCount(outRequestNo: "ORD-1") == 1)
        }
    }

    @Test("every call sends Accept, User-Agent and the trusted serial, and the sandbox accepts the signature")
    func headersOnEveryCall() async throws {
        try await WeChatFixture.with { fixture in
            _ = try await fixture.client.stock(id: WeChatFixture.stockID)
            let records = fixture.sandbox.requests
            #expect(records.map(\.target) == ["/v3/certificates", "/v3/marketing/busifavor/stocks/1212000001"])
            #expect(records.allSatisfy { $0.status == 200 })
            let platformSerial = try #require(fixture.sandbox.platformSerials.last)
            #expect(records.last?.wechatpaySerial == platformSerial)
        }
    }

    @Test("the same out_request_no again returns the same coupon and issues nothing new")
    func duplicateReturnsSameCoupon() async throws {
        try await WeChatFixture.with { fixture in
            let request = SendProductCouponRequest(
                openid: Self.openid, appid: WeChatFixture.appid, stockID: WeChatFixture.stockID, outRequestNo: "ORD-dup")
            let first = try await fixture.client.sendProductCoupon(request)
            let second = try await fixture.client.sendProductCoupon(request)
            #expect(first == second)
            #expect(fixture.sandbox.issuanceCount(outRequestNo: "ORD-dup") == 1)
        }
    }

    @Test("with forgetDuplicates the sandbox issues again and counts it")
    func forgetDuplicatesIssuesTwice() async throws {
        try await WeChatFixture.with(forgetDuplicates: true) { fixture in
            let request = SendProductCouponRequest(
                openid: Self.openid, appid: WeChatFixture.appid, stockID: WeChatFixture.stockID, outRequestNo: "ORD-twice")
            let first = try await fixture.client.sendProductCoupon(request)
            let second = try await fixture.client.sendProductCoupon(request)
            #expect(first.couponCode != second.couponCode)
            #expect(fixture.sandbox.issuanceCount(outRequestNo: "ORD-twice") == 2)
        }
    }

    @Test("an openid with '/', '%', spaces and mixed case is encoded, signed and matched byte for byte")
    func pathParametersNeedingEncoding() async throws {
        try await WeChatFixture.with { fixture in
            let openid = "oAb/C%d E+f"
            let issued = try await fixture.client.sendProductCoupon(
                SendProductCouponRequest(
                    openid: openid, appid: WeChatFixture.appid, stockID: WeChatFixture.stockID, outRequestNo: "ORD-enc"))
            let page = try await fixture.client.userCoupons(
                UserCouponsQuery(openid: openid, appid: WeChatFixture.appid, senderMerchant: WeChatFixture.mchid))
            #expect(page.coupons.map(\.couponCode) == [issued.couponCode])
            let coupon = try await fixture.client.userCoupon(
                openid: openid, couponCode: issued.couponCode, appid: WeChatFixture.appid)
            #expect(coupon.sendRequestNo == "ORD-enc")
            let targets = fixture.sandbox.requests.map(\.target)
            #expect(targets.contains { $0.hasPrefix("/v3/marketing/busifavor/users/oAb%2FC%25d%20E%2Bf/coupons?") })
            // A lower-cased openid is another user: nothing there.
            let lower = try await fixture.client.userCoupons(
                UserCouponsQuery(openid: openid.lowercased(), appid: WeChatFixture.appid, senderMerchant: WeChatFixture.mchid))
            #expect(lower.coupons.isEmpty)
        }
    }

    @Test("the list call applies every filter and pages")
    func listFiltersAndPages() async throws {
        try await WeChatFixture.with { fixture in
            for index in 0..<5 {
                _ = try await fixture.client.sendProductCoupon(
                    SendProductCouponRequest(
                        openid: Self.openid, appid: WeChatFixture.appid, stockID: WeChatFixture.stockID,
                        outRequestNo: "ORD-list-\(index)"))
            }
            let codes = fixture.sandbox.coupons.map(\.couponCode)
            fixture.sandbox.setCouponState("USED", couponCode: codes[0])
            let page1 = try await fixture.client.userCoupons(
                UserCouponsQuery(
                    openid: Self.openid, appid: WeChatFixture.appid, stockID: WeChatFixture.stockID,
                    couponState: .sended, creatorMerchant: WeChatFixture.mchid, belongMerchant: WeChatFixture.mchid,
                    senderMerchant: WeChatFixture.mchid, offset: 1, limit: 2))
            #expect(page1.totalCount == 4)
            #expect(page1.coupons.map(\.couponCode) == Array(codes[3...4]))
            #expect(page1.coupons.allSatisfy { $0.couponState == .sended })
            let used = try await fixture.client.userCoupons(
                UserCouponsQuery(openid: Self.openid, appid: WeChatFixture.appid, couponState: .used, belongMerchant: WeChatFixture.mchid))
            #expect(used.coupons.map(\.couponCode) == [codes[0]])
            let otherStock = try await fixture.client.userCoupons(
                UserCouponsQuery(openid: Self.openid, appid: WeChatFixture.appid, stockID: "999", creatorMerchant: WeChatFixture.mchid))
            #expect(otherStock.totalCount == 0)
        }
    }

    @Test("coupon and stock states the client does not know are kept, not rejected")
    func unknownEnumValuesKept() async throws {
        try await WeChatFixture.with { fixture in
            let issued = try await fixture.client.sendProductCoupon(
                SendProductCouponRequest(
                    openid: Self.openid, appid: WeChatFixture.appid, stockID: WeChatFixture.stockID, outRequestNo: "ORD-enum"))
            fixture.sandbox.setCouponState("FROZEN_BY_RISK", couponCode: issued.couponCode)
            let coupon = try await fixture.client.userCoupon(
                openid: Self.openid, couponCode: issued.couponCode, appid: WeChatFixture.appid)
            #expect(coupon.couponState == .unrecognized("FROZEN_BY_RISK"))
            #expect(coupon.json["coupon_state"] == "FROZEN_BY_RISK")
            fixture.sandbox.addStock(WeChatSandboxStock(stockID: "77", creatorMerchant: WeChatFixture.mchid, state: "AUDITING_V2"))
            let stock = try await fixture.client.stock(id: "77")
            #expect(stock.stockState == .unrecognized("AUDITING_V2"))
        }
    }

    @Test("the stock query returns state, rules and counters")
    func stockQuery() async throws {
        try await WeChatFixture.with { fixture in
            fixture.sandbox.addStock(
                WeChatSandboxStock(stockID: "88", creatorMerchant: WeChatFixture.mchid, maxCoupons: 10, maxCouponsPerUser: 2))
            _ = try await fixture.client.sendProductCoupon(
                SendProductCouponRequest(openid: Self.openid, appid: WeChatFixture.appid, stockID: "88", outRequestNo: "ORD-s"))
            let stock = try await fixture.client.stock(id: "88")
            #expect(stock.stockState == .running)
            #expect(stock.maxCoupons == 10)
            #expect(stock.maxCouponsPerUser == 2)
            #expect(stock.totalSendNum == 1)
        }
    }

    @Test("a stock answer with only the documented fields, a null rule and a counter as text decodes, keeping the whole object")
    func stockWithOnlyDocumentedFields() throws {
        let body = #"{"stock_state":"RUNNING","stock_send_rule":null,"send_count_information":{"total_send_num":"3"}}"#
        let stock = try JSONDecoder().decode(Stock.self, from: Data(body.utf8))
        #expect(stock.stockID == nil)
        #expect(stock.stockState == .running)
        #expect(stock.maxCoupons == nil)
        #expect(stock.totalSendNum == nil)
        #expect(stock.json["send_count_information"]?["total_send_num"] == "3")
    }

    @Test("a coupon with only its code decodes; stock id, state and the rest are left out, the whole object kept")
    func couponWithOnlyItsCode() throws {
        let coupon = try JSONDecoder().decode(UserCoupon.self, from: Data(#"{"coupon_code":"C-1","coupon_state":null,"use_time":7}"#.utf8))
        #expect(coupon.couponCode == "C-1")
        #expect(coupon.stockID == nil && coupon.couponState == nil && coupon.useTime == nil)
        #expect(coupon.json["use_time"] == 7)
    }
}
