/// Parsing JSON bytes into a `JSONValue` with the same strict rules commands are held to
/// (`StrictJSONParser`): valid UTF-8, RFC 8259, no duplicate keys, bounded depth.
///
/// For JSON that this project both writes and reads (the sandboxes' request bodies, stored
/// results): one parser, and one that costs a fraction of `JSONDecoder` on the hot path.
public enum StrictJSON {
    /// Why bytes were not accepted, with the byte offset where reading stopped.
    public struct SyntaxError: Error, Sendable, Hashable, CustomStringConvertible {
        public var reason: String
        public var offset: Int

        public var description: String { "\(reason) at byte \(offset)" }
    }

    /// The value `bytes` hold, or why they hold none. `numbersAsText`: every number is kept as
    /// a `.string` of its exact text, so ids beyond `Int64` (or sent as numbers one day and as
    /// strings the next) have one form.
    public static func parse(_ bytes: [UInt8], maxDepth: Int = 64, numbersAsText: Bool = false) throws(SyntaxError) -> JSONValue {
        if let offset = CommandDecoder.firstInvalidUTF8Offset(bytes) {
            throw SyntaxError(reason: "not valid UTF-8", offset: offset)
        }
        do {
            return try StrictJSONParser.parse(bytes, maxDepth: maxDepth, numbersAsText: numbersAsText)
        } catch {
            switch error {
            case .syntax(let what, let offset): throw SyntaxError(reason: what, offset: offset)
            case .tooDeep(let limit, let offset): throw SyntaxError(reason: "nested deeper than \(limit) levels", offset: offset)
            case .duplicateKey(let key, let offset): throw SyntaxError(reason: "member \(QuotedValue(key)) appears twice", offset: offset)
            }
        }
    }
}
