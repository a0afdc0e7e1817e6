/// A strict RFC 8259 parser for untrusted message bytes, producing a `JSONValue`.
///
/// Commands come from any producer on the topic, so the parser is the boundary and must
/// agree with every other JSON parser about what a message means. Foundation's
/// `JSONDecoder` does not: it accepts trailing commas (`[1,]`) and a byte order mark, and
/// keeps the *first* of two equal keys where most parsers keep the last, so
/// `{"out_request_no":"A","out_request_no":"B"}` would mean different commands to us and to
/// the tools an operator inspects it with. This parser therefore:
/// - rejects duplicate keys, trailing commas, a BOM, leading zeros, lone surrogate escapes,
///   unescaped control characters, and anything after the top-level value;
/// - stops at `maxDepth` nested arrays/objects before descending further, so a 10 000-deep
///   message costs 33 frames, not a stack overflow;
/// - keeps integers that fit `Int64` exact (`.integer`), everything else with a fraction,
///   an exponent or more digits is a finite `.double` (non-finite → rejected).
///
/// The input must already be valid UTF-8 (`CommandDecoder` checks that first): string
/// contents are sliced from it without re-validation.
struct StrictJSONParser {
    /// Why bytes are not acceptable JSON; `offset` is the byte where parsing stopped.
    enum Failure: Error, Equatable {
        case syntax(String, offset: Int)
        case tooDeep(limit: Int, offset: Int)
        case duplicateKey(String, offset: Int)
    }

    private let bytes: [UInt8]
    private let maxDepth: Int
    private let numbersAsText: Bool
    private var index = 0

    private init(bytes: [UInt8], maxDepth: Int, numbersAsText: Bool) {
        self.bytes = bytes
        self.maxDepth = maxDepth
        self.numbersAsText = numbersAsText
    }

    /// Parses exactly one JSON value filling all of `bytes` (surrounding whitespace allowed).
    /// `numbersAsText`: every number becomes a `.string` of its exact text (for answers whose
    /// ids may exceed `Int64`).
    static func parse(_ bytes: [UInt8], maxDepth: Int, numbersAsText: Bool = false) throws(Failure) -> JSONValue {
        var parser = StrictJSONParser(bytes: bytes, maxDepth: maxDepth, numbersAsText: numbersAsText)
        parser.skipWhitespace()
        if parser.index == bytes.count { throw .syntax("the message is empty", offset: 0) }
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { throw .syntax("a byte order mark is not allowed", offset: 0) }
        let value = try parser.parseValue(depth: 0)
        parser.skipWhitespace()
        if parser.index != bytes.count {
            throw .syntax("unexpected \(parser.describeCurrent()) after the JSON value", offset: parser.index)
        }
        return value
    }

    // MARK: - Values

    private mutating func parseValue(depth: Int) throws(Failure) -> JSONValue {
        skipWhitespace()
        guard index < bytes.count else { throw .syntax("unexpected end of input", offset: index) }
        switch bytes[index] {
        case UInt8(ascii: "{"): return try parseObject(depth: depth + 1)
        case UInt8(ascii: "["): return try parseArray(depth: depth + 1)
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"): try expectLiteral("true"); return .bool(true)
        case UInt8(ascii: "f"): try expectLiteral("false"); return .bool(false)
        case UInt8(ascii: "n"): try expectLiteral("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try parseNumber()
        default: throw .syntax("unexpected \(describeCurrent())", offset: index)
        }
    }

    private mutating func parseObject(depth: Int) throws(Failure) -> JSONValue {
        if depth > maxDepth { throw .tooDeep(limit: maxDepth, offset: index) }
        index += 1  // {
        var members: [String: JSONValue] = [:]
        skipWhitespace()
        if consume(UInt8(ascii: "}")) { return .object(members) }
        while true {
            skipWhitespace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else {
                throw .syntax("expected a member name, found \(describeCurrent())", offset: index)
            }
            let keyOffset = index
            let key = try parseString()
            skipWhitespace()
            guard consume(UInt8(ascii: ":")) else {
                throw .syntax("expected ':' after a member name, found \(describeCurrent())", offset: index)
            }
            let value = try parseValue(depth: depth)
            // Swift compares strings by canonical equivalence, so "é" and "e\u{301}" collide
            // here too: both spellings in one object are rejected rather than one dropped.
            if members.updateValue(value, forKey: key) != nil {
                throw .duplicateKey(key, offset: keyOffset)
            }
            skipWhitespace()
            if consume(UInt8(ascii: ",")) { continue }
            if consume(UInt8(ascii: "}")) { return .object(members) }
            throw .syntax("expected ',' or '}' in an object, found \(describeCurrent())", offset: index)
        }
    }

    private mutating func parseArray(depth: Int) throws(Failure) -> JSONValue {
        if depth > maxDepth { throw .tooDeep(limit: maxDepth, offset: index) }
        index += 1  // [
        var elements: [JSONValue] = []
        skipWhitespace()
        if consume(UInt8(ascii: "]")) { return .array(elements) }
        while true {
            elements.append(try parseValue(depth: depth))
            skipWhitespace()
            if consume(UInt8(ascii: ",")) { continue }
            if consume(UInt8(ascii: "]")) { return .array(elements) }
            throw .syntax("expected ',' or ']' in an array, found \(describeCurrent())", offset: index)
        }
    }

    // MARK: - Strings

    private mutating func parseString() throws(Failure) -> String {
        let start = index
        index += 1  // opening quote
        // Most strings have no escape: they become a String straight from the input's bytes.
        var end = index
        while end < bytes.count, bytes[end] != UInt8(ascii: "\""), bytes[end] != UInt8(ascii: "\\"), bytes[end] >= 0x20 {
            end += 1
        }
        if end < bytes.count, bytes[end] == UInt8(ascii: "\"") {
            defer { index = end + 1 }
            return String(decoding: bytes[index..<end], as: UTF8.self)
        }
        var utf8 = Array(bytes[index..<end])
        index = end
        while index < bytes.count {
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "\""):
                index += 1
                return String(decoding: utf8, as: UTF8.self)
            case UInt8(ascii: "\\"):
                try parseEscape(into: &utf8)
            case 0x00..<0x20:
                throw .syntax("unescaped control character 0x\(hex(byte)) in a string", offset: index)
            default:
                // Multi-byte UTF-8 never contains an ASCII byte, so copying byte by byte
                // keeps every sequence intact.
                utf8.append(byte)
                index += 1
            }
        }
        throw .syntax("unterminated string", offset: start)
    }

    private mutating func parseEscape(into utf8: inout [UInt8]) throws(Failure) {
        let escapeOffset = index
        index += 1  // backslash
        guard index < bytes.count else { throw .syntax("unterminated escape", offset: escapeOffset) }
        let kind = bytes[index]
        index += 1
        switch kind {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): utf8.append(kind)
        case UInt8(ascii: "b"): utf8.append(0x08)
        case UInt8(ascii: "f"): utf8.append(0x0C)
        case UInt8(ascii: "n"): utf8.append(0x0A)
        case UInt8(ascii: "r"): utf8.append(0x0D)
        case UInt8(ascii: "t"): utf8.append(0x09)
        case UInt8(ascii: "u"):
            let unit = try parseHex4(escapeOffset: escapeOffset)
            var scalarValue = UInt32(unit)
            switch unit {
            case 0xD800...0xDBFF:
                guard index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u")
                else { throw .syntax("a high surrogate escape must be followed by a low one", offset: escapeOffset) }
                index += 2
                let low = try parseHex4(escapeOffset: escapeOffset)
                guard (0xDC00...0xDFFF).contains(low) else {
                    throw .syntax("a high surrogate escape must be followed by a low one", offset: escapeOffset)
                }
                scalarValue = 0x10000 + ((UInt32(unit) - 0xD800) << 10) + (UInt32(low) - 0xDC00)
            case 0xDC00...0xDFFF:
                throw .syntax("a lone low surrogate escape is not a character", offset: escapeOffset)
            default:
                break
            }
            // Surrogates are handled above, so every remaining value is a scalar.
            guard let scalar = Unicode.Scalar(scalarValue) else {
                throw .syntax("invalid \\u escape", offset: escapeOffset)
            }
            utf8.append(contentsOf: scalar.utf8)
        default:
            throw .syntax("invalid escape '\\\(describe(kind))'", offset: escapeOffset)
        }
    }

    private mutating func parseHex4(escapeOffset: Int) throws(Failure) -> UInt16 {
        guard index + 4 <= bytes.count else { throw .syntax("truncated \\u escape", offset: escapeOffset) }
        var value: UInt16 = 0
        for _ in 0..<4 {
            let byte = bytes[index]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw .syntax("invalid hex digit in a \\u escape", offset: escapeOffset)
            }
            value = value << 4 | UInt16(digit)
            index += 1
        }
        return value
    }

    // MARK: - Numbers and literals

    private mutating func parseNumber() throws(Failure) -> JSONValue {
        let start = index
        _ = consume(UInt8(ascii: "-"))
        if consume(UInt8(ascii: "0")) {
            // A leading zero stands alone: "01" is not a number.
        } else if consumeDigits() == 0 {
            throw .syntax("expected a digit", offset: index)
        }
        var isInteger = true
        if consume(UInt8(ascii: ".")) {
            isInteger = false
            guard consumeDigits() > 0 else { throw .syntax("expected a digit after '.'", offset: index) }
        }
        if consume(UInt8(ascii: "e")) || consume(UInt8(ascii: "E")) {
            isInteger = false
            if !consume(UInt8(ascii: "+")) { _ = consume(UInt8(ascii: "-")) }
            guard consumeDigits() > 0 else { throw .syntax("expected a digit in the exponent", offset: index) }
        }
        let text = String(decoding: bytes[start..<index], as: UTF8.self)
        if numbersAsText { return .string(text) }
        if isInteger, let exact = Int64(text) { return .integer(exact) }
        guard let double = Double(text), double.isFinite else {
            throw .syntax("number \(text.prefix(40)) is out of range", offset: start)
        }
        return .double(double)
    }

    private mutating func consumeDigits() -> Int {
        let start = index
        while index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) { index += 1 }
        return index - start
    }

    private mutating func expectLiteral(_ literal: String) throws(Failure) {
        let start = index
        let expected = literal.utf8
        guard bytes.count - index >= expected.count, bytes[index..<(index + expected.count)].elementsEqual(expected) else {
            throw .syntax("unexpected \(describeCurrent())", offset: start)
        }
        index += expected.count
    }

    // MARK: - Bytes

    private mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x09, 0x0A, 0x0D: index += 1
            default: return
            }
        }
    }

    private mutating func consume(_ byte: UInt8) -> Bool {
        guard index < bytes.count, bytes[index] == byte else { return false }
        index += 1
        return true
    }

    private func describeCurrent() -> String {
        index < bytes.count ? describe(bytes[index]) : "end of input"
    }

    private func describe(_ byte: UInt8) -> String {
        (0x21..<0x7F).contains(byte) ? "'\(Character(Unicode.Scalar(byte)))'" : "byte 0x\(hex(byte))"
    }

    private func hex(_ byte: UInt8) -> String {
        let digits = String(byte, radix: 16, uppercase: true)
        return digits.count == 1 ? "0" + digits : digits
    }
}
