/// The body of `POST /v3/marketing/busifavor/product-coupons/send` (seed 002).
public struct SendProductCouponRequest: Sendable, Hashable, Encodable {
    public var openid: String
    public var appid: String
    public var stockID: String
    /// The idempotency key: 1–128 of letters, digits, `|`, `_`, `*`, `-`.
    public var outRequestNo: String
    /// Set when the merchant assigns codes itself; WeChat Pay assigns one otherwise.
    public var couponCode: String?
    public var couponType: CouponType?
    /// Required when `couponType` is `.member`.
    public var memberCardID: String?

    public init(
        openid: String, appid: String, stockID: String, outRequestNo: String, couponCode: String? = nil,
        couponType: CouponType? = nil, memberCardID: String? = nil
    ) {
        self.openid = openid
        self.appid = appid
        self.stockID = stockID
        self.outRequestNo = outRequestNo
        self.couponCode = couponCode
        self.couponType = couponType
        self.memberCardID = memberCardID
    }

    enum CodingKeys: String, CodingKey {
        case openid, appid
        case stockID = "stock_id"
        case outRequestNo = "out_request_no"
        case couponCode = "coupon_code"
        case couponType = "coupon_type"
        case memberCardID = "member_card_id"
    }

    /// The checks WeChat Pay would fail with PARAM_ERROR, made before anything is sent.
    func validate() throws(WeChatPayError) {
        for (name, value) in [("openid", openid), ("appid", appid), ("stock_id", stockID)] where value.isEmpty {
            throw .invalidArguments("\(name) is required")
        }
        guard Self.isValidOutRequestNo(outRequestNo) else {
            throw .invalidArguments("out_request_no must be 1-128 of letters, digits, |, _, *, -")
        }
        if couponType == .member, (memberCardID ?? "").isEmpty {
            throw .invalidArguments("member_card_id is required when coupon_type is MEMBER")
        }
    }

    static func isValidOutRequestNo(_ value: String) -> Bool {
        (1...128).contains(value.utf8.count)
            && value.utf8.allSatisfy { byte in
                switch byte {
                case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                    UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "|"), UInt8(ascii: "_"),
                    UInt8(ascii: "*"), UInt8(ascii: "-"):
                    true
                default: false
                }
            }
    }
}
