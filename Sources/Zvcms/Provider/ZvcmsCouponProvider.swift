import AsyncHTTPClient
import CouponModel
import Logging

/// The pipeline's view of one zvcms account: runs a `CouponCommand` as one zvcms call and
/// reports failures in the project's vocabulary.
///
/// Operations and their params (zvcms's own field names):
/// - `coupon.issue`: `couponId`, `customerId`, `num` (default 1), `thirdChannel`; `bizId` is
///   the out_request_no. Data: `{bizId, cardId, cardIdList, num}`.
/// - `user_use_coupon`: `multi_mark`, `user_id` or `user_code`, `trade_marks`,
///   `discount_price`, `type_cate`. Data: `{coupons: [...]}`.
/// - `customer_coupons`: `customerId`, `cardId`, `useStatus`, `templateId`. Data: `{coupons: [...]}`.
/// - `coupon.status`: `id` (the coupon code). Data: the coupon.
/// Provider scalars appear in data as strings, exactly as sent (19-digit ids intact).
public struct ZvcmsCouponProvider: CouponProviderClient {
    public let client: ZvcmsClient

    public init(client: ZvcmsClient) {
        self.client = client
    }

    /// A provider for `account` over the shared `httpClient`.
    public init(account: ZvcmsAccount, httpClient: HTTPClient, timeout: Duration = .seconds(10), logger: Logger = Logger(label: "zvcms")) {
        self.client = ZvcmsClient(account: account, httpClient: httpClient, timeout: timeout, logger: logger)
    }

    public func execute(_ command: CouponCommand) async throws(ProviderFailure) -> JSONValue {
        do {
            return try await run(command)
        } catch {
            throw error.providerFailure(for: command.operation.kind)
        }
    }

    /// One request to one host.
    public var worstCaseAttempt: Duration { client.timeout }

    /// zvcms offers no way to find an earlier issue by out_request_no, so an issue whose
    /// outcome is unknown stays unknown.
    public func reconcile(_ command: CouponCommand) async throws(ProviderFailure) -> Reconciliation {
        .unknowable
    }

    private func run(_ command: CouponCommand) async throws(ZvcmsError) -> JSONValue {
        switch command.operation {
        case .zvcmsCouponIssue:
            let issued = try await client.issueCoupons(
                try CouponIssueRequest(outRequestNo: command.outRequestNo, params: command.params))
            var data = issued.fields
            data["bizId"] = .string(command.outRequestNo)
            return .object(data)
        case .zvcmsUserUseCoupon:
            let coupons = try await client.usableCoupons(try UsableCouponsQuery(params: command.params))
            return ["coupons": .array(coupons.map { .object($0.fields) })]
        case .zvcmsCustomerCoupons:
            let coupons = try await client.customerCoupons(try CustomerCouponsQuery(params: command.params))
            return ["coupons": .array(coupons.map { .object($0.fields) })]
        case .zvcmsCouponStatus:
            let code: String
            do throws(FieldViolation) {
                code = try ParamReader(command.params).requiredString("id")
            } catch {
                throw .invalidParams(error.description)
            }
            return .object(try await client.couponStatus(code: code).fields)
        case .wechatProductCouponSend, .wechatUserCouponsList, .wechatUserCouponGet, .wechatStockGet:
            throw .invalidParams("operation \(command.operation.rawValue) is not a zvcms operation")
        }
    }
}
