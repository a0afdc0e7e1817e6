/// Why a zvcms account profile could not be loaded. Names the file or variable so an
/// operator knows what to fix; never contains the secret itself.
public enum ZvcmsAccountError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The openKey file could not be read.
    case openKeyFileUnreadable(path: String, reason: String)
    /// The openKey file exists but holds nothing but whitespace.
    case openKeyFileEmpty(path: String)
    /// The environment variable that should hold the openKey is unset or empty.
    case openKeyVariableMissing(name: String)
    /// The base URL is not an absolute http(s) URL.
    case invalidBaseURL(String)
    /// openId or grantCode is empty.
    case missingField(String)

    public var description: String {
        switch self {
        case .openKeyFileUnreadable(let path, let reason): "cannot read zvcms openKey file \(path): \(reason)"
        case .openKeyFileEmpty(let path): "zvcms openKey file \(path) is empty"
        case .openKeyVariableMissing(let name): "environment variable \(name) (zvcms openKey) is unset or empty"
        case .invalidBaseURL(let url): "zvcms base URL \(url) is not an absolute http(s) URL"
        case .missingField(let field): "zvcms account \(field) is empty"
        }
    }
}
