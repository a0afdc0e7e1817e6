import CouponModel

/// The pipeline's view of WeChat Pay for one merchant: turns a `CouponCommand` into a typed
/// call and its answer into result `data`.
///
/// Params are named as in the WeChat API (`openid`, `appid`, `stock_id`, `coupon_code`,
/// `coupon_type`, `member_card_id`, `coupon_state`, `creator_merchant`, `belong_merchant`,
/// `sender_merchant`, `offset`, `limit`). Every failure leaves as a `ProviderFailure`.
///
/// Defaults filled from the merchant profile:
/// - `user_coupons.list`: WeChat Pay requires one of `creator_merchant`, `belong_merchant`,
///   `sender_merchant`. A command that names none of them is sent with
///   `sender_merchant` = this profile's `mchid` (the coupons this merchant sent, which is
///   also what reconciliation lists); a command that names any of them is sent as given.
public struct WeChatCouponProvider: CouponProviderClient {
    public let client: WeChatPayClient

    public init(client: WeChatPayClient) {
        self.client = client
    }

    public func execute(_ command: CouponCommand) async throws(ProviderFailure) -> JSONValue {
        do throws(WeChatPayError) {
            return try await perform(command)
        } catch {
            throw error.providerFailure
        }
    }

    /// A platform-certificate download, then the primary host and (when it cannot be reached)
    /// the backup host, each signed at most twice (again after `401 SIGN_ERROR`).
    public var worstCaseAttempt: Duration {
        let hosts = client.profile.backupBaseURL == nil ? 1 : 2
        return client.configuration.timeout * (1 + 2 * hosts)
    }

    /// For an issue: lists the user's coupons of the stock and matches `send_request_no`
    /// against the command's `out_request_no`. Queries have no effect to look for.
    public func reconcile(_ command: CouponCommand) async throws(ProviderFailure) -> Reconciliation {
        guard command.operation == .wechatProductCouponSend else { return .notFound }
        do throws(WeChatPayError) {
            let params = Params(command)
            let found = try await client.findCoupon(
                issuedUnder: command.outRequestNo, openid: try params.required("openid"),
                appid: try params.required("appid"), stockID: try params.required("stock_id"))
            guard let coupon = found else { return .notFound }
            return .found(Self.issueData(stockID: coupon.stockID, couponCode: coupon.couponCode, outRequestNo: command.outRequestNo))
        } catch {
            throw error.providerFailure
        }
    }

    private func perform(_ command: CouponCommand) async throws(WeChatPayError) -> JSONValue {
        let params = Params(command)
        switch command.operation {
        case .wechatProductCouponSend:
            let request = SendProductCouponRequest(
                openid: try params.required("openid"), appid: try params.required("appid"),
                stockID: try params.required("stock_id"), outRequestNo: command.outRequestNo,
                couponCode: try params.optional("coupon_code"),
                couponType: try params.optional("coupon_type").map(CouponType.init(rawValue:)),
                memberCardID: try params.optional("member_card_id"))
            let response = try await client.sendProductCoupon(request)
            return Self.issueData(stockID: response.stockID, couponCode: response.couponCode, outRequestNo: response.outRequestNo)
        case .wechatUserCouponsList:
            let query = UserCouponsQuery(
                openid: try params.required("openid"), appid: try params.required("appid"),
                stockID: try params.optional("stock_id"),
                couponState: try params.optional("coupon_state").map(CouponState.init(rawValue:)),
                creatorMerchant: try params.optional("creator_merchant"),
                belongMerchant: try params.optional("belong_merchant"),
                senderMerchant: try params.optional("sender_merchant"), offset: try params.integer("offset"),
                limit: try params.integer("limit")
            ).defaultingSenderMerchant(to: client.profile.mchid)
            return try await client.userCoupons(query).json
        case .wechatUserCouponGet:
            return try await client.userCoupon(
                openid: try params.required("openid"), couponCode: try params.required("coupon_code"),
                appid: try params.required("appid")
            ).json
        case .wechatStockGet:
            return try await client.stock(id: try params.required("stock_id")).json
        default:
            throw .invalidArguments("operation \(command.operation.rawValue) is not a WeChat Pay operation")
        }
    }

    /// Result `data` of an issue: `{"coupon_code","stock_id","out_request_no"}`.
    static func issueData(stockID: String, couponCode: String, outRequestNo: String) -> JSONValue {
        .object([
            "coupon_code": .string(couponCode), "stock_id": .string(stockID), "out_request_no": .string(outRequestNo),
        ])
    }

    /// Typed access to command params, with errors naming the param.
    private struct Params {
        let values: [String: JSONValue]

        init(_ command: CouponCommand) { values = command.params }

        func required(_ name: String) throws(WeChatPayError) -> String {
            guard let value = try optional(name), !value.isEmpty else { throw .invalidArguments("param \(name) is required") }
            return value
        }

        func optional(_ name: String) throws(WeChatPayError) -> String? {
            switch values[name] {
            case nil, .null?: return nil
            case .string(let value)?: return value
            // Numeric ids (stock_id, merchant ids) are accepted and sent as their digits.
            case .integer(let value)?: return String(value)
            default: throw .invalidArguments("param \(name) must be a string")
            }
        }

        func integer(_ name: String) throws(WeChatPayError) -> Int? {
            switch values[name] {
            case nil, .null?: return nil
            case let value?:
                if let number = value.integerValue { return Int(number) }
                if let text = value.stringValue, let number = Int(text) { return number }
                throw .invalidArguments("param \(name) must be an integer")
            }
        }
    }
}
