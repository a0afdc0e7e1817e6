import CouponModel
import Testing

@Suite("Command fingerprint")
struct CommandFingerprintTests {
    static let command = CouponCommand(
        outRequestNo: "ORD20261122-0001", operation: .wechatProductCouponSend, merchant: "1900000001",
        params: ["openid": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o", "appid": "wx233544546545989", "stock_id": "1212", "coupon_type": "NORMAL"])

    @Test("is pinned: stored fingerprints must keep matching after an upgrade")
    func pinned() {
        // SHA-256 of {"merchant":"1900000001","operation":"product_coupon.send","params":{"appid":…},"provider":"wechat"},
        // computed independently with Python's hashlib.
        #expect(
            CommandFingerprint(command: Self.command, merchant: "1900000001").hex
                == "05a6e87b98017acd7c9afb412684d0ffa1143bdd6853aedd5da616a62a577ccc")
    }

    @Test("is stable: the same command in another member order gives the same fingerprint")
    func stable() throws {
        let a = try CommandDecoder.decode(
            Array(#"{"out_request_no":"A1","provider":"zvcms","operation":"coupon.issue","params":{"couponId":"1","customerId":2,"num":1}}"#.utf8),
            topicKind: .issue
        ).get()
        let b = try CommandDecoder.decode(
            Array(#"{ "params" : { "num" : 1.0, "customerId" : 2, "couponId" : "1" }, "operation":"coupon.issue", "provider":"zvcms", "out_request_no":"A1" }"#.utf8),
            topicKind: .issue
        ).get()
        #expect(CommandFingerprint(command: a, merchant: "m") == CommandFingerprint(command: b, merchant: "m"))
    }

    @Test("does not include out_request_no: the idempotency key carries it")
    func outRequestNoNotIncluded() {
        var other = Self.command
        other.outRequestNo = "ORD20261122-0002"
        #expect(CommandFingerprint(command: other, merchant: "1900000001") == CommandFingerprint(command: Self.command, merchant: "1900000001"))
    }

    @Test(
        "changes with any field of the command",
        arguments: [
            "operation", "merchant", "openid", "appid", "stock_id", "coupon_type", "added param", "string vs number",
        ])
    func changesWithAnyField(change: String) {
        let base = CommandFingerprint(command: Self.command, merchant: "1900000001")
        var command = Self.command
        var merchant = "1900000001"
        switch change {
        case "operation": command.operation = .wechatUserCouponsList
        case "merchant": merchant = "1900000002"
        case "openid": command.params["openid"] = "oUpF8uMuAJO_M2pxb1Q9zNjWeS6p"
        case "appid": command.params["appid"] = "wx233544546545980"
        case "stock_id": command.params["stock_id"] = "1213"
        case "coupon_type": command.params["coupon_type"] = "MEMBER"
        case "added param": command.params["coupon_code"] = "202007019999"
        case "string vs number": command.params["stock_id"] = 1212
        default: Issue.record("unknown change \(change)")
        }
        #expect(CommandFingerprint(command: command, merchant: merchant) != base)
    }

    @Test("differs for precomposed and decomposed text: no Unicode normalisation is applied")
    func noNormalisation() {
        var precomposed = Self.command
        precomposed.params["note"] = .string("caf\u{E9}")
        var decomposed = Self.command
        decomposed.params["note"] = .string("cafe\u{301}")
        #expect(CommandFingerprint(command: precomposed, merchant: "m") != CommandFingerprint(command: decomposed, merchant: "m"))
    }

    @Test("of raw message bytes differs for different bytes and matches for the same")
    func rawMessage() {
        #expect(CommandFingerprint(messageBytes: Array("x".utf8)) == CommandFingerprint(messageBytes: Array("x".utf8)))
        #expect(CommandFingerprint(messageBytes: Array("x".utf8)) != CommandFingerprint(messageBytes: Array("y".utf8)))
        #expect(CommandFingerprint(messageBytes: []).hex == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    }
}
