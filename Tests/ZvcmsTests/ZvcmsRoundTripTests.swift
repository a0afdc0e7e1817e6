import CouponModel
import CouponSandbox
import Testing
import TestSupport
import Zvcms

/// Every call through the provider against the sandbox over real HTTP, in each scalar
/// style zvcms answers with (typed, string-typed like the seeds, 19-digit numeric ids).
@Suite("Round trips against the zvcms sandbox")
struct ZvcmsRoundTripTests {
    static let styles: [ZvcmsSandbox.Configuration.ScalarStyle] = [.typed, .strings, .numericIDs]

    @Test("coupon.issue issues once with bizId = out_request_no and returns the 19-digit coupon code", arguments: styles)
    func issue(style: ZvcmsSandbox.Configuration.ScalarStyle) async throws {
        try await ZvcmsFixture.withRunning(configuration: ZvcmsFixture.configuration(scalarStyle: style)) { fixture in
            let command = CouponCommand(
                outRequestNo: "ORD-ISSUE-1", operation: .zvcmsCouponIssue, merchant: ZvcmsFixture.openID,
                params: [
                    "couponId": .string(ZvcmsFixture.couponID), "customerId": .string(ZvcmsFixture.customerID),
                    "num": 2, "thirdChannel": "coupon-worker",
                ])
            let data = try await fixture.provider().execute(command)
            #expect(data["bizId"] == "ORD-ISSUE-1")
            #expect(data["cardId"] == "1390913445498300001")
            #expect(data["cardIdList"] == ["1390913445498300001", "1390913445498300002"])
            #expect(data["num"] == "2")
            #expect(fixture.sandbox.issuanceCount(outRequestNo: "ORD-ISSUE-1") == 1)
            let held = fixture.sandbox.coupons(ofCustomer: ZvcmsFixture.customerID).filter { $0.bizID == "ORD-ISSUE-1" }
            #expect(held.map(\.cardID) == ["1390913445498300001", "1390913445498300002"])
        }
    }

    @Test("customer_coupons lists the customer's coupons with ids intact", arguments: styles)
    func customerCoupons(style: ZvcmsSandbox.Configuration.ScalarStyle) async throws {
        try await ZvcmsFixture.withRunning(configuration: ZvcmsFixture.configuration(scalarStyle: style)) { fixture in
            let all = try await fixture.provider().execute(
                CouponCommand(
                    outRequestNo: "Q-1", operation: .zvcmsCustomerCoupons, merchant: nil,
                    params: ["customerId": .string(ZvcmsFixture.customerID), "useStatus": 0]))
            let coupons = try #require(all["coupons"]?.arrayValue)
            #expect(coupons.count == 1)
            #expect(coupons.first?["cardId"] == .string(ZvcmsFixture.existingCardID))
            #expect(coupons.first?["customerId"] == .string(ZvcmsFixture.customerID))
            #expect(coupons.first?["templateId"] == .string(ZvcmsFixture.templateID))
            #expect(coupons.first?["useStatus"] == "0")

            // One card asked for by code comes back as one object (seed 003) and still lists.
            let one = try await fixture.client().customerCoupons(
                CustomerCouponsQuery(customerID: ZvcmsFixture.customerID, cardID: ZvcmsFixture.existingCardID))
            #expect(one.map(\.cardID) == [ZvcmsFixture.existingCardID])
            #expect(one.first?.useStatus == 0)
        }
    }

    @Test("coupon.status answers one coupon by its code", arguments: styles)
    func couponStatus(style: ZvcmsSandbox.Configuration.ScalarStyle) async throws {
        try await ZvcmsFixture.withRunning(configuration: ZvcmsFixture.configuration(scalarStyle: style)) { fixture in
            let data = try await fixture.provider().execute(
                CouponCommand(
                    outRequestNo: "Q-2", operation: .zvcmsCouponStatus, merchant: nil,
                    params: ["id": .string(ZvcmsFixture.existingCardID)]))
            #expect(data["cardId"] == .string(ZvcmsFixture.existingCardID))
            #expect(data["couponId"] == .string(ZvcmsFixture.couponID))
            #expect(data["useStatus"] == "0")
        }
    }

    @Test("user_use_coupon returns the coupons usable at the store for the order", arguments: styles)
    func usableCoupons(style: ZvcmsSandbox.Configuration.ScalarStyle) async throws {
        try await ZvcmsFixture.withRunning(configuration: ZvcmsFixture.configuration(scalarStyle: style)) { fixture in
            // The store-only template needs 20 yuan at its store; issue one first.
            _ = try await fixture.client().issueCoupons(
                CouponIssueRequest(
                    bizID: "ORD-2", couponID: ZvcmsFixture.storeOnlyCouponID, customerID: ZvcmsFixture.customerID))
            func usable(store: String, price: String, member: [String: JSONValue]) async throws -> Set<String> {
                var params: [String: JSONValue] = [
                    "multi_mark": .string(store), "discount_price": "0", "type_cate": 1,
                    "trade_marks": [["num": 2, "trade_mark": "201909280011111", "price": .string(price)]],
                ]
                params.merge(member) { _, new in new }
                let data = try await fixture.provider().execute(
                    CouponCommand(outRequestNo: "Q-3", operation: .zvcmsUserUseCoupon, merchant: nil, params: params))
                return Set((data["coupons"]?.arrayValue ?? []).compactMap { $0["coupon"]?["id"]?.stringValue })
            }
            let byID: [String: JSONValue] = ["user_id": .string(ZvcmsFixture.customerID), "user_code": ""]
            #expect(
                try await usable(store: ZvcmsFixture.storeCode, price: "12.5", member: byID)
                    == [ZvcmsFixture.templateID, ZvcmsFixture.storeOnlyTemplateID])
            #expect(try await usable(store: ZvcmsFixture.storeCode, price: "9.99", member: byID) == [ZvcmsFixture.templateID])
            #expect(try await usable(store: "OTHER", price: "12.5", member: byID) == [ZvcmsFixture.templateID])
            let byCode: [String: JSONValue] = ["user_code": .string(ZvcmsFixture.userCode)]
            #expect(
                try await usable(store: ZvcmsFixture.storeCode, price: "12.5", member: byCode)
                    == [ZvcmsFixture.templateID, ZvcmsFixture.storeOnlyTemplateID])

            let coupons = try await fixture.client().usableCoupons(
                UsableCouponsQuery(
                    multiMark: "OTHER", member: .userID(ZvcmsFixture.customerID),
                    tradeMarks: [.init(num: 1, tradeMark: "T", price: "1")]))
            #expect(coupons.first?.couponCode == ZvcmsFixture.existingCardID)
            #expect(coupons.first?.userID == ZvcmsFixture.customerID)
        }
    }
}
