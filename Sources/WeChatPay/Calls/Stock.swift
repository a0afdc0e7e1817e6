import CouponModel

/// A merchant-coupon stock (`GET /v3/marketing/busifavor/stocks/{stock_id}`).
///
/// Typed: identity, state and the counters that tell whether more coupons can be sent;
/// `json` keeps the whole object (rules, display pattern, fields added later). The docs
/// promise only `stock_state`, `stock_send_rule` and `send_count_information`, so every typed
/// field is optional and one that is missing, null or of another type is left out rather
/// than failing a good answer.
public struct Stock: Sendable, Hashable, Decodable {
    public var stockID: String?
    public var stockName: String?
    public var stockState: StockState?
    public var stockType: StockType?
    public var belongMerchant: String?
    /// `stock_send_rule.max_coupons`.
    public var maxCoupons: Int?
    /// `stock_send_rule.max_coupons_per_user`.
    public var maxCouponsPerUser: Int?
    /// `send_count_information.total_send_num`.
    public var totalSendNum: Int?
    /// The object exactly as decoded.
    public var json: JSONValue

    enum CodingKeys: String, CodingKey {
        case stockID = "stock_id"
        case stockName = "stock_name"
        case stockState = "stock_state"
        case stockType = "stock_type"
        case belongMerchant = "belong_merchant"
        case sendRule = "stock_send_rule"
        case sendCount = "send_count_information"
    }

    enum SendRuleKeys: String, CodingKey {
        case maxCoupons = "max_coupons"
        case maxCouponsPerUser = "max_coupons_per_user"
    }

    enum SendCountKeys: String, CodingKey {
        case totalSendNum = "total_send_num"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        stockID = try? c.decodeIfPresent(String.self, forKey: .stockID)
        stockName = try? c.decodeIfPresent(String.self, forKey: .stockName)
        stockState = try? c.decodeIfPresent(StockState.self, forKey: .stockState)
        stockType = try? c.decodeIfPresent(StockType.self, forKey: .stockType)
        belongMerchant = try? c.decodeIfPresent(String.self, forKey: .belongMerchant)
        if let rule = try? c.nestedContainer(keyedBy: SendRuleKeys.self, forKey: .sendRule) {
            maxCoupons = try? rule.decodeIfPresent(Int.self, forKey: .maxCoupons)
            maxCouponsPerUser = try? rule.decodeIfPresent(Int.self, forKey: .maxCouponsPerUser)
        }
        if let count = try? c.nestedContainer(keyedBy: SendCountKeys.self, forKey: .sendCount) {
            totalSendNum = try? count.decodeIfPresent(Int.self, forKey: .totalSendNum)
        }
        json = try JSONValue(from: decoder)
    }
}
