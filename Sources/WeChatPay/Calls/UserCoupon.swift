import CouponModel

/// A coupon in a user's wallet, as the list and detail calls return it.
///
/// The fields the worker reasons about are typed; `json` keeps the whole object as sent
/// (rules, display patterns, fields added later), so nothing is lost in a result. Only
/// `coupon_code` is required: the docs list no fields of the detail call, and a coupon
/// without a stock id or a state is still the user's coupon.
public struct UserCoupon: Sendable, Hashable, Decodable {
    public var couponCode: String
    public var stockID: String?
    public var couponState: CouponState?
    /// The `out_request_no` the coupon was issued under: what reconciliation matches on.
    public var sendRequestNo: String?
    public var stockName: String?
    public var stockType: StockType?
    public var belongMerchant: String?
    public var useRequestNo: String?
    public var availableStartTime: String?
    public var expireTime: String?
    public var receiveTime: String?
    public var useTime: String?
    /// The object exactly as decoded.
    public var json: JSONValue

    enum CodingKeys: String, CodingKey {
        case couponCode = "coupon_code"
        case stockID = "stock_id"
        case couponState = "coupon_state"
        case sendRequestNo = "send_request_no"
        case stockName = "stock_name"
        case stockType = "stock_type"
        case belongMerchant = "belong_merchant"
        case useRequestNo = "use_request_no"
        case availableStartTime = "available_start_time"
        case expireTime = "expire_time"
        case receiveTime = "receive_time"
        case useTime = "use_time"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        couponCode = try c.decode(String.self, forKey: .couponCode)
        stockID = try? c.decodeIfPresent(String.self, forKey: .stockID)
        couponState = try? c.decodeIfPresent(CouponState.self, forKey: .couponState)
        sendRequestNo = try? c.decodeIfPresent(String.self, forKey: .sendRequestNo)
        stockName = try? c.decodeIfPresent(String.self, forKey: .stockName)
        stockType = try? c.decodeIfPresent(StockType.self, forKey: .stockType)
        belongMerchant = try? c.decodeIfPresent(String.self, forKey: .belongMerchant)
        useRequestNo = try? c.decodeIfPresent(String.self, forKey: .useRequestNo)
        availableStartTime = try? c.decodeIfPresent(String.self, forKey: .availableStartTime)
        expireTime = try? c.decodeIfPresent(String.self, forKey: .expireTime)
        receiveTime = try? c.decodeIfPresent(String.self, forKey: .receiveTime)
        useTime = try? c.decodeIfPresent(String.self, forKey: .useTime)
        json = try JSONValue(from: decoder)
    }
}
