import CouponModel
import CouponSandbox
import Foundation
import Testing
import TestSupport

@testable import Zvcms

/// `user_use_coupon` as seed 001 describes it: only the member (`user_id` or `user_code`) is
/// required; `multi_mark` and the order-line fields are optional, sent only when given, and
/// the sandbox treats a missing `multi_mark` as "any store".
@Suite("user_use_coupon without the optional fields")
struct UsableCouponsOptionalFieldsTests {
    /// The member of the schema example `zvcms-user-use-coupon-by-code.json`.
    static let exampleUserCode = "M12345"
    static let exampleCustomerID = "9183933091455959077"
    /// A template usable at any store, and one only at `storeCode` (no minimum order).
    static let anyStoreCouponID = "390913441022877801"
    static let anyStoreTemplateID = "961"
    static let storeOnlyCouponID = "390913441022877802"
    static let storeOnlyTemplateID = "962"
    static let storeCode = "S1"

    /// The fixture's configuration plus the example's member holding one coupon of each template.
    static func configuration() -> ZvcmsSandbox.Configuration {
        var configuration = ZvcmsFixture.configuration()
        configuration.customers.append(.init(id: exampleCustomerID, userCode: exampleUserCode))
        configuration.templates += [
            .init(couponID: anyStoreCouponID, templateID: anyStoreTemplateID, title: "通用券"),
            .init(couponID: storeOnlyCouponID, templateID: storeOnlyTemplateID, title: "门店券", stores: [storeCode]),
        ]
        configuration.coupons += [
            .init(cardID: "1390913445498290001", couponID: anyStoreCouponID, customerID: exampleCustomerID),
            .init(cardID: "1390913445498290002", couponID: storeOnlyCouponID, customerID: exampleCustomerID),
        ]
        return configuration
    }

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

    static func templateIDs(_ data: JSONValue) -> Set<String> {
        Set((data["coupons"]?.arrayValue ?? []).compactMap { $0["coupon"]?["id"]?.stringValue })
    }

    @Test("the example zvcms-user-use-coupon-by-code.json (no multi_mark) is sent without it and lists coupons of every store")
    func byCodeExample() async throws {
        let command = try Self.queryExample("zvcms-user-use-coupon-by-code.json")
        #expect(command.params["multi_mark"] == nil)

        // On the wire: Params carry no multi_mark, and nothing the command did not give.
        let query = try UsableCouponsQuery(params: command.params)
        #expect(query.multiMark == nil)
        let client = ZvcmsClient(account: ZvcmsFixture.withoutServer, httpClient: .shared)
        let (_, envelope) = client.envelope(for: .userUseCoupon, params: query.params)
        let body = try JSONDecoder().decode(JSONValue.self, from: Data(envelope.encoded()))
        let sent = try #require(body["Params"]?.objectValue)
        #expect(sent["multi_mark"] == nil)
        #expect(Set(sent.keys) == ["user_code", "trade_marks", "discount_price", "type_cate"])
        #expect(sent["user_code"] == .string(Self.exampleUserCode))

        try await ZvcmsFixture.withRunning(configuration: Self.configuration()) { fixture in
            let data = try await fixture.provider().execute(command)
            #expect(Self.templateIDs(data) == [Self.anyStoreTemplateID, Self.storeOnlyTemplateID])

            // The same command naming another store loses the store-only coupon: multi_mark still filters.
            var atOtherStore = command
            atOtherStore.params["multi_mark"] = "OTHER"
            #expect(Self.templateIDs(try await fixture.provider().execute(atOtherStore)) == [Self.anyStoreTemplateID])
        }
    }

    @Test("a member alone (zvcms-user-use-coupon-member-only.json shape) is a complete request")
    func memberOnly() async throws {
        let command = CouponCommand(
            outRequestNo: "Q-member-only", operation: .zvcmsUserUseCoupon, merchant: nil,
            params: ["user_id": .string(Self.exampleCustomerID)])
        #expect(try UsableCouponsQuery(params: command.params).params == ["user_id": .string(Self.exampleCustomerID)])
        try await ZvcmsFixture.withRunning(configuration: Self.configuration()) { fixture in
            let data = try await fixture.provider().execute(command)
            #expect(Self.templateIDs(data) == [Self.anyStoreTemplateID, Self.storeOnlyTemplateID])
        }
        // The schema example of that shape decodes as well.
        _ = try Self.queryExample("zvcms-user-use-coupon-member-only.json")
    }

    @Test("an order line sends only the fields it has: no num or price is invented")
    func partialLine() async throws {
        let command = try Self.queryExample("zvcms-user-use-coupon-partial-line.json")
        let query = try UsableCouponsQuery(params: command.params)
        #expect(query.params["trade_marks"] == [["trade_mark": "SKU-1"]])
        try await ZvcmsFixture.withRunning(configuration: Self.configuration()) { fixture in
            let data = try await fixture.provider().execute(command)
            #expect(Self.templateIDs(data) == [Self.anyStoreTemplateID, Self.storeOnlyTemplateID])
        }
    }

    @Test("a command without user_id or user_code is still refused before anything is sent")
    func memberStillRequired() {
        #expect(throws: ZvcmsError.self) { try UsableCouponsQuery(params: ["multi_mark": "S1"]) }
    }
}

extension ZvcmsFixture {
    /// An account for building envelopes only; nothing is sent to it.
    static let withoutServer = ZvcmsAccount(
        openID: ZvcmsFixture.openID, grantCode: ZvcmsFixture.grantCode, openKey: OpenKey(ZvcmsFixture.openKey),
        baseURL: "https://openapi.example.test/")
}
