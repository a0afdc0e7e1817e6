/// What `params` each operation accepts, mirroring the provider's own field names
/// (docs/wechatpay-v3.md, docs/zvcms.md) and `schemas/coupon-command-*.v1.schema.json`.
///
/// - WeChat params are a closed set: the API's documented fields and nothing else, because
///   the client turns them into a path, a query or a body and an unknown one would be
///   either dropped silently or refused by WeChat after a rate-limit token was spent.
/// - zvcms params: the fields listed below are checked; others pass through to the provider
///   unchanged, because the zvcms field lists are partly assumptions (docs/zvcms.md).
/// - The idempotency key is sent only from the top-level `out_request_no`: WeChat's
///   `params.out_request_no` and zvcms's `params.bizId` are refused, so there is one source
///   of truth and a command cannot name two keys.
enum OperationParamRules {
    static func check(_ params: [String: JSONValue], for operation: CouponOperation) throws(FieldViolation) {
        let p = ParamReader(params)
        switch operation {
        case .wechatProductCouponSend: try productCouponSend(p)
        case .wechatUserCouponsList: try userCouponsList(p)
        case .wechatUserCouponGet: try userCouponGet(p)
        case .wechatStockGet: try stockGet(p)
        case .zvcmsCouponIssue: try couponIssue(p)
        case .zvcmsUserUseCoupon: try userUseCoupon(p)
        case .zvcmsCustomerCoupons: try customerCoupons(p)
        case .zvcmsCouponStatus: try couponStatus(p)
        }
    }

    // MARK: - WeChat Pay (busifavor)

    /// `POST /v3/marketing/busifavor/product-coupons/send`.
    private static func productCouponSend(_ p: ParamReader) throws(FieldViolation) {
        try p.forbid("out_request_no", because: "is taken from the command's top-level out_request_no; do not repeat it in params")
        try p.allowOnly(["openid", "appid", "stock_id", "coupon_code", "coupon_type", "member_card_id"])
        _ = try p.identifier("openid", maxLength: 128, required: true)
        _ = try p.identifier("appid", required: true)
        _ = try p.identifier("stock_id", required: true)
        _ = try p.identifier("coupon_code", maxLength: 128, required: false)
        let type = try p.oneOf("coupon_type", ["NORMAL", "MEMBER"], required: true)
        _ = try p.identifier("member_card_id", maxLength: 128, required: type == "MEMBER")
    }

    /// `GET /v3/marketing/busifavor/users/{openid}/coupons`. WeChat requires at least one of
    /// the three merchant filters; a command may name none, and the WeChat provider then
    /// sends `sender_merchant` = the merchant profile's mchid. So none is required here.
    private static func userCouponsList(_ p: ParamReader) throws(FieldViolation) {
        try p.allowOnly([
            "openid", "appid", "stock_id", "coupon_state", "creator_merchant", "belong_merchant", "sender_merchant",
            "offset", "limit",
        ])
        _ = try p.identifier("openid", maxLength: 128, required: true)
        _ = try p.identifier("appid", required: true)
        _ = try p.identifier("stock_id", required: false)
        // Coupon states are an open set at WeChat: any upper-case name is passed on.
        _ = try p.upperSnake("coupon_state", maxLength: 32, required: false)
        for merchant in ["creator_merchant", "belong_merchant", "sender_merchant"] {
            _ = try p.identifier(merchant, required: false)
        }
        _ = try p.integer("offset", in: 0...Int64.max, required: false)
        _ = try p.integer("limit", in: 1...50, required: false)
    }

    /// `GET /v3/marketing/busifavor/users/{openid}/coupons/{coupon_code}/appids/{appid}`.
    private static func userCouponGet(_ p: ParamReader) throws(FieldViolation) {
        try p.allowOnly(["openid", "coupon_code", "appid"])
        _ = try p.identifier("openid", maxLength: 128, required: true)
        _ = try p.identifier("coupon_code", maxLength: 128, required: true)
        _ = try p.identifier("appid", required: true)
    }

    /// `GET /v3/marketing/busifavor/stocks/{stock_id}`.
    private static func stockGet(_ p: ParamReader) throws(FieldViolation) {
        try p.allowOnly(["stock_id"])
        _ = try p.identifier("stock_id", required: true)
    }

    // MARK: - zvcms

    /// v3 `coupon/issueCouponsToCustomer`.
    private static func couponIssue(_ p: ParamReader) throws(FieldViolation) {
        try p.forbid("bizId", because: "is sent from the command's top-level out_request_no; do not set it in params")
        _ = try p.providerID("couponId", required: true)
        _ = try p.providerID("customerId", required: true)
        _ = try p.integerOrDigits("num", in: 1...100, required: false)
        _ = try p.text("thirdChannel", maxLength: 64, required: false)
    }

    /// v2 Action `user.user-use-coupon` (seed 001): `user_id` or a non-empty `user_code`
    /// (zvcms takes `user_id` when both are given) is the one requirement the seed states;
    /// every other field is optional (no `multi_mark`: any store). Order lines are objects
    /// whose `num`, `trade_mark` and `price`, when given, have the types the zvcms client
    /// can send, so a line it would refuse is refused here, before any claim or call.
    private static func userUseCoupon(_ p: ParamReader) throws(FieldViolation) {
        let userID = try p.providerID("user_id", required: false)
        let userCode = try p.string(allowingEmpty: "user_code")
        if userID == nil, userCode?.isEmpty ?? true {
            throw FieldViolation(field: p.path("user_id"), reason: "user_id or a non-empty user_code is required")
        }
        _ = try p.identifier("multi_mark", required: false)
        for line in try p.arrayOfObjects("trade_marks", required: false) ?? [] {
            try tradeMark(line)
        }
        try p.stringOrNumber("discount_price", maxLength: 32)
        _ = try p.integerOrDigits("type_cate", in: 0...99, required: false)
    }

    /// One element of `trade_marks`: `num` a count, `trade_mark` and `price` strings or
    /// numbers; all optional; other members pass through. Violations name
    /// `params.trade_marks[<index>].<field>` (the line's reader carries that prefix).
    private static func tradeMark(_ p: ParamReader) throws(FieldViolation) {
        _ = try p.integerOrDigits("num", in: 0...999_999_999, required: false)
        try p.stringOrNumber("trade_mark", maxLength: 64)
        try p.stringOrNumber("price", maxLength: 32)
    }

    /// v3 `crm/coupon/getCustomerCoupons`.
    private static func customerCoupons(_ p: ParamReader) throws(FieldViolation) {
        _ = try p.providerID("customerId", required: true)
        _ = try p.providerID("cardId", required: false)
        _ = try p.providerID("templateId", required: false)
        // 0 unused, 1 used, 2 frozen, 6 expired, 7 deleted; "" (any) as in zvcms's example.
        if let status = p.params["useStatus"], status != .string("") {
            let value = try p.integerOrDigits("useStatus", in: 0...7, required: true)
            if let n = value.flatMap(digitsValue), ![0, 1, 2, 6, 7].contains(n) {
                throw FieldViolation(
                    field: p.path("useStatus"), reason: "must be one of 0, 1, 2, 6, 7 or \"\", got \(n)")
            }
        }
    }

    /// v3 `coupon/status`.
    private static func couponStatus(_ p: ParamReader) throws(FieldViolation) {
        _ = try p.providerID("id", required: true)
    }

    private static func digitsValue(_ value: JSONValue) -> Int64? {
        if case .string(let s) = value { return Int64(s) }
        return value.integerValue
    }
}

extension ParamReader {
    /// `user_code`: empty, or 1–64 of `[A-Za-z0-9_-]`.
    fileprivate func string(allowingEmpty name: String) throws(FieldViolation) -> String? {
        if params[name] == .string("") { return "" }
        return try identifier(name, required: false)
    }
}
