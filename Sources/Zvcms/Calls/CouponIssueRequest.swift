import CouponModel

/// API 3.0 `coupon/issueCouponsToCustomer`: give a customer `num` coupons of one kind.
///
/// `bizID` carries the command's out_request_no so a person can match an issue in the
/// zvcms back office; zvcms does *not* deduplicate on it. Field names on the wire come from
/// `ZvcmsIssueFields` (*assumption*, configurable).
public struct CouponIssueRequest: Sendable, Hashable {
    public var bizID: String
    /// The coupon (template) to issue (`couponId`).
    public var couponID: String
    public var customerID: String
    public var num: Int
    public var thirdChannel: String?

    public init(bizID: String, couponID: String, customerID: String, num: Int = 1, thirdChannel: String? = nil) {
        self.bizID = bizID
        self.couponID = couponID
        self.customerID = customerID
        self.num = num
        self.thirdChannel = thirdChannel
    }

    /// The request a command describes: `bizID` is its out_request_no; params `couponId`,
    /// `customerId`, `num` (default 1), `thirdChannel`.
    public init(outRequestNo: String, params: [String: JSONValue]) throws(ZvcmsError) {
        let reader = ParamReader(params)
        bizID = outRequestNo
        do throws(FieldViolation) {
            couponID = try reader.requiredString("couponId")
            customerID = try reader.requiredString("customerId")
            num = try reader.int("num") ?? 1
            guard num >= 1 else { throw FieldViolation(field: reader.path("num"), reason: "must be at least 1, got \(num)") }
            thirdChannel = try reader.string("thirdChannel")
        } catch {
            throw .invalidParams(error.description)
        }
    }

    func params(fields: ZvcmsIssueFields) -> [String: JSONValue] {
        var out: [String: JSONValue] = [
            fields.bizID: .string(bizID),
            fields.couponID: .string(couponID),
            fields.customerID: .string(customerID),
            fields.num: .integer(Int64(num)),
        ]
        if let thirdChannel { out[fields.thirdChannel] = .string(thirdChannel) }
        return out
    }
}
