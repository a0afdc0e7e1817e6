import CouponModel
import Testing

@testable import Zvcms

@Suite("Tolerant response decoding")
struct ZvcmsResponseTests {
    @Test("seed 001's answer with string-typed status and code is a success with ids intact")
    func seedStringTyped() throws {
        let body = #"""
            {"status":"true","code":"0","message":"说明","data":[{"id":"","user_id":"383933091455959041",
             "coupon_id":"390913441022877696","coupon":{"id":"952"," number_of_user":""},"couponId":"405537296400027648"}]}
            """#
        let answer = try ZvcmsResponse.decode(Array(body.utf8))
        #expect(answer.isSuccess)
        #expect(answer.data.arrayValue?.first?["user_id"] == "383933091455959041")
        #expect(answer.data.arrayValue?.first?["couponId"] == "405537296400027648")
    }

    @Test("19-digit ids sent as JSON numbers survive exactly, as strings")
    func numericIDs() throws {
        let body = #"{"status":true,"code":0,"data":{"cardId":9183933091455959041,"big":18446744073709551615,"num":2,"amount":12.5}}"#
        let answer = try ZvcmsResponse.decode(Array(body.utf8))
        #expect(answer.data["cardId"] == "9183933091455959041")
        #expect(answer.data["big"] == "18446744073709551615")
        #expect(answer.data["num"] == "2")
        #expect(answer.data["amount"] == "12.5")
    }

    @Test("status accepts true, \"true\", 1 and \"1\"; code accepts 0 and \"0\"")
    func statusForms() throws {
        for status in [#"true"#, #""true""#, "1", #""1""#] {
            for code in ["0", #""0""#] {
                let answer = try ZvcmsResponse.decode(Array(#"{"status":\#(status),"code":\#(code)}"#.utf8))
                #expect(answer.isSuccess, "status \(status) code \(code)")
            }
        }
    }

    @Test("a code with white space around it is read without it: \" 0 \" is a success, \"110004 \" the signature code")
    func codeIsTrimmed() throws {
        let success = try ZvcmsResponse.decode(Array(#"{"status":true,"code":" 0\t"}"#.utf8))
        #expect(success.isSuccess)
        let refused = try ZvcmsResponse.decode(Array(#"{"status":false,"code":"110004 ","message":"签名错误"}"#.utf8))
        #expect(refused.code == ZvcmsError.signatureCheckFailedCode)
        let blank = try ZvcmsResponse.decode(Array(#"{"status":false,"code":"  "}"#.utf8))
        #expect(blank.code == "")
    }

    @Test("status true with a non-zero code is not a success (the seeds' 异常示例)")
    func businessException() throws {
        let answer = try ZvcmsResponse.decode(Array(#"{"status":true,"code":"300001","message":"查询的信息不存在"}"#.utf8))
        #expect(!answer.isSuccess)
        #expect(answer.code == "300001")
    }

    @Test("unknown fields are ignored and traceId is kept")
    func unknownFields() throws {
        let body = #"{"status":false,"code":110004,"message":"sign","traceId":"t-1","extra":{"x":[1,2]},"when":null}"#
        let answer = try ZvcmsResponse.decode(Array(body.utf8))
        #expect(!answer.status)
        #expect(answer.code == "110004")
        #expect(answer.traceID == "t-1")
    }

    @Test("a body that is not a zvcms answer is an undecodable response")
    func undecodable() {
        for body in [#"{"status":true,"code":0,"data":{"cardId":"#, "<html>502</html>", #"{"code":0}"#] {
            #expect(throws: ZvcmsError.self) { try ZvcmsResponse.decode(Array(body.utf8)) }
        }
    }

    @Test("a successful issue answer whose data is not an object is still a success, its data kept under \"data\"")
    func issueSuccessWithoutObjectData() throws {
        for body in [#"{"status":true,"code":0,"message":"ok","data":null}"#, #"{"status":true,"code":0,"message":"ok"}"#,
                     #"{"status":true,"code":0,"message":"ok","data":["C1","C2"]}"#] {
            let answer = try ZvcmsResponse.decode(Array(body.utf8))
            #expect(answer.isSuccess)
            let issued = IssuedCoupons(json: answer.data)
            #expect(issued.fields["data"] == answer.data, "\(body)")
            #expect(issued.cardID == nil)
        }
        let object = try ZvcmsResponse.decode(Array(#"{"status":true,"code":0,"data":{"cardId":"C9","num":1}}"#.utf8))
        #expect(IssuedCoupons(json: object.data).cardID == "C9")
    }
}
