import CouponModel

/// Reads command params leniently: a field may arrive as a string or as a number, the way
/// zvcms itself mixes them. Ids are always read as text, never via `Double`.
struct ParamReader {
    let params: [String: JSONValue]

    /// The field as text; nil when absent, null or an empty string.
    func text(_ name: String) throws(ZvcmsError) -> String? {
        guard let value = params[name] else { return nil }
        switch value {
        case .null: return nil
        case .string(let s): return s.isEmpty ? nil : s
        case .integer(let i): return String(i)
        case .double(let d): return d.description
        default: throw .invalidParams("\(name) must be a string or a number")
        }
    }

    func requiredText(_ name: String) throws(ZvcmsError) -> String {
        guard let text = try text(name) else { throw .invalidParams("\(name) is required") }
        return text
    }

    /// The field as an integer (a number or a numeric string).
    func integer(_ name: String) throws(ZvcmsError) -> Int? {
        guard let text = try text(name) else { return nil }
        guard let value = Int(text) else { throw .invalidParams("\(name) must be an integer, got \(text)") }
        return value
    }
}
