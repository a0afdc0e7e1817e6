/// A field of a command's `params` that breaks a rule or cannot be read.
///
/// `field` is the dotted path (`params.openid`, `params.trade_marks[2].num`); `reason` is
/// safe to log and publish (values from the sender are quoted and cut by `QuotedValue`).
/// `CommandDecoder` turns one into a `CommandRejection`; a provider into its own
/// "invalid params" error, which maps to `INVALID_COMMAND`.
public struct FieldViolation: Error, Sendable, Hashable, CustomStringConvertible {
    public var field: String
    public var reason: String

    public init(field: String, reason: String) {
        self.field = field
        self.reason = reason
    }

    /// `field: reason`, the shape of a `CommandRejection`'s message.
    public var description: String { "\(field): \(reason)" }
}

/// Typed, checked access to a command's `params`: the one reader, for the decoder's rules
/// and for the providers that turn validated params into calls.
///
/// Every accessor either returns the value (nil when optional and absent) or throws a
/// `FieldViolation` naming the field's path and the rule. Two families:
///
/// - **Rules** (`allowOnly`, `identifier`, `integer(_:in:required:)`, …), used by
///   `OperationParamRules` when a command is decoded: strict, as the command schemas. A
///   present field of the wrong type is an error even when the field is optional: `null` is
///   not "absent".
/// - **Values** (`string(_:)`, `requiredString(_:)`, `int(_:)`, `objects(_:)`), used by the
///   providers on params that already passed the rules: they read what a provider sends,
///   leniently, because providers mix the forms. Absent, `null` and `""` all read as "not
///   given" (zvcms's own example sends `"user_code": ""` next to a `user_id`); a number
///   reads as its digits (ids are never read through `Double`); a numeric string reads as a
///   count. Anything else (a boolean, an array where a scalar belongs) is a violation.
public struct ParamReader: Sendable {
    public let params: [String: JSONValue]
    /// The path of this object in the command: `params`, or `params.trade_marks[0]` for an
    /// element read through `objects(_:)`.
    public let prefix: String

    public init(_ params: [String: JSONValue], at prefix: String = "params") {
        self.params = params
        self.prefix = prefix
    }

    /// `params.<name>` (or `<prefix>.<name>`).
    public func path(_ name: String) -> String { "\(prefix).\(name)" }

    // MARK: - Values (providers)

    /// The field as the text a provider sends: a string as given, a number as its digits;
    /// nil when absent, `null` or `""`.
    public func string(_ name: String) throws(FieldViolation) -> String? {
        guard let value = params[name] else { return nil }
        switch value {
        case .null: return nil
        case .string(let s): return s.isEmpty ? nil : s
        case .integer(let i): return String(i)
        case .double(let d): return d.description
        default:
            throw FieldViolation(field: path(name), reason: "must be a string or a number, got \(Self.kind(of: value))")
        }
    }

    /// `string(_:)`, which must be given.
    public func requiredString(_ name: String) throws(FieldViolation) -> String {
        guard let text = try string(name) else { throw FieldViolation(field: path(name), reason: "is required") }
        return text
    }

    /// The field as a count: a JSON integer, a number without fraction (`2.0`, which the
    /// command schemas' `integer` admits) or a string of digits; nil when absent, `null` or `""`.
    public func int(_ name: String) throws(FieldViolation) -> Int? {
        guard let value = params[name] else { return nil }
        if let number = value.integerValue { return Int(number) }
        switch value {
        case .null, .string(""): return nil
        case .string(let s): if let number = Int(s) { return number }
        default: break
        }
        throw FieldViolation(field: path(name), reason: "must be an integer, got \(Self.render(value))")
    }

    /// An array of objects, each as a reader whose paths name its index
    /// (`params.trade_marks[2].num`); nil when absent or `null`.
    public func objects(_ name: String) throws(FieldViolation) -> [ParamReader]? {
        switch params[name] {
        case nil, .null?:
            return nil
        case .array(let elements)?:
            var readers: [ParamReader] = []
            for (index, element) in elements.enumerated() {
                guard let object = element.objectValue else {
                    throw FieldViolation(field: "\(path(name))[\(index)]", reason: "must be an object, got \(Self.kind(of: element))")
                }
                readers.append(ParamReader(object, at: "\(path(name))[\(index)]"))
            }
            return readers
        case let value?:
            throw FieldViolation(field: path(name), reason: "must be an array of objects, got \(Self.kind(of: value))")
        }
    }

    // MARK: - Rules (the decoder)

    /// Fails on the first member (in sorted order, so the message is stable) not in `allowed`.
    func allowOnly(_ allowed: Set<String>) throws(FieldViolation) {
        if let unknown = params.keys.filter({ !allowed.contains($0) }).sorted().first {
            // The name itself comes from the sender: only a tame one goes into the path.
            let field = IdentifierSyntax.isIdentifier(unknown, maxLength: 64) ? path(unknown) : prefix
            throw FieldViolation(
                field: field,
                reason: "unknown field \(QuotedValue(unknown)) (allowed: \(allowed.sorted().joined(separator: ", ")))")
        }
    }

    /// Fails when `name` is present at all.
    func forbid(_ name: String, because reason: String) throws(FieldViolation) {
        if params[name] != nil { throw FieldViolation(field: path(name), reason: reason) }
    }

    /// A string of 1–`maxLength` `[A-Za-z0-9_-]`.
    func identifier(_ name: String, maxLength: Int = 64, required: Bool) throws(FieldViolation) -> String? {
        guard let value = try jsonString(name, required: required) else { return nil }
        guard IdentifierSyntax.isIdentifier(value, maxLength: maxLength) else {
            throw FieldViolation(
                field: path(name),
                reason: "must be 1..\(maxLength) of [A-Za-z0-9_-], got \(QuotedValue(value))")
        }
        return value
    }

    /// A string of 1–`maxLength` `[A-Z_]`.
    func upperSnake(_ name: String, maxLength: Int, required: Bool) throws(FieldViolation) -> String? {
        guard let value = try jsonString(name, required: required) else { return nil }
        guard IdentifierSyntax.isUpperSnake(value, maxLength: maxLength) else {
            throw FieldViolation(
                field: path(name), reason: "must be 1..\(maxLength) of [A-Z_], got \(QuotedValue(value))")
        }
        return value
    }

    /// One of the strings in `allowed`.
    func oneOf(_ name: String, _ allowed: [String], required: Bool) throws(FieldViolation) -> String? {
        guard let value = try jsonString(name, required: required) else { return nil }
        guard allowed.contains(value) else {
            throw FieldViolation(
                field: path(name),
                reason: "must be one of \(allowed.joined(separator: ", ")), got \(QuotedValue(value))")
        }
        return value
    }

    /// Free text of at most `maxLength` Unicode scalars (JSON Schema's `maxLength` counts
    /// code points too) without control characters.
    func text(_ name: String, maxLength: Int, required: Bool) throws(FieldViolation) -> String? {
        guard let value = try jsonString(name, required: required) else { return nil }
        guard value.unicodeScalars.count <= maxLength else {
            throw FieldViolation(
                field: path(name), reason: "must be at most \(maxLength) characters, got \(QuotedValue(value))")
        }
        guard !value.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw FieldViolation(
                field: path(name), reason: "must not contain control characters, got \(QuotedValue(value))")
        }
        return value
    }

    /// A JSON integer (or a number with no fraction, as JSON Schema's `integer`) in `range`.
    func integer(_ name: String, in range: ClosedRange<Int64>, required: Bool) throws(FieldViolation) -> Int64? {
        guard let value = try present(name, required: required) else { return nil }
        guard let integer = value.integerValue else {
            throw FieldViolation(field: path(name), reason: "must be an integer, got \(Self.kind(of: value))")
        }
        guard range.contains(integer) else {
            throw FieldViolation(field: path(name), reason: "must be in \(Self.describe(range)), got \(integer)")
        }
        return integer
    }

    /// An integer in `range`, given either as a JSON integer or as a string of its decimal
    /// digits (zvcms documents numbers as strings in its own examples). Kept as given.
    func integerOrDigits(_ name: String, in range: ClosedRange<Int64>, required: Bool) throws(FieldViolation) -> JSONValue? {
        guard let value = try present(name, required: required) else { return nil }
        let integer: Int64?
        switch value {
        case .string(let s):
            // Plain decimal only: no sign, no leading zeros, as the schema's pattern.
            integer = Int64(s).flatMap { String($0) == s ? $0 : nil }
        default:
            integer = value.integerValue
        }
        guard let integer, range.contains(integer) else {
            throw FieldViolation(
                field: path(name),
                reason: "must be an integer in \(Self.describe(range)) (a number or a string of digits), got \(Self.render(value))")
        }
        return value
    }

    /// A provider id given as a string of 1–64 `[A-Za-z0-9_-]` or as a non-negative JSON
    /// integer. Kept exactly as given: a 19-digit id that arrived as a number stays an
    /// `Int64`, never passes through `Double`.
    func providerID(_ name: String, required: Bool) throws(FieldViolation) -> JSONValue? {
        guard let value = try present(name, required: required) else { return nil }
        switch value {
        case .string(let s) where IdentifierSyntax.isIdentifier(s, maxLength: 64):
            return value
        case .integer(let i) where i >= 0:
            return value
        case .double:
            throw FieldViolation(
                field: path(name),
                reason: "must be a string or an integer; a fraction or a number beyond 2^63 is not an id (send large ids as strings)")
        default:
            throw FieldViolation(
                field: path(name),
                reason: "must be 1..64 of [A-Za-z0-9_-] or a non-negative integer, got \(Self.render(value))")
        }
    }

    /// A string or a JSON number (money amounts, codes zvcms takes either way).
    func stringOrNumber(_ name: String, maxLength: Int) throws(FieldViolation) {
        guard let value = params[name] else { return }
        switch value {
        case .integer, .double: return
        case .string: _ = try text(name, maxLength: maxLength, required: false)
        default:
            throw FieldViolation(field: path(name), reason: "must be a string or a number, got \(Self.kind(of: value))")
        }
    }

    /// An array whose elements are all objects, each as a reader (`objects(_:)`); `null`
    /// is not an array.
    func arrayOfObjects(_ name: String, required: Bool) throws(FieldViolation) -> [ParamReader]? {
        guard let value = try present(name, required: required) else { return nil }
        if value == .null {
            throw FieldViolation(field: path(name), reason: "must be an array of objects, got null")
        }
        return try objects(name)
    }

    // MARK: - Building blocks

    private func present(_ name: String, required: Bool) throws(FieldViolation) -> JSONValue? {
        guard let value = params[name] else {
            if required { throw FieldViolation(field: path(name), reason: "is required") }
            return nil
        }
        return value
    }

    private func jsonString(_ name: String, required: Bool) throws(FieldViolation) -> String? {
        guard let value = try present(name, required: required) else { return nil }
        guard let s = value.stringValue else {
            throw FieldViolation(field: path(name), reason: "must be a string, got \(Self.kind(of: value))")
        }
        return s
    }

    /// "a string", "an integer", … for messages about types.
    static func kind(of value: JSONValue) -> String {
        switch value {
        case .null: "null"
        case .bool: "a boolean"
        case .integer: "an integer"
        case .double: "a number"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }

    /// A scalar shown as it was sent (strings quoted and cut), a container by its kind.
    static func render(_ value: JSONValue) -> String {
        switch value {
        case .string(let s): QuotedValue(s).description
        case .integer(let i): String(i)
        case .double(let d): String(d)
        case .bool(let b): String(b)
        default: kind(of: value)
        }
    }

    private static func describe(_ range: ClosedRange<Int64>) -> String {
        range.upperBound == .max ? ">= \(range.lowerBound)" : "\(range.lowerBound)..\(range.upperBound)"
    }
}
