import CouponModel
import Testing

@Suite("Strict JSON strings")
struct StrictJSONStringTests {
    private func string(_ json: String) throws -> String? {
        guard case .string(let value) = try StrictJSON.parse(Array(json.utf8)) else { return nil }
        return value
    }

    @Test("a string without escapes is read as its bytes, multi-byte UTF-8 intact")
    func plain() throws {
        #expect(try string(#""ORD-0001 券🎟️""#) == "ORD-0001 券🎟️")
        #expect(try string(#""""#) == "")
    }

    @Test("escapes anywhere in a string: the text before, between and after them is kept")
    func escapes() throws {
        #expect(try string(#""a\"b\\c\/d\n""#) == "a\"b\\c/d\n")
        #expect(try string(#""\u0041BC\u00e9 \ud83c\udf9f end""#) == "ABCé 🎟 end")
        #expect(try string(#""long plain prefix before an escape\tand after""#) == "long plain prefix before an escape\tand after")
    }

    @Test("a raw control character or an unterminated string is refused, with where")
    func refusals() {
        #expect(throws: StrictJSON.SyntaxError.self) { try string("\"tab\there\"") }
        #expect(throws: StrictJSON.SyntaxError.self) { try string(#""no end"#) }
        #expect(throws: StrictJSON.SyntaxError.self) { try string(#""escaped then no end\n"#) }
    }
}
