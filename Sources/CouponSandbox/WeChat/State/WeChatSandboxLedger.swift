import CouponModel
import Foundation

/// The sandbox's business state and rules: stocks, issued coupons, deduplication by
/// `out_request_no`, budgets. Pure values; `WeChatPaySandbox` guards it with a mutex.
struct WeChatSandboxLedger {
    private struct IssueKey: Hashable {
        var stockID: String
        var openid: String
        var outRequestNo: String
    }

    private struct Issued {
        /// appid, coupon_code, coupon_type, member_card_id: a repeat must match these.
        var parameters: [String?]
        var couponIndex: Int
    }

    var forgetDuplicates: Bool
    var paging: WeChatSandboxConfiguration.Paging
    private(set) var stocks: [String: WeChatSandboxStock] = [:]
    private(set) var coupons: [WeChatSandboxCoupon] = []
    private var issued: [IssueKey: Issued] = [:]
    private var issuanceCounts: [String: Int] = [:]
    /// Counts kept beside `coupons` so that a send costs the same on the millionth coupon as on
    /// the first (the benchmark and the long reliability run issue hundreds of thousands).
    private var couponsPerStock: [String: Int] = [:]
    private var couponsPerUser: [UserKey: Int] = [:]
    private var codesInUse: Set<CodeKey> = []
    /// Positions in `coupons` of each user's coupons, in issue order (queries are per user).
    private var couponIndicesByOpenid: [String: [Int]] = [:]
    /// Codes of coupons the list call does not show (yet).
    private var unlisted: Set<String> = []

    private struct UserKey: Hashable {
        var stockID: String
        var openid: String
    }

    private struct CodeKey: Hashable {
        var stockID: String
        var couponCode: String
    }
    private var nextCode = 100_000_000_001

    init(forgetDuplicates: Bool, paging: WeChatSandboxConfiguration.Paging) {
        self.forgetDuplicates = forgetDuplicates
        self.paging = paging
    }

    mutating func add(_ stock: WeChatSandboxStock) { stocks[stock.stockID] = stock }

    mutating func add(_ coupon: WeChatSandboxCoupon) {
        coupons.append(coupon)
        couponsPerStock[coupon.stockID, default: 0] += 1
        couponsPerUser[UserKey(stockID: coupon.stockID, openid: coupon.openid), default: 0] += 1
        codesInUse.insert(CodeKey(stockID: coupon.stockID, couponCode: coupon.couponCode))
        couponIndicesByOpenid[coupon.openid, default: []].append(coupons.count - 1)
    }

    /// The coupons of one user, in issue order.
    private func coupons(of openid: String) -> [WeChatSandboxCoupon] {
        (couponIndicesByOpenid[openid] ?? []).map { coupons[$0] }
    }

    /// Sets a coupon's state; false when no coupon has that code.
    mutating func setState(_ state: String, couponCode: String) -> Bool {
        guard let index = coupons.firstIndex(where: { $0.couponCode == couponCode }) else { return false }
        coupons[index].state = state
        return true
    }

    /// Hides a coupon from the list call, or shows it again: a list that lags behind its writes.
    mutating func setListed(_ listed: Bool, couponCode: String) -> Bool {
        guard coupons.contains(where: { $0.couponCode == couponCode }) else { return false }
        if listed { unlisted.remove(couponCode) } else { unlisted.insert(couponCode) }
        return true
    }

    func issuanceCount(outRequestNo: String) -> Int { issuanceCounts[outRequestNo, default: 0] }

    // MARK: product-coupons/send

    mutating func send(mchid: String, body: [UInt8], now: Date) -> WeChatSandboxAnswer {
        guard let object = try? StrictJSON.parse(body), case .object(let fields) = object else {
            return .paramError(field: "body", value: nil, issue: "请求体不是合法的JSON对象", location: "body")
        }
        var values: [String: String] = [:]
        for name in ["openid", "appid", "stock_id", "out_request_no", "coupon_code", "coupon_type", "member_card_id"] {
            switch fields[name] {
            case nil, .null?: continue
            case .string(let value)?: values[name] = value
            default: return .paramError(field: name, value: nil, issue: "类型错误，应为string", location: "body")
            }
        }
        for name in ["openid", "appid", "stock_id", "out_request_no"] where (values[name] ?? "").isEmpty {
            return .paramError(field: name, value: nil, issue: "必填参数缺失", location: "body")
        }
        let outRequestNo = values["out_request_no"]!
        guard Self.isValidOutRequestNo(outRequestNo) else {
            return .paramError(field: "out_request_no", value: outRequestNo, issue: "格式错误", location: "body")
        }
        let couponType = values["coupon_type"] ?? "NORMAL"
        guard couponType == "NORMAL" || couponType == "MEMBER" else {
            return .paramError(field: "coupon_type", value: couponType, issue: "枚举值无效", location: "body")
        }
        if couponType == "MEMBER", (values["member_card_id"] ?? "").isEmpty {
            return .paramError(field: "member_card_id", value: nil, issue: "会员券必须填写member_card_id", location: "body")
        }
        let stockID = values["stock_id"]!, openid = values["openid"]!, appid = values["appid"]!
        guard let stock = stocks[stockID] else {
            return .error(404, "RESOURCE_NOT_EXISTS", "批次不存在")
        }
        guard stock.creatorMerchant == mchid else {
            return .error(403, "NO_AUTH", "商户无权发放该批次")
        }
        let key = IssueKey(stockID: stockID, openid: openid, outRequestNo: outRequestNo)
        let parameters = [appid, values["coupon_code"], couponType, values["member_card_id"]]
        if !forgetDuplicates, let earlier = issued[key] {
            guard earlier.parameters == parameters else {
                return .error(400, "INVALID_REQUEST", "out_request_no已使用，且请求参数与原请求不一致")
            }
            let coupon = coupons[earlier.couponIndex]
            return Self.sendAnswer(coupon)
        }
        guard stock.state == "RUNNING" else {
            return .error(400, "INVALID_REQUEST", "批次状态不是RUNNING，无法发券")
        }
        guard couponsPerStock[stockID, default: 0] < stock.maxCoupons else {
            return .error(400, "INVALID_REQUEST", "批次库存不足")
        }
        guard couponsPerUser[UserKey(stockID: stockID, openid: openid), default: 0] < stock.maxCouponsPerUser else {
            return .error(400, "INVALID_REQUEST", "用户领券已达上限")
        }
        let code: String
        if let requested = values["coupon_code"] {
            guard !codesInUse.contains(CodeKey(stockID: stockID, couponCode: requested)) else {
                return .error(400, "INVALID_REQUEST", "coupon_code已被使用")
            }
            code = requested
        } else {
            code = String(nextCode)
            nextCode += 1
        }
        let coupon = WeChatSandboxCoupon(
            couponCode: code, stockID: stockID, openid: openid, appid: appid, senderMerchant: mchid,
            sendRequestNo: outRequestNo, couponType: couponType, receiveTime: WeChatPlatformKey.rfc3339(now))
        add(coupon)
        issued[key] = Issued(parameters: parameters, couponIndex: coupons.count - 1)
        issuanceCounts[outRequestNo, default: 0] += 1
        return Self.sendAnswer(coupon)
    }

    private static func sendAnswer(_ coupon: WeChatSandboxCoupon) -> WeChatSandboxAnswer {
        .json([
            "stock_id": .string(coupon.stockID), "coupon_code": .string(coupon.couponCode),
            "out_request_no": .string(coupon.sendRequestNo),
        ])
    }

    // MARK: users/{openid}/coupons

    func list(openid: String, query: [String: String]) -> WeChatSandboxAnswer {
        guard let appid = query["appid"], !appid.isEmpty else {
            return .paramError(field: "appid", value: nil, issue: "必填参数缺失", location: "query")
        }
        let creator = query["creator_merchant"], belong = query["belong_merchant"], sender = query["sender_merchant"]
        guard creator != nil || belong != nil || sender != nil else {
            return .paramError(
                field: "creator_merchant", value: nil, issue: "creator_merchant、belong_merchant、sender_merchant至少填写一个",
                location: "query")
        }
        let limit: Int
        if let text = query["limit"] {
            guard let value = Int(text), (1...50).contains(value) else {
                return .paramError(field: "limit", value: text, issue: "取值范围为1-50", location: "query")
            }
            limit = value
        } else {
            limit = 20
        }
        let offset: Int
        if let text = query["offset"] {
            guard let value = Int(text), value >= 0 else {
                return .paramError(field: "offset", value: text, issue: "必须为非负整数", location: "query")
            }
            offset = value
        } else {
            offset = 0
        }
        let matching = coupons(of: openid).filter { coupon in
            let stock = stocks[coupon.stockID]
            return coupon.openid == openid && coupon.appid == appid && !unlisted.contains(coupon.couponCode)
                && query["stock_id"].map { $0 == coupon.stockID } ?? true
                && query["coupon_state"].map { $0 == coupon.state } ?? true
                && creator.map { $0 == stock?.creatorMerchant } ?? true
                && belong.map { $0 == stock?.creatorMerchant } ?? true
                && sender.map { $0 == coupon.senderMerchant } ?? true
        }
        let start = paging == .pageIndex ? offset * limit : offset
        let page = start < matching.count ? Array(matching[start..<min(start + limit, matching.count)]) : []
        return .json([
            "total_count": .integer(Int64(matching.count)), "offset": .integer(Int64(offset)),
            "limit": .integer(Int64(limit)), "data": .array(page.map(couponJSON)),
        ])
    }

    // MARK: users/{openid}/coupons/{coupon_code}/appids/{appid}

    func coupon(openid: String, couponCode: String, appid: String) -> WeChatSandboxAnswer {
        guard let coupon = coupons(of: openid).first(where: { $0.couponCode == couponCode && $0.appid == appid })
        else { return .error(404, "RESOURCE_NOT_EXISTS", "券不存在") }
        return .json(couponJSON(coupon))
    }

    // MARK: stocks/{stock_id}

    func stock(id: String, mchid: String) -> WeChatSandboxAnswer {
        guard let stock = stocks[id] else { return .error(404, "RESOURCE_NOT_EXISTS", "批次不存在") }
        guard stock.creatorMerchant == mchid else { return .error(403, "NO_AUTH", "商户无权查询该批次") }
        let sent = couponsPerStock[id, default: 0]
        return .json([
            "stock_id": .string(stock.stockID), "stock_name": .string(stock.stockName),
            "belong_merchant": .string(stock.creatorMerchant), "comment": "sandbox", "goods_name": "全场可用",
            "stock_type": "NORMAL", "stock_state": .string(stock.state), "coupon_code_mode": "WECHATPAY_MODE",
            "coupon_use_rule": Self.useRule,
            "stock_send_rule": [
                "max_coupons": .integer(Int64(stock.maxCoupons)),
                "max_coupons_per_user": .integer(Int64(stock.maxCouponsPerUser)), "natural_person_limit": false,
                "prevent_api_abuse": false, "transferable": false, "shareable": false,
            ],
            "send_count_information": [
                "total_send_num": .integer(Int64(sent)), "total_send_amount": .integer(Int64(sent * 100)),
            ],
        ])
    }

    private func couponJSON(_ coupon: WeChatSandboxCoupon) -> JSONValue {
        let stock = stocks[coupon.stockID]
        return [
            "stock_name": .string(stock?.stockName ?? ""), "belong_merchant": .string(stock?.creatorMerchant ?? ""),
            "comment": "sandbox", "goods_name": "全场可用", "stock_type": "NORMAL", "coupon_use_rule": Self.useRule,
            "coupon_code": .string(coupon.couponCode), "coupon_state": .string(coupon.state),
            "stock_id": .string(coupon.stockID), "transferable": false, "shareable": false,
            "send_request_no": .string(coupon.sendRequestNo), "available_start_time": .string(coupon.receiveTime),
            "expire_time": "2099-12-31T23:59:59+08:00", "receive_time": .string(coupon.receiveTime),
        ]
    }

    private static let useRule: JSONValue = [
        "coupon_available_time": ["available_begin_time": "2020-01-01T00:00:00+08:00", "available_end_time": "2099-12-31T23:59:59+08:00"],
        "fixed_normal_coupon": ["discount_amount": 100, "transaction_minimum": 1000],
        "use_method": "OFF_LINE",
    ]

    static func isValidOutRequestNo(_ value: String) -> Bool {
        (1...128).contains(value.utf8.count)
            && value.unicodeScalars.allSatisfy { scalar in
                scalar.isASCII && (scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) || "|_*-".unicodeScalars.contains(scalar))
            }
    }
}
