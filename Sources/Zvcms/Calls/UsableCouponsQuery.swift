import CouponModel

/// API 2.0 `user.user-use-coupon`: which of a member's coupons can be used for an order.
///
/// Field names follow seed 001. Ids and money travel as strings (a 19-digit `user_id`
/// must not become a float; money is yuan as decimal text); counts and `type_cate` as
/// numbers (*assumption*: the seed's example sends strings throughout, its table says int).
public struct UsableCouponsQuery: Sendable, Hashable {
    /// Who the member is: `user_id` wins when both are known, as the platform does.
    public enum Member: Sendable, Hashable {
        case userID(String)
        case userCode(String)
    }

    /// One order line: `{num, trade_mark, price}`.
    public struct TradeMark: Sendable, Hashable {
        public var num: Int
        public var tradeMark: String
        /// Unit price in yuan, as decimal text ("12.50").
        public var price: String

        public init(num: Int, tradeMark: String, price: String) {
            self.num = num
            self.tradeMark = tradeMark
            self.price = price
        }
    }

    /// Store code (`multi_mark`).
    public var multiMark: String
    public var member: Member
    public var tradeMarks: [TradeMark]
    /// Order discount in yuan (`discount_price`).
    public var discountPrice: String?
    /// 1 dine-in, 3 delivery (`type_cate`).
    public var typeCate: Int?

    public init(multiMark: String, member: Member, tradeMarks: [TradeMark], discountPrice: String? = nil, typeCate: Int? = nil) {
        self.multiMark = multiMark
        self.member = member
        self.tradeMarks = tradeMarks
        self.discountPrice = discountPrice
        self.typeCate = typeCate
    }

    /// The query a command's params describe (zvcms's field names).
    public init(params: [String: JSONValue]) throws(ZvcmsError) {
        let reader = ParamReader(params: params)
        multiMark = try reader.requiredText("multi_mark")
        if let id = try reader.text("user_id") {
            member = .userID(id)
        } else if let code = try reader.text("user_code") {
            member = .userCode(code)
        } else {
            throw .invalidParams("one of user_id or user_code is required")
        }
        var lines: [TradeMark] = []
        for (index, element) in (params["trade_marks"]?.arrayValue ?? []).enumerated() {
            guard let line = element.objectValue else { throw .invalidParams("trade_marks[\(index)] must be an object") }
            let lineReader = ParamReader(params: line)
            lines.append(
                TradeMark(
                    num: try lineReader.integer("num") ?? 1,
                    tradeMark: try lineReader.requiredText("trade_mark"),
                    price: try lineReader.text("price") ?? "0"))
        }
        tradeMarks = lines
        discountPrice = try reader.text("discount_price")
        typeCate = try reader.integer("type_cate")
    }

    /// The `Params` object.
    var params: [String: JSONValue] {
        var out: [String: JSONValue] = [
            "multi_mark": .string(multiMark),
            "trade_marks": .array(
                tradeMarks.map {
                    ["num": .integer(Int64($0.num)), "trade_mark": .string($0.tradeMark), "price": .string($0.price)]
                }),
        ]
        switch member {
        case .userID(let id): out["user_id"] = .string(id)
        case .userCode(let code): out["user_code"] = .string(code)
        }
        if let discountPrice { out["discount_price"] = .string(discountPrice) }
        if let typeCate { out["type_cate"] = .integer(Int64(typeCate)) }
        return out
    }
}
