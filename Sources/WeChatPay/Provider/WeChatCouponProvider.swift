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
            throw command.operation == .wechatProductCouponSend ? error.providerFailure : error.readFailure
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
            guard case .sendProductCoupon(let request) = try call(for: command) else { return .notFound }
            let found = try await client.findCoupon(
                issuedUnder: command.outRequestNo, openid: request.openid, appid: request.appid, stockID: request.stockID)
            guard let coupon = found else { return .notFound }
            return .found(Self.issueData(
                stockID: coupon.stockID ?? request.stockID, couponCode: coupon.couponCode, outRequestNo: command.outRequestNo))
        } catch {
            throw error.readFailure
        }
    }

    private func perform(_ command: CouponCommand) async throws(WeChatPayError) -> JSONValue {
        switch try call(for: command) {
        case .sendProductCoupon(let request):
            let response = try await client.sendProductCoupon(request)
            return Self.issueData(stockID: response.stockID, couponCode: response.couponCode, outRequestNo: response.outRequestNo)
        case .userCoupons(let query):
            return try await client.userCoupons(query.defaultingSenderMerchant(to: client.profile.mchid)).json
        case .userCoupon(let openid, let couponCode, let appid):
            return try await client.userCoupon(openid: openid, couponCode: couponCode, appid: appid).json
        case .stock(let id):
            return try await client.stock(id: id).json
        }
    }

    /// One WeChat Pay call, as a command's params describe it.
    private enum Call {
        case sendProductCoupon(SendProductCouponRequest)
        case userCoupons(UserCouponsQuery)
        case userCoupon(openid: String, couponCode: String, appid: String)
        case stock(id: String)
    }

    /// The call `command` asks for; a param it cannot use is `invalidArguments` (nothing sent).
    private func call(for command: CouponCommand) throws(WeChatPayError) -> Call {
        let params = ParamReader(command.params)
        let call: Call?
        do throws(FieldViolation) {
            switch command.operation {
            case .wechatProductCouponSend:
                call = .sendProductCoupon(
                    SendProductCouponRequest(
                        openid: try params.requiredString("openid"), appid: try params.requiredString("appid"),
                        stockID: try params.requiredString("stock_id"), outRequestNo: command.outRequestNo,
                        couponCode: try params.string("coupon_code"),
                        couponType: try params.string("coupon_type").map(CouponType.init(rawValue:)),
                        memberCardID: try params.string("member_card_id")))
            case .wechatUserCouponsList:
                call = .userCoupons(
                    UserCouponsQuery(
                        openid: try params.requiredString("openid"), appid: try params.requiredString("appid"),
                        stockID: try params.string("stock_id"),
                        couponState: try params.string("coupon_state").map(CouponState.init(rawValue:)),
                        creatorMerchant: try params.string("creator_merchant"),
                        belongMerchant: try params.string("belong_merchant"),
                        senderMerchant: try params.string("sender_merchant"), offset: try params.int("offset"),
                        limit: try params.int("limit")))
            case .wechatUserCouponGet:
                call = .userCoupon(
                    openid: try params.requiredString("openid"), couponCode: try params.requiredString("coupon_code"),
                    appid: try params.requiredString("appid"))
            case .wechatStockGet:
                call = .stock(id: try params.requiredString("stock_id"))
            case .zvcmsCouponIssue, .zvcmsUserUseCoupon, .zvcmsCustomerCoupons, .zvcmsCouponStatus:
                call = nil
            }
        } catch {
            throw .invalidArguments(error.description)
        }
        guard let call else {
            throw .invalidArguments("operation \(command.operation.rawValue) is not a WeChat Pay operation")
        }
        return call
    }

    /// Result `data` of an issue: `{"coupon_code","stock_id","out_request_no"}`.
    static func issueData(stockID: String, couponCode: String, outRequestNo: String) -> JSONValue {
        .object([
            "coupon_code": .string(couponCode), "stock_id": .string(stockID), "out_request_no": .string(outRequestNo),
        ])
    }
}
