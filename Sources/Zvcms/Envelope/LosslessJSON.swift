import CouponModel

/// A JSON value decoded without losing provider ids.
///
/// zvcms sends the same field as a string in one answer and a number in another (the seeds
/// show `"status":"true"`, `"user_id":"383933091455959041"`). Every number is kept as its
/// exact decimal text in a `.string`, decoded as an integer first so 19-digit ids never
/// pass through `Double`; result data therefore has one form whatever zvcms sent.
struct LosslessJSON: Decodable {
    let value: JSONValue

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            value = .null
        } else if let b = try? container.decode(Bool.self) {
            value = .bool(b)
        } else if let s = try? container.decode(String.self) {
            value = .string(s)
        } else if let text = ScalarText.number(in: container) {
            value = .string(text)
        } else if let a = try? container.decode([LosslessJSON].self) {
            value = .array(a.map(\.value))
        } else if let o = try? container.decode([String: LosslessJSON].self) {
            value = .object(o.mapValues(\.value))
        } else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "not a JSON value")
        }
    }
}

/// The text of a JSON scalar, whatever its JSON type.
enum ScalarText {
    /// A number's exact decimal text: integers via `Int64`/`UInt64` (exact), others via `Double`.
    static func number(in container: any SingleValueDecodingContainer) -> String? {
        if let i = try? container.decode(Int64.self) { return String(i) }
        if let u = try? container.decode(UInt64.self) { return String(u) }
        if let d = try? container.decode(Double.self) { return d.description }
        return nil
    }

    /// A string, number or boolean as text.
    static func any(in container: any SingleValueDecodingContainer) -> String? {
        if let s = try? container.decode(String.self) { return s }
        if let b = try? container.decode(Bool.self) { return b ? "true" : "false" }
        return number(in: container)
    }
}
