/// The answer to a product-coupon send: which coupon the user now holds.
public struct SendProductCouponResponse: Sendable, Hashable, Decodable {
    public var stockID: String
    public var couponCode: String
    public var outRequestNo: String

    public init(stockID: String, couponCode: String, outRequestNo: String) {
        self.stockID = stockID
        self.couponCode = couponCode
        self.outRequestNo = outRequestNo
    }

    enum CodingKeys: String, CodingKey {
        case stockID = "stock_id"
        case couponCode = "coupon_code"
        case outRequestNo = "out_request_no"
    }
}
