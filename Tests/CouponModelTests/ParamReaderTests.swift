import CouponModel
import Testing

/// The value accessors providers read validated params with; the rules are covered through
/// `CommandDecoder` in CommandDecoderTests.
@Suite("ParamReader values")
struct ParamReaderTests {
    @Test("absent, null and an empty string all read as not given")
    func notGiven() throws {
        let reader = ParamReader(["null": nil, "empty": ""])
        for name in ["absent", "null", "empty"] {
            #expect(try reader.string(name) == nil)
            #expect(try reader.int(name) == nil)
        }
        #expect(throws: FieldViolation(field: "params.empty", reason: "is required")) { try reader.requiredString("empty") }
    }

    @Test("a number reads as its digits; a 19-digit id is never rounded through Double")
    func numbersAsText() throws {
        let reader = ParamReader(["id": .integer(9_223_372_036_854_775_807), "price": 12.5, "code": "C1"])
        #expect(try reader.requiredString("id") == "9223372036854775807")
        #expect(try reader.string("price") == "12.5")
        #expect(try reader.string("code") == "C1")
    }

    @Test("a count is a JSON integer, a number without fraction or a string of digits")
    func counts() throws {
        let reader = ParamReader(["a": 3, "b": 2.0, "c": "12", "d": "twelve", "e": 2.5])
        #expect(try reader.int("a") == 3)
        #expect(try reader.int("b") == 2)
        #expect(try reader.int("c") == 12)
        #expect(throws: FieldViolation(field: "params.d", reason: "must be an integer, got \"twelve\"")) { try reader.int("d") }
        #expect(throws: FieldViolation(field: "params.e", reason: "must be an integer, got 2.5")) { try reader.int("e") }
    }

    @Test("a boolean, an array or an object where a scalar belongs is a violation naming the field")
    func wrongKinds() throws {
        let reader = ParamReader(["openid": true, "appid": [1], "stock_id": ["a": 1]])
        #expect(throws: FieldViolation(field: "params.openid", reason: "must be a string or a number, got a boolean")) {
            try reader.requiredString("openid")
        }
        #expect(throws: FieldViolation(field: "params.appid", reason: "must be a string or a number, got an array")) {
            try reader.string("appid")
        }
        #expect(throws: FieldViolation(field: "params.stock_id", reason: "must be an integer, got an object")) {
            try reader.int("stock_id")
        }
        #expect(throws: FieldViolation(field: "params.openid", reason: "must be an integer, got true")) { try reader.int("openid") }
    }

    @Test("objects in an array are readers whose violations name the element's index")
    func nestedPaths() throws {
        let reader = ParamReader(["trade_marks": [["num": "2"], ["num": "x"]], "bad": [["num": 1], "sku"], "none": nil])
        let lines = try #require(try reader.objects("trade_marks"))
        #expect(try lines[0].int("num") == 2)
        #expect(throws: FieldViolation(field: "params.trade_marks[1].num", reason: "must be an integer, got \"x\"")) {
            try lines[1].int("num")
        }
        #expect(throws: FieldViolation(field: "params.bad[1]", reason: "must be an object, got a string")) {
            try reader.objects("bad")
        }
        #expect(try reader.objects("none") == nil)
        #expect(try reader.objects("absent") == nil)
    }

    @Test("a violation reads as field: reason, the shape of a rejection's message")
    func description() {
        #expect(FieldViolation(field: "params.openid", reason: "is required").description == "params.openid: is required")
    }
}

@Suite("CommandDecoder: an order line's violation names its index and field")
struct TradeMarkPathTests {
    @Test("a bad num in the second order line is params.trade_marks[1].num")
    func nestedField() throws {
        let message: JSONValue = [
            "out_request_no": "ORD-1", "provider": "zvcms", "operation": "user_use_coupon",
            "params": ["user_id": "1", "trade_marks": [["num": 1], ["num": "many"]]],
        ]
        guard case .failure(let rejection) = CommandDecoder.decode(CanonicalJSON.bytes(of: message), topicKind: nil)
        else {
            Issue.record("accepted")
            return
        }
        #expect(rejection.field == "params.trade_marks[1].num")
    }
}
