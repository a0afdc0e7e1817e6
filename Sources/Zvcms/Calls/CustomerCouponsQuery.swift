import CouponModel

/// API 3.0 `crm/coupon/getCustomerCoupons`: a customer's coupons, optionally narrowed to one
/// coupon code, a state or a template (seed 003).
public struct CustomerCouponsQuery: Sendable, Hashable {
    public var customerID: String
    /// A coupon code (`cardId`, as the issue call returns it).
    public var cardID: String?
    /// 0 unused, 1 used, 2 frozen, 6 expired, 7 deleted.
    public var useStatus: Int?
    public var templateID: String?

    public init(customerID: String, cardID: String? = nil, useStatus: Int? = nil, templateID: String? = nil) {
        self.customerID = customerID
        self.cardID = cardID
        self.useStatus = useStatus
        self.templateID = templateID
    }

    /// The query a command's params describe (`customerId`, `cardId`, `useStatus`, `templateId`).
    public init(params: [String: JSONValue]) throws(ZvcmsError) {
        let reader = ParamReader(params)
        do throws(FieldViolation) {
            customerID = try reader.requiredString("customerId")
            cardID = try reader.string("cardId")
            useStatus = try reader.int("useStatus")
            templateID = try reader.string("templateId")
        } catch {
            throw .invalidParams(error.description)
        }
    }

    var params: [String: JSONValue] {
        var out: [String: JSONValue] = ["customerId": .string(customerID)]
        if let cardID { out["cardId"] = .string(cardID) }
        if let useStatus { out["useStatus"] = .integer(Int64(useStatus)) }
        if let templateID { out["templateId"] = .string(templateID) }
        return out
    }
}
