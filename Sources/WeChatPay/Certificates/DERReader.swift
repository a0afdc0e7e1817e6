/// Reads DER tag-length-value elements, just enough to walk an X.509 certificate.
///
/// Certificates arrive decrypted from WeChat Pay's `/v3/certificates`; the walk only needs
/// single-byte tags and definite lengths, which DER guarantees. Every read is bounds-checked.
struct DERReader {
    struct Element {
        var tag: UInt8
        /// The value bytes.
        var content: ArraySlice<UInt8>
        /// Tag, length and value: the element's whole encoding.
        var encoding: ArraySlice<UInt8>
    }

    enum Failure: Error { case truncated, unsupportedLength, unexpectedTag(expected: UInt8, found: UInt8) }

    private var remaining: ArraySlice<UInt8>

    init(_ bytes: ArraySlice<UInt8>) {
        self.remaining = bytes
    }

    var isAtEnd: Bool { remaining.isEmpty }

    /// The next element, whatever its tag.
    mutating func next() throws(Failure) -> Element {
        let start = remaining.startIndex
        guard remaining.count >= 2 else { throw .truncated }
        let tag = remaining[start]
        let first = remaining[start + 1]
        var cursor = start + 2
        var length = 0
        if first < 0x80 {
            length = Int(first)
        } else {
            let count = Int(first & 0x7F)
            guard (1...4).contains(count) else { throw .unsupportedLength }
            guard remaining.endIndex - cursor >= count else { throw .truncated }
            for _ in 0..<count {
                length = length << 8 | Int(remaining[cursor])
                cursor += 1
            }
        }
        guard remaining.endIndex - cursor >= length else { throw .truncated }
        let end = cursor + length
        let element = Element(tag: tag, content: remaining[cursor..<end], encoding: remaining[start..<end])
        remaining = remaining[end...]
        return element
    }

    /// The next element, which must have `tag`.
    mutating func next(tag: UInt8) throws(Failure) -> Element {
        let element = try next()
        guard element.tag == tag else { throw .unexpectedTag(expected: tag, found: element.tag) }
        return element
    }
}
