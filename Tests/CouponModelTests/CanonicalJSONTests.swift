import CouponModel
import Foundation
import Testing

@Suite("Canonical JSON")
struct CanonicalJSONTests {
    @Test("object members are sorted by UTF-8 bytes at every level, with no whitespace")
    func keyOrder() {
        let value: JSONValue = [
            "b": 1, "a": ["z": true, "y": nil], "Z": [["d": 1, "c": 2]], "é": "x", "_": false,
        ]
        #expect(CanonicalJSON.string(of: value) == #"{"Z":[{"c":2,"d":1}],"_":false,"a":{"y":null,"z":true},"b":1,"é":"x"}"#)
    }

    @Test("keys sort by code point (UTF-8 order), not by UTF-16 units: U+FF61 comes before U+1F600")
    func codePointOrder() {
        // In UTF-16 the emoji's lead surrogate 0xD83D sorts before 0xFF61; in UTF-8 it does not.
        let value: JSONValue = ["😀": 1, "｡": 2]
        #expect(CanonicalJSON.string(of: value) == #"{"｡":2,"😀":1}"#)
    }

    @Test("non-ASCII text is written as raw UTF-8: é, CJK, emoji, combining marks")
    func unicodeIsRaw() {
        let value: JSONValue = .string("é券🎟️e\u{301}")
        let expected: [UInt8] =
            [0x22, 0xC3, 0xA9, 0xE5, 0x88, 0xB8, 0xF0, 0x9F, 0x8E, 0x9F, 0xEF, 0xB8, 0x8F, 0x65, 0xCC, 0x81, 0x22]
        #expect(CanonicalJSON.bytes(of: value) == expected)
    }

    @Test("no Unicode normalisation: precomposed é and e + U+0301 are different canonical bytes")
    func noNormalisation() {
        let precomposed: JSONValue = ["name": .string("\u{E9}")]
        let decomposed: JSONValue = ["name": .string("e\u{301}")]
        // Swift's String == says these are equal; the canonical form keeps the bytes as sent.
        #expect(precomposed == decomposed)
        #expect(CanonicalJSON.bytes(of: precomposed) != CanonicalJSON.bytes(of: decomposed))
    }

    @Test("only quote, backslash and C0 controls are escaped; slash and DEL are written as is")
    func controlCharacters() {
        let value: JSONValue = .string("\u{0}\u{1}\u{8}\t\n\u{B}\u{C}\r\u{1F}\"\\/\u{7F}")
        #expect(CanonicalJSON.string(of: value) == #""\u0000\u0001\b\t\n\u000b\f\r\u001f\"\\/\#u{7F}""#)
    }

    @Test(
        "numbers: integers exact, integral doubles below 2^53 as integers, others shortest round-trip",
        arguments: [
            (JSONValue.integer(1), "1"),
            (.double(1.0), "1"),
            (.double(-0.0), "0"),
            (.integer(0), "0"),
            (.double(0.1), "0.1"),
            (.double(1.5), "1.5"),
            (.double(-2.5e-7), "-2.5e-07"),
            (.double(1e21), "1e+21"),
            (.double(9_007_199_254_740_991), "9007199254740991"),
            // From 2^53 on, Swift's own form: decimal with ".0" below 1e16, exponent above.
            (.double(9_007_199_254_740_992), "9007199254740992.0"),
            (.double(1e16), "1e+16"),
            (.integer(.max), "9223372036854775807"),
            (.integer(.min), "-9223372036854775808"),
            (.string("1234567890123456789"), #""1234567890123456789""#),
            (.double(.infinity), "null"),
            (.double(.nan), "null"),
        ])
    func numbers(value: JSONValue, expected: String) {
        #expect(CanonicalJSON.string(of: value) == expected)
    }

    @Test("1 and 1.0 canonicalise alike, so they fingerprint alike")
    func integralDoubleEqualsInteger() {
        #expect(CanonicalJSON.bytes(of: ["n": 1]) == CanonicalJSON.bytes(of: ["n": 1.0]))
    }

    @Test("a 19-digit id survives exactly as an integer and as a string")
    func longIDs() {
        let value: JSONValue = ["as_number": .integer(383_933_091_455_959_041), "as_string": "383933091455959041"]
        #expect(CanonicalJSON.string(of: value) == #"{"as_number":383933091455959041,"as_string":"383933091455959041"}"#)
    }

    @Test("nested arrays and objects keep array order and sort only object members")
    func nested() {
        let value: JSONValue = ["list": [3, 1, ["b": [], "a": [:]], "x"], "empty": [:]]
        #expect(CanonicalJSON.string(of: value) == #"{"empty":{},"list":[3,1,{"a":{},"b":[]},"x"]}"#)
    }

    @Test("whitespace and member order of the input do not change the canonical form")
    func inputFormattingIgnored() throws {
        let compact = try JSONDecoder().decode(JSONValue.self, from: Data(#"{"a":1,"b":[true,null]}"#.utf8))
        let spaced = try JSONDecoder().decode(JSONValue.self, from: Data("{ \"b\" : [ true , null ] ,\n \"a\" : 1 }".utf8))
        #expect(CanonicalJSON.bytes(of: compact) == CanonicalJSON.bytes(of: spaced))
    }
}
