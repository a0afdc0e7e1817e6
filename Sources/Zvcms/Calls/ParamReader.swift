import CouponModel

/// Reads command params leniently: a field may arrive as a string or as a number, the way
/// zvcms itself mixes them. Ids are always read as text, never via `Double`.
///
/// Absent, `null` and `""` all read as "not given": zvcms's own example sends
/// `"user_code": ""` next to a `user_id`.
struct ParamReader {
    let params: [String: JSONValue]
    /// Prefix of the names in error messages (`trade_marks[0].`), empty at the top level.
    var path: String = ""

    /// The field as text; nil when absent, null or an empty string.
    func text(_ name: String) throws(ZvcmsError) -> String? {
        guard let value = params[name] else { return nil }
        switch value {
        case .null: return nil
        case .string(let s): return s.isEmpty ? nil : s
        case .integer(let i): return String(i)
        case .double(let d): return d.description
        default: throw .invalidParams("\(path)\(name) must be a string or a number")
        }
    }

    func requiredText(_ name: String) throws(ZvcmsError) -> String {
        guard let text = try text(name) else { throw .invalidParams("\(path)\(name) is required") }
        return text
    }

    /// The field as an integer: a JSON integer, a number without fraction (`2.0`, which the
    /// command schemas' `integer` admits) or a numeric string.
    func integer(_ name: String) throws(ZvcmsError) -> Int? {
        if let number = params[name]?.integerValue { return Int(number) }
        guard let text = try text(name) else { return nil }
        guard let value = Int(text) else { throw .invalidParams("\(path)\(name) must be an integer, got \(text)") }
        return value
    }
}
