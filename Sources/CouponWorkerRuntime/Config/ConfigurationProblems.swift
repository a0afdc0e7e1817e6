/// Everything wrong with a configuration, one line per problem, never a secret.
///
/// A wrong configuration stops the start with these lines and exit code 78 (EX_CONFIG).
public struct ConfigurationProblems: Error, CustomStringConvertible {
    /// One problem each, without the `config: ` prefix.
    public var lines: [String]

    public init(_ lines: [String]) { self.lines = lines }

    /// `config: <problem>` per line, as printed on standard error.
    public var description: String { lines.map { "config: \($0)" }.joined(separator: "\n") }
}

extension DecodingError {
    /// Where and what, without the value (it may be a secret).
    var shortDescription: String {
        func path(_ context: Context) -> String {
            context.codingPath.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: ".")
        }
        switch self {
        case .typeMismatch(let type, let context): return "\(path(context)): expected \(type)"
        case .valueNotFound(let type, let context): return "\(path(context)): missing \(type)"
        case .keyNotFound(let key, let context): return "\(path(context)).\(key.stringValue): missing"
        case .dataCorrupted(let context): return "\(path(context)): not valid JSON"
        @unknown default: return "not valid"
        }
    }
}
