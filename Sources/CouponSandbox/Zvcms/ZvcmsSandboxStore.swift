import CouponModel
import Synchronization

/// The sandbox's zvcms: customers, coupon templates and issued coupons, and the four calls
/// served from them.
///
/// Like production, an issue has no idempotency: every accepted issue creates coupons,
/// even with a `bizId` seen before. `issuanceCount(bizID:)` lets tests see exactly that.
final class ZvcmsSandboxStore: Sendable {
    typealias Configuration = ZvcmsSandbox.Configuration

    private struct State {
        var customers: [String: Configuration.Customer] = [:]
        var customerIDByCode: [String: String] = [:]
        var templates: [String: Configuration.CouponTemplate] = [:]
        var coupons: [Configuration.Coupon] = []
        var issuances: [String: Int] = [:]
        var nextCardID: Int64
    }

    private let state: Mutex<State>
    private let paths: Configuration.Paths
    private let style: Configuration.ScalarStyle

    init(configuration: Configuration) {
        var s = State(nextCardID: configuration.firstCardID)
        for customer in configuration.customers {
            s.customers[customer.id] = customer
            if let code = customer.userCode { s.customerIDByCode[code] = customer.id }
        }
        for template in configuration.templates { s.templates[template.couponID] = template }
        s.coupons = configuration.coupons
        self.state = Mutex(s)
        self.paths = configuration.paths
        self.style = configuration.scalarStyle
    }

    /// How many accepted issue requests carried `bizID`.
    func issuanceCount(bizID: String) -> Int {
        state.withLock { $0.issuances[bizID] ?? 0 }
    }

    /// The coupons `customerID` holds.
    func coupons(ofCustomer customerID: String) -> [Configuration.Coupon] {
        state.withLock { s in s.coupons.filter { $0.customerID == customerID } }
    }

    // MARK: Calls

    /// v3 issue: `num` new coupons of template `couponId` for `customerId`.
    func issue(_ params: [String: JSONValue]) -> ZvcmsSandboxOutcome {
        guard let bizID = text(params[paths.issueBizID]), let couponID = text(params[paths.issueCouponID]),
            let customerID = text(params[paths.issueCustomerID])
        else {
            return .parameterError("\(paths.issueBizID), \(paths.issueCouponID) and \(paths.issueCustomerID) are required")
        }
        let num = text(params[paths.issueNum]).map { Int($0) } ?? 1
        guard let num, (1...100).contains(num) else { return .parameterError("\(paths.issueNum) must be 1–100") }
        return state.withLock { s -> ZvcmsSandboxOutcome in
            guard s.customers[customerID] != nil else { return .notFound("customer \(customerID) does not exist") }
            guard s.templates[couponID] != nil else { return .notFound("coupon \(couponID) does not exist") }
            var cardIDs: [String] = []
            for _ in 0..<num {
                let cardID = String(s.nextCardID)
                s.nextCardID += 1
                s.coupons.append(.init(cardID: cardID, couponID: couponID, customerID: customerID, bizID: bizID))
                cardIDs.append(cardID)
            }
            s.issuances[bizID, default: 0] += 1
            return .success([
                "cardId": id(cardIDs[0]), "cardIdList": .array(cardIDs.map(id)), "num": number(num),
            ])
        }
    }

    /// v3 `crm/coupon/getCustomerCoupons`: one object when asked for one `cardId` (as seed
    /// 003 shows), a list otherwise.
    func customerCoupons(_ params: [String: JSONValue]) -> ZvcmsSandboxOutcome {
        guard let customerID = text(params["customerId"]) else { return .parameterError("customerId is required") }
        let cardID = text(params["cardId"])
        let useStatus = text(params["useStatus"]).flatMap { Int($0) }
        let templateID = text(params["templateId"])
        return state.withLock { s -> ZvcmsSandboxOutcome in
            guard s.customers[customerID] != nil else { return .notFound("customer \(customerID) does not exist") }
            let matching = s.coupons.filter { coupon in
                coupon.customerID == customerID && (cardID == nil || coupon.cardID == cardID)
                    && (useStatus == nil || coupon.useStatus == useStatus)
                    && (templateID == nil || s.templates[coupon.couponID]?.templateID == templateID)
            }
            let rendered = matching.map { customerCoupon($0, template: s.templates[$0.couponID]) }
            if cardID != nil {
                guard let first = rendered.first else { return .notFound("coupon \(cardID ?? "") does not exist") }
                return .success(first)
            }
            return .success(.array(rendered))
        }
    }

    /// v3 `coupon/status`: one coupon by code.
    func couponStatus(_ params: [String: JSONValue]) -> ZvcmsSandboxOutcome {
        guard let code = text(params["id"]) else { return .parameterError("id is required") }
        return state.withLock { s -> ZvcmsSandboxOutcome in
            guard let coupon = s.coupons.first(where: { $0.cardID == code }) else {
                return .notFound("coupon \(code) does not exist")
            }
            return .success(customerCoupon(coupon, template: s.templates[coupon.couponID]))
        }
    }

    /// v2 `user.user-use-coupon`: the member's unused coupons whose template applies to the
    /// store and whose minimum the order (lines minus discount) reaches.
    ///
    /// As seed 001, only the member is required (`user_id` or `user_code`). Without
    /// `multi_mark` every store counts, so a store-only coupon is usable; a line without
    /// `num` counts once, one without `price` adds nothing to the order; a price that is
    /// given but is not yuan is a parameter error.
    func usableCoupons(_ params: [String: JSONValue]) -> ZvcmsSandboxOutcome {
        let store = text(params["multi_mark"])
        var orderFen = 0
        for line in params["trade_marks"]?.arrayValue ?? [] {
            guard let fields = line.objectValue else { return .parameterError("trade_marks must hold objects {num, trade_mark, price}") }
            var priceFen = 0
            if let given = text(fields["price"]) {
                guard let value = Self.fen(given) else { return .parameterError("trade_marks price must be yuan, got \(given)") }
                priceFen = value
            }
            orderFen += (text(fields["num"]).flatMap { Int($0) } ?? 1) * priceFen
        }
        orderFen -= text(params["discount_price"]).flatMap(Self.fen) ?? 0
        let userID = text(params["user_id"])
        let userCode = text(params["user_code"])
        guard userID != nil || userCode != nil else { return .parameterError("user_id or user_code is required") }
        return state.withLock { s -> ZvcmsSandboxOutcome in
            guard let customerID = userID ?? userCode.flatMap({ s.customerIDByCode[$0] }), s.customers[customerID] != nil
            else { return .notFound("member does not exist") }
            let usable = s.coupons.compactMap { coupon -> JSONValue? in
                guard coupon.customerID == customerID, coupon.useStatus == 0,
                    let template = s.templates[coupon.couponID],
                    Self.usable(template, at: store), orderFen >= template.minimumOrderFen
                else { return nil }
                return [
                    "id": id(coupon.cardID), "user_id": id(customerID), "coupon_id": id(template.couponID),
                    "start_at": number(1_767_225_600), "end_at": number(1_798_761_599), "status": number(0),
                    "coupon": [
                        "id": id(template.templateID), "title": .string(template.title),
                        "amount": .string(template.amount), "min_amount_use": number(template.minimumOrderFen / 100),
                        "status": number(1),
                    ],
                    "couponId": id(coupon.cardID),
                ]
            }
            return .success(.array(usable))
        }
    }

    /// Whether `template` may be used at `store`; nil (no `multi_mark`) means any store.
    private static func usable(_ template: Configuration.CouponTemplate, at store: String?) -> Bool {
        guard let store, let stores = template.stores else { return true }
        return stores.contains(store)
    }

    // MARK: Shaping

    private func customerCoupon(_ coupon: Configuration.Coupon, template: Configuration.CouponTemplate?) -> JSONValue {
        [
            "cardId": id(coupon.cardID), "couponId": id(coupon.couponID), "customerId": id(coupon.customerID),
            "templateId": id(template?.templateID ?? ""), "title": .string(template?.title ?? ""),
            "useStatus": number(coupon.useStatus), "couponType": number(0), "channel": "sandbox",
            "beginAt": "2026-01-01 00:00:00", "endAt": "2026-12-31 23:59:59",
            "createdAt": "2026-01-01 00:00:00", "updatedAt": "2026-01-01 00:00:00", "extra": "",
        ]
    }

    /// An id in the configured style: a JSON number (exact, beyond `Double`) or a string.
    private func id(_ value: String) -> JSONValue {
        if style == .numericIDs, let n = Int64(value) { return .integer(n) }
        return .string(value)
    }

    /// A small number, as the seeds show it (a string) or typed.
    private func number(_ value: Int) -> JSONValue {
        style == .strings ? .string(String(value)) : .integer(Int64(value))
    }

    /// A param as text whether sent as string or number; nil when absent or empty.
    private func text(_ value: JSONValue?) -> String? {
        switch value {
        case .string(let s) where !s.isEmpty: s
        case .integer(let i): String(i)
        case .double(let d): d.description
        default: nil
        }
    }

    /// Yuan text ("12.5") to fen.
    static func fen(_ yuan: String) -> Int? {
        let parts = yuan.split(separator: ".", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), let whole = Int(parts[0]) else { return nil }
        var fraction = parts.count == 2 ? String(parts[1]) : "0"
        guard fraction.count <= 2, fraction.allSatisfy(\.isNumber) else { return nil }
        while fraction.count < 2 { fraction += "0" }
        return whole * 100 + (Int(fraction) ?? 0)
    }
}
