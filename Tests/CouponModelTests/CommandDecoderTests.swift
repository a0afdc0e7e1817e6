import CouponModel
import Testing

/// Decodes `message` (text or JSONValue) and returns the rejection, failing the test if it was accepted.
private func rejection(
    _ bytes: [UInt8], topic: CommandKind? = nil, limits: CommandLimits = .default,
    sourceLocation: SourceLocation = #_sourceLocation
) throws -> CommandRejection {
    switch CommandDecoder.decode(bytes, topicKind: topic, limits: limits) {
    case .success(let command):
        Issue.record("accepted \(command)", sourceLocation: sourceLocation)
        throw AcceptedUnexpectedly()
    case .failure(let rejection):
        return rejection
    }
}

private func rejection(_ value: JSONValue, topic: CommandKind? = nil, sourceLocation: SourceLocation = #_sourceLocation) throws
    -> CommandRejection
{
    try rejection(CanonicalJSON.bytes(of: value), topic: topic, sourceLocation: sourceLocation)
}

private func rejection(_ text: String, topic: CommandKind? = nil, sourceLocation: SourceLocation = #_sourceLocation) throws
    -> CommandRejection
{
    try rejection(Array(text.utf8), topic: topic, sourceLocation: sourceLocation)
}

private func accepted(_ value: JSONValue, topic: CommandKind? = nil) throws -> CouponCommand {
    try CommandDecoder.decode(CanonicalJSON.bytes(of: value), topicKind: topic).get()
}

private struct AcceptedUnexpectedly: Error {}

/// A valid WeChat send command with `params` changed by `change`.
private func send(_ change: (inout [String: JSONValue]) -> Void = { _ in }) -> JSONValue {
    var params: [String: JSONValue] = [
        "openid": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o", "appid": "wx233544546545989", "stock_id": "1212", "coupon_type": "NORMAL",
    ]
    change(&params)
    return [
        "out_request_no": "ORD20261122-0001", "provider": "wechat", "operation": "product_coupon.send",
        "merchant": "1900000001", "params": .object(params),
    ]
}

/// `command` with top-level member `key` set to `value` (nil removes it).
private func with(_ command: JSONValue, _ key: String, _ value: JSONValue?) -> JSONValue {
    var members = command.objectValue ?? [:]
    members[key] = value
    return .object(members)
}

/// A command for `operation` with `params`.
private func command(_ operation: CouponOperation, _ params: [String: JSONValue]) -> JSONValue {
    ["out_request_no": "Q-1", "provider": .string(operation.provider.rawValue), "operation": .string(operation.rawValue),
     "params": .object(params)]
}

@Suite("CommandDecoder accepts")
struct CommandDecoderAcceptanceTests {
    /// A minimal valid params object for every operation; the switch keeps the list complete.
    static func minimalParams(_ operation: CouponOperation) -> [String: JSONValue] {
        switch operation {
        case .wechatProductCouponSend: ["openid": "o1", "appid": "wx1", "stock_id": "1", "coupon_type": "NORMAL"]
        case .wechatUserCouponsList: ["openid": "o1", "appid": "wx1"]
        case .wechatUserCouponGet: ["openid": "o1", "coupon_code": "c1", "appid": "wx1"]
        case .wechatStockGet: ["stock_id": "9865000"]
        case .zvcmsCouponIssue: ["couponId": "952", "customerId": "383933091455959041"]
        case .zvcmsUserUseCoupon: ["user_id": 383_933_091_455_959_041]
        case .zvcmsCustomerCoupons: ["customerId": "383933091455959041"]
        case .zvcmsCouponStatus: ["id": "390913445498200065"]
        }
    }

    @Test("a minimal command of every operation, on its own topic and with no topic", arguments: CouponOperation.allCases)
    func everyOperation(operation: CouponOperation) throws {
        let params = Self.minimalParams(operation)
        for topic in [operation.kind, nil] {
            let decoded = try accepted(command(operation, params), topic: topic)
            #expect(decoded == CouponCommand(outRequestNo: "Q-1", operation: operation, merchant: nil, params: params))
        }
    }

    @Test("the full WeChat send command, keeping merchant and every param")
    func fullSend() throws {
        let decoded = try accepted(
            send {
                $0["coupon_type"] = "MEMBER"
                $0["member_card_id"] = "pbLatjvWOibDc5-TBnbUk1pD12o0"
                $0["coupon_code"] = "202007019999"
            }, topic: .issue)
        #expect(decoded.merchant == "1900000001")
        #expect(decoded.provider == .wechat)
        #expect(decoded.string("member_card_id") == "pbLatjvWOibDc5-TBnbUk1pD12o0")
    }

    @Test("out_request_no of exactly 128 characters using every allowed symbol")
    func outRequestNoLimits() throws {
        let key = "Aa0|_*-" + String(repeating: "z", count: 121)
        #expect(try accepted(with(send(), "out_request_no", .string(key))).outRequestNo == key)
    }

    @Test("zvcms ids as given: a 19-digit number stays an exact integer, a string stays a string")
    func zvcmsIDsKeptAsGiven() throws {
        let decoded = try CommandDecoder.decode(
            Array(#"{"out_request_no":"Z1","provider":"zvcms","operation":"coupon.issue","params":{"couponId":"389420520079552512","customerId":383933091455959041,"num":"100","thirdChannel":"小程序"}}"#.utf8),
            topicKind: .issue
        ).get()
        #expect(decoded.params["customerId"] == .integer(383_933_091_455_959_041))
        #expect(decoded.params["couponId"] == .string("389420520079552512"))
        #expect(decoded.params["num"] == .string("100"))
    }

    @Test("limit 1 and 50 and offset 0 on the WeChat list")
    func listBounds() throws {
        for (limit, offset) in [(1, 0), (50, 1000)] {
            _ = try accepted(command(.wechatUserCouponsList, ["openid": "o1", "appid": "wx1", "limit": .integer(Int64(limit)), "offset": .integer(Int64(offset))]))
        }
    }

    @Test("nesting up to the depth limit inside passed-through zvcms params")
    func nestingAtTheLimit() throws {
        // command object = 1, params = 2, so 30 more arrays reach the limit of 32 exactly.
        let nested = String(repeating: "[", count: 30) + String(repeating: "]", count: 30)
        let text = #"{"out_request_no":"Z1","provider":"zvcms","operation":"coupon.status","params":{"id":"1","extra":\#(nested)}}"#
        _ = try CommandDecoder.decode(Array(text.utf8), topicKind: .query).get()
    }

    @Test("a smaller configured size limit is honoured and a message within it passes")
    func configuredSizeLimit() throws {
        let bytes = CanonicalJSON.bytes(of: send())
        _ = try CommandDecoder.decode(bytes, topicKind: .issue, limits: CommandLimits(maxBytes: bytes.count)).get()
        let refused = try rejection(bytes, topic: .issue, limits: CommandLimits(maxBytes: bytes.count - 1))
        #expect(refused.field == nil)
        #expect(refused.reason.contains("limit is \(bytes.count - 1)"))
    }
}

@Suite("CommandDecoder rejects")
struct CommandDecoderRejectionTests {
    @Test("a message over 64 KiB before parsing it, whatever it holds (1 MB value)")
    func oversized() throws {
        let huge = String(repeating: "o", count: 1 << 20)
        let refused = try rejection(send { $0["openid"] = .string(huge) })
        #expect(refused.field == nil)
        #expect(refused.outRequestNo == nil)  // nothing was parsed
        #expect(refused.reason.contains("65536"))
        #expect(refused.code == .invalidCommand)
    }

    @Test(
        "bytes that are not UTF-8",
        arguments: [
            [0xFF], [0x7B, 0x22, 0x61, 0x22, 0x3A, 0x22, 0xC3, 0x28, 0x22, 0x7D],  // {"a":"\xC3("}
            [0xC0, 0xAF],  // overlong "/"
            [0xED, 0xA0, 0x80],  // an encoded surrogate
            [0xF4, 0x90, 0x80, 0x80],  // beyond U+10FFFF
        ] as [[UInt8]])
    func notUTF8(bytes: [UInt8]) throws {
        let refused = try rejection(bytes)
        #expect(refused.reason.contains("not valid UTF-8"))
        #expect(refused.field == nil)
    }

    @Test(
        "text that is not strict JSON",
        arguments: [
            "", "   ", "{", "}", "{\"a\":}", "{\"a\":1,}", "[1,]", "{} {}", "{\"a\" 1}", "{'a':1}", "{a:1}",
            "\u{FEFF}{}", "{\"a\":01}", "{\"a\":NaN}", "{\"a\":1e999}", "{\"a\":-}", "{\"a\":1.}", "{\"a\":.5}",
            "{\"a\":tru}", "{\"a\":\"\\x\"}", "{\"a\":\"\\ud800\"}", "{\"a\":\"\\udc00\"}", "{\"a\":\"\u{1}\"}",
            "{\"a\":\"unterminated}", "{\"a\":\"\\u12\"}", "\u{0}",
        ])
    func notJSON(text: String) throws {
        let refused = try rejection(text)
        #expect(refused.reason.hasPrefix("the message is not JSON"), "\(refused.reason)")
        #expect(refused.field == nil)
    }

    @Test("a member name twice in one object, even when the values agree")
    func duplicateKeys() throws {
        for text in [
            #"{"out_request_no":"A","out_request_no":"B"}"#,
            #"{"out_request_no":"A","provider":"wechat","operation":"stock.get","params":{"stock_id":"1","stock_id":"1"}}"#,
            #"{"out_request_no":"A","out_request_no":"\u0041"}"#,
        ] {
            #expect(try rejection(text).reason.contains("appears twice"))
        }
    }

    @Test("a top level that is not an object", arguments: ["[]", "\"ORD1\"", "42", "null", "true"])
    func notAnObject(text: String) throws {
        #expect(try rejection(text).reason.hasPrefix("the message must be a JSON object"))
    }

    @Test("10 000-deep nesting, at the top and inside params, without recursing into it")
    func deepNesting() throws {
        let deep = String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000)
        #expect(try rejection(deep).reason.contains("deeper than 32"))
        let objects = String(repeating: #"{"a":"#, count: 10_000) + "1" + String(repeating: "}", count: 10_000)
        #expect(try rejection(objects).reason.contains("deeper than 32"))
        let inParams = #"{"out_request_no":"Z1","provider":"zvcms","operation":"coupon.status","params":{"id":"1","x":\#(deep)}}"#
        #expect(try rejection(inParams).reason.contains("deeper than 32"))
        // One level past the limit is enough.
        let justOver = #"{"out_request_no":"Z1","provider":"zvcms","operation":"coupon.status","params":{"id":"1","x":\#(String(repeating: "[", count: 31) + String(repeating: "]", count: 31))}}"#
        #expect(try rejection(justOver).reason.contains("deeper than 32"))
    }

    @Test(
        "an out_request_no that is missing, not a string, or outside [A-Za-z0-9|_*-]{1,128}",
        arguments: [
            nil, .integer(1), .string(""), .string(String(repeating: "A", count: 129)), .string("ORD 1"),
            .string("ORD/1"), .string("ORD\n"), .string("订单1"), .string("ORD%2F1"), .string("a.b"),
        ] as [JSONValue?])
    func badOutRequestNo(value: JSONValue?) throws {
        let refused = try rejection(with(send(), "out_request_no", value))
        #expect(refused.field == "out_request_no")
        #expect(refused.outRequestNo == nil)
    }

    @Test("an unknown top-level field, naming it (additionalProperties: false)")
    func unknownTopLevelField() throws {
        let refused = try rejection(with(send(), "merchnt", "1900000001"))
        #expect(refused.field == "merchnt")
        #expect(refused.reason.contains("unknown top-level field \"merchnt\""))
        #expect(refused.outRequestNo == "ORD20261122-0001")
    }

    @Test("an unknown provider, naming the known ones")
    func unknownProvider() throws {
        let refused = try rejection(with(send(), "provider", "alipay"))
        #expect(refused.field == "provider")
        #expect(refused.reason.contains("wechat, zvcms"))
        #expect(refused.provider == nil)
        #expect(refused.outRequestNo == "ORD20261122-0001")
        #expect(refused.merchant == "1900000001")
    }

    @Test("an unknown operation and an operation of the other provider")
    func unknownOperation() throws {
        let unknown = try rejection(with(send(), "operation", "coupon.delete"))
        #expect(unknown.field == "operation")
        #expect(unknown.reason.contains("unknown operation"))
        #expect(unknown.provider == .wechat)
        #expect(unknown.operation == nil)
        let foreign = try rejection(with(send(), "operation", "coupon.issue"))
        #expect(foreign.reason.contains("is a zvcms operation, not a wechat one"))
    }

    @Test("wrong types of the top-level members")
    func wrongTopLevelTypes() throws {
        #expect(try rejection(with(send(), "provider", 1)).field == "provider")
        #expect(try rejection(with(send(), "operation", ["x"])).field == "operation")
        _ = try accepted(with(send(), "merchant", nil))  // absent is fine…
        #expect(try rejection(with(send(), "merchant", .null)).field == "merchant")  // …null is not
        #expect(try rejection(with(send(), "params", "openid=o1")).field == "params")
        #expect(try rejection(with(send(), "params", nil)).field == "params")
    }

    @Test("an issue operation on the query topic and a query operation on the issue topic")
    func wrongTopic() throws {
        let issueOnQuery = try rejection(send(), topic: .query)
        #expect(issueOnQuery.field == "operation")
        #expect(issueOnQuery.reason.contains("is an issue operation but the message came from the query topic"))
        #expect(issueOnQuery.operation == .wechatProductCouponSend)
        let queryOnIssue = try rejection(command(.zvcmsCouponStatus, ["id": "1"]), topic: .issue)
        #expect(queryOnIssue.reason.contains("is a query operation but the message came from the issue topic"))
    }

    @Test(
        "a missing required param of each operation, naming it",
        arguments: [
            (CouponOperation.wechatProductCouponSend, "openid"), (.wechatProductCouponSend, "appid"),
            (.wechatProductCouponSend, "stock_id"), (.wechatProductCouponSend, "coupon_type"),
            (.wechatUserCouponsList, "openid"), (.wechatUserCouponsList, "appid"),
            (.wechatUserCouponGet, "openid"), (.wechatUserCouponGet, "coupon_code"), (.wechatUserCouponGet, "appid"),
            (.wechatStockGet, "stock_id"),
            (.zvcmsCouponIssue, "couponId"), (.zvcmsCouponIssue, "customerId"),
            (.zvcmsUserUseCoupon, "user_id"),
            (.zvcmsCustomerCoupons, "customerId"),
            (.zvcmsCouponStatus, "id"),
        ])
    func missingRequiredParam(operation: CouponOperation, field: String) throws {
        var params = CommandDecoderAcceptanceTests.minimalParams(operation)
        params[field] = nil
        let refused = try rejection(command(operation, params))
        #expect(refused.field == "params.\(field)")
        #expect(refused.operation == operation)
        #expect(refused.outRequestNo == "Q-1")
    }

    @Test(
        "identifiers with /, %2F, .., CR/LF, NUL, spaces or non-ASCII",
        arguments: ["o/x", "o%2Fx", "..", "../etc", "o\r\nx", "o\u{0}x", "o x", "ｏ1", "", "o?x=1", "o#x"])
    func badIdentifiers(value: String) throws {
        for field in ["openid", "appid", "stock_id", "coupon_code"] {
            let refused = try rejection(send { $0[field] = .string(value) })
            #expect(refused.field == "params.\(field)")
            // The value is echoed with control characters escaped, never raw.
            #expect(!refused.reason.contains("\r") && !refused.reason.contains("\n") && !refused.reason.contains("\u{0}"))
        }
    }

    @Test("over-long identifiers: openid beyond 128, appid and stock_id beyond 64")
    func longIdentifiers() throws {
        _ = try accepted(send { $0["openid"] = .string(String(repeating: "o", count: 128)) })
        #expect(try rejection(send { $0["openid"] = .string(String(repeating: "o", count: 129)) }).field == "params.openid")
        #expect(try rejection(send { $0["appid"] = .string(String(repeating: "w", count: 65)) }).field == "params.appid")
        #expect(try rejection(send { $0["stock_id"] = .string(String(repeating: "1", count: 65)) }).field == "params.stock_id")
    }

    @Test("an identifier that is not a string")
    func identifierType() throws {
        let refused = try rejection(send { $0["stock_id"] = 1212 })
        #expect(refused.field == "params.stock_id")
        #expect(refused.reason == "must be a string, got an integer")
    }

    @Test("coupon_type other than NORMAL or MEMBER, and MEMBER without member_card_id")
    func couponType() throws {
        #expect(try rejection(send { $0["coupon_type"] = "GOLD" }).field == "params.coupon_type")
        #expect(try rejection(send { $0["coupon_type"] = "normal" }).field == "params.coupon_type")
        #expect(try rejection(send { $0["coupon_type"] = "MEMBER" }).field == "params.member_card_id")
    }

    @Test("a merchant outside [A-Za-z0-9_-]{1,64}", arguments: ["", "19/00", "1900 0001", String(repeating: "1", count: 65)])
    func badMerchant(value: String) throws {
        let refused = try rejection(with(send(), "merchant", .string(value)))
        #expect(refused.field == "merchant")
        #expect(refused.merchant == nil)
    }

    @Test(
        "limit outside 1...50, offset below 0, and either not an integer",
        arguments: [("limit", JSONValue.integer(0)), ("limit", 51), ("limit", "20"), ("limit", 2.5), ("offset", -1), ("offset", "0")] as [(String, JSONValue)])
    func listPaging(field: String, value: JSONValue) throws {
        let refused = try rejection(command(.wechatUserCouponsList, ["openid": "o1", "appid": "wx1", field: value]))
        #expect(refused.field == "params.\(field)")
    }

    @Test("a WeChat param the API does not have, and out_request_no repeated in params")
    func wechatParamsAreClosed() throws {
        let unknown = try rejection(send { $0["discount"] = 5 })
        #expect(unknown.field == "params.discount")
        #expect(unknown.reason.contains("allowed: appid, coupon_code, coupon_type, member_card_id, openid, stock_id"))
        #expect(try rejection(send { $0["out_request_no"] = "ORD20261122-0001" }).field == "params.out_request_no")
        #expect(try rejection(command(.wechatStockGet, ["stock_id": "1", "appid": "wx1"])).field == "params.appid")
    }

    @Test(
        "zvcms coupon.issue: bizId in params, num outside 1...100, ids of the wrong type",
        arguments: [
            ("bizId", JSONValue.string("Z1")), ("num", 0), ("num", 101), ("num", "0"), ("num", "007"), ("num", "+5"), ("num", "1.0"),
            ("num", true), ("customerId", 1.5), ("customerId", 1e20), ("customerId", -1), ("customerId", .null),
            ("customerId", ["id": 1]), ("couponId", "95/2"), ("couponId", ""), ("thirdChannel", "a\nb"),
            ("thirdChannel", .string(String(repeating: "渠", count: 65))),
        ] as [(String, JSONValue)])
    func zvcmsIssue(field: String, value: JSONValue) throws {
        var params = CommandDecoderAcceptanceTests.minimalParams(.zvcmsCouponIssue)
        params[field] = value
        #expect(try rejection(command(.zvcmsCouponIssue, params)).field == "params.\(field)")
    }

    @Test("zvcms num accepts 1, 100 and their digit strings")
    func zvcmsNumBounds() throws {
        for num: JSONValue in [1, 100, "1", "100", 2.0] {
            var params = CommandDecoderAcceptanceTests.minimalParams(.zvcmsCouponIssue)
            params["num"] = num
            _ = try accepted(command(.zvcmsCouponIssue, params))
        }
    }

    @Test("zvcms user_use_coupon without user_id or a non-empty user_code, or with trade_marks not objects")
    func userUseCoupon() throws {
        #expect(try rejection(command(.zvcmsUserUseCoupon, ["multi_mark": "s1"])).field == "params.user_id")
        #expect(try rejection(command(.zvcmsUserUseCoupon, ["user_code": ""])).field == "params.user_id")
        _ = try accepted(command(.zvcmsUserUseCoupon, ["user_code": "M1"]))
        _ = try accepted(command(.zvcmsUserUseCoupon, ["user_id": "1", "user_code": ""]))
        #expect(try rejection(command(.zvcmsUserUseCoupon, ["user_id": 1, "trade_marks": "sku"])).field == "params.trade_marks")
        #expect(
            try rejection(command(.zvcmsUserUseCoupon, ["user_id": 1, "trade_marks": [["num": 1], "sku"]])).field
                == "params.trade_marks[1]")
        #expect(try rejection(command(.zvcmsUserUseCoupon, ["user_id": 1, "type_cate": "dine-in"])).field == "params.type_cate")
        #expect(try rejection(command(.zvcmsUserUseCoupon, ["user_id": 1, "discount_price": [1]])).field == "params.discount_price")
    }

    @Test("zvcms customer_coupons with a useStatus zvcms does not define")
    func useStatus() throws {
        for status: JSONValue in [3, "3", "unused", -1, 0.5] {
            #expect(try rejection(command(.zvcmsCustomerCoupons, ["customerId": "1", "useStatus": status])).field == "params.useStatus")
        }
        for status: JSONValue in [0, 7, "6", ""] {
            _ = try accepted(command(.zvcmsCustomerCoupons, ["customerId": "1", "useStatus": status]))
        }
    }

    @Test("never echoes a huge value: quoted values are cut to 64 characters")
    func reasonsStaySmall() throws {
        let long = String(repeating: "x", count: 20_000) + "/"
        let refused = try rejection(send { $0["openid"] = .string(long) })
        #expect(refused.reason.count < 200)
        #expect(refused.reason.contains("\"" + String(repeating: "x", count: 64) + "\"… (20001 bytes)"))
        let longKey = try rejection(send { $0[String(repeating: "k", count: 5_000)] = 1 })
        #expect(longKey.field == "params")  // an untame name never becomes the field path
        #expect(longKey.reason.count < 300)
    }

    @Test("the rejection's result error is INVALID_COMMAND, not retryable, naming the field")
    func resultError() throws {
        let error = try rejection(send { $0["openid"] = "o/x" }).resultError
        #expect(error.code == .invalidCommand)
        #expect(!error.retryable)
        #expect(error.providerCode == nil)
        #expect(error.message.hasPrefix("params.openid: must be 1..128 of [A-Za-z0-9_-], got \"o/x\""))
    }
}

@Suite("CommandDecoder never crashes")
struct CommandDecoderRobustnessTests {
    /// SplitMix64: a fixed seed makes every run test the same inputs.
    struct SeededGenerator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    @Test("on every truncation of a valid command: each strict prefix is rejected")
    func truncations() {
        var params = CommandDecoderAcceptanceTests.minimalParams(.zvcmsCouponIssue)
        params["thirdChannel"] = "小程序\u{1F39F}"
        let bytes = CanonicalJSON.bytes(of: command(.zvcmsCouponIssue, params))
        for end in 0..<bytes.count {
            guard case .failure = CommandDecoder.decode(Array(bytes[..<end]), topicKind: .issue) else {
                Issue.record("prefix of \(end) bytes was accepted")
                continue
            }
        }
        #expect((try? CommandDecoder.decode(bytes, topicKind: .issue).get()) != nil)
    }

    @Test("on 3 000 random mutations of valid commands (bytes flipped, inserted, deleted)")
    func mutations() {
        var random = SeededGenerator(state: 20_261_122)
        let seeds = CouponOperation.allCases.map { CanonicalJSON.bytes(of: command($0, CommandDecoderAcceptanceTests.minimalParams($0))) }
        let interesting: [UInt8] = Array("{}[]\",:\\u0-1e.tfn".utf8) + [0x00, 0x0A, 0xC3, 0xFF, 0xED, 0xF0]
        var accepted = 0
        for _ in 0..<3_000 {
            var bytes = seeds.randomElement(using: &random)!
            for _ in 0..<Int.random(in: 1...4, using: &random) {
                let at = Int.random(in: 0..<bytes.count, using: &random)
                switch Int.random(in: 0..<3, using: &random) {
                case 0: bytes[at] = interesting.randomElement(using: &random)!
                case 1: bytes.insert(interesting.randomElement(using: &random)!, at: at)
                default: if bytes.count > 1 { bytes.remove(at: at) }
                }
            }
            if case .success(let command) = CommandDecoder.decode(bytes, topicKind: nil) {
                accepted += 1
                // Whatever got through must still obey the key rule.
                #expect(command.outRequestNo.utf8.allSatisfy { $0 < 0x80 && $0 != 0x2F })
            }
        }
        // Most mutations break something; this only shows the loop really exercised decoding.
        #expect(accepted < 3_000)
    }

    @Test("on 2 000 random byte strings")
    func randomBytes() {
        var random = SeededGenerator(state: 42)
        for _ in 0..<2_000 {
            let bytes = (0..<Int.random(in: 0...256, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) }
            if case .success = CommandDecoder.decode(bytes, topicKind: nil) { Issue.record("random bytes accepted: \(bytes)") }
        }
    }

    @Test("a message without a readable out_request_no is rejected under its record key, when that key is a well-formed one")
    func recordKeyStandsIn() throws {
        func rejection(_ body: String) -> CommandRejection {
            guard case .failure(let rejection) = CommandDecoder.decode(Array(body.utf8), topicKind: .issue) else {
                Issue.record("accepted: \(body)")
                return CommandRejection(field: nil, reason: "")
            }
            return rejection
        }
        var notJSON = rejection("{not json")
        notJSON.fallBack(toRecordKey: Array("ORD-KEY-1".utf8))
        #expect(notJSON.outRequestNo == "ORD-KEY-1")
        var badNumber = rejection(#"{"out_request_no":"a/b","provider":"zvcms","operation":"coupon.issue","params":{}}"#)
        badNumber.fallBack(toRecordKey: Array("ORD-KEY-2".utf8))
        #expect(badNumber.outRequestNo == "ORD-KEY-2")
        var readable = rejection(#"{"out_request_no":"ORD-BODY","provider":"alipay","operation":"x","params":{}}"#)
        readable.fallBack(toRecordKey: Array("ORD-KEY-3".utf8))
        #expect(readable.outRequestNo == "ORD-BODY", "the message's own out_request_no wins")
        for key: [UInt8]? in [nil, [], Array("a/b".utf8), [0xFF, 0x41], Array(String(repeating: "k", count: 129).utf8)] {
            var unkeyed = rejection("{not json")
            unkeyed.fallBack(toRecordKey: key)
            #expect(unkeyed.outRequestNo == nil, "key \(String(describing: key))")
        }
    }
}
