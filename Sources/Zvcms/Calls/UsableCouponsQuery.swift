import CouponModel

/// API 2.0 `user.user-use-coupon`: which of a member's coupons can be used for an order.
///
/// Field names follow seed 001. Ids and money travel as strings (a 19-digit `user_id`
/// must not become a float; money is yuan as decimal text); counts and `type_cate` as
/// numbers (*assumption*: the seed's example sends strings throughout, its table says int).
///
/// Seed 001 marks no request field as required; its only rule is "user_id and user_code:
/// one of them must be sent (user_id wins when both are)". So the member is the one thing
/// this query insists on; every other field is sent only when the command gave it, and
/// nothing is invented for an absent one: no `multi_mark` means "at any store", an order
/// line without `num` or `price` goes out without them.
public struct UsableCouponsQuery: Sendable, Hashable {
    /// Who the member is: `user_id` wins when both are known, as the platform does.
    public enum Member: Sendable, Hashable {
        case userID(String)
        case userCode(String)
    }

    /// One order line: `{num, trade_mark, price}`, each sent only when known.
    public struct TradeMark: Sendable, Hashable {
        /// How many of the item (`num`).
        public var num: Int?
        /// The item code (`trade_mark`).
        public var tradeMark: String?
        /// Unit price in yuan, as decimal text ("12.50").
        public var price: String?

        public init(num: Int? = nil, tradeMark: String? = nil, price: String? = nil) {
            self.num = num
            self.tradeMark = tradeMark
            self.price = price
        }
    }

    /// Store code (`multi_mark`); nil asks about every store.
    public var multiMark: String?
    public var member: Member
    public var tradeMarks: [TradeMark]
    /// Order discount in yuan (`discount_price`).
    public var discountPrice: String?
    /// 1 dine-in, 3 delivery (`type_cate`).
    public var typeCate: Int?

    public init(
        multiMark: String? = nil, member: Member, tradeMarks: [TradeMark] = [], discountPrice: String? = nil,
        typeCate: Int? = nil
    ) {
        self.multiMark = multiMark
        self.member = member
        self.tradeMarks = tradeMarks
        self.discountPrice = discountPrice
        self.typeCate = typeCate
    }

    /// The query a command's params describe (zvcms's field names).
    public init(params: [String: JSONValue]) throws(ZvcmsError) {
        let reader = ParamReader(params)
        do throws(FieldViolation) {
            multiMark = try reader.string("multi_mark")
            if let id = try reader.string("user_id") {
                member = .userID(id)
            } else if let code = try reader.string("user_code") {
                member = .userCode(code)
            } else {
                throw FieldViolation(field: reader.path("user_id"), reason: "user_id or a non-empty user_code is required")
            }
            tradeMarks = try (reader.objects("trade_marks") ?? []).map { line throws(FieldViolation) in
                TradeMark(num: try line.int("num"), tradeMark: try line.string("trade_mark"), price: try line.string("price"))
            }
            discountPrice = try reader.string("discount_price")
            typeCate = try reader.int("type_cate")
        } catch {
            throw .invalidParams(error.description)
        }
    }

    /// The `Params` object: only the fields that are known.
    var params: [String: JSONValue] {
        var out: [String: JSONValue] = [:]
        if let multiMark { out["multi_mark"] = .string(multiMark) }
        switch member {
        case .userID(let id): out["user_id"] = .string(id)
        case .userCode(let code): out["user_code"] = .string(code)
        }
        if !tradeMarks.isEmpty {
            out["trade_marks"] = .array(
                tradeMarks.map { line in
                    var fields: [String: JSONValue] = [:]
                    if let num = line.num { fields["num"] = .integer(Int64(num)) }
                    if let tradeMark = line.tradeMark { fields["trade_mark"] = .string(tradeMark) }
                    if let price = line.price { fields["price"] = .string(price) }
                    return .object(fields)
                })
        }
        if let discountPrice { out["discount_price"] = .string(discountPrice) }
        if let typeCate { out["type_cate"] = .integer(Int64(typeCate)) }
        return out
    }
}
