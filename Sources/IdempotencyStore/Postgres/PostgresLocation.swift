import Foundation

/// Where a PostgreSQL store lives, parsed from a `postgres://` / `postgresql://` URL:
/// `postgres://user[:password]@host[:port][/database][?sslmode=disable|prefer|require]`.
///
/// Defaults follow libpq: user `postgres`, port 5432, database = user, `sslmode=prefer`.
/// Unlike libpq, TLS certificates are always verified when TLS is used.
/// `description` redacts the password, so a location can be logged and put in errors.
struct PostgresLocation: Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    enum TLSMode: String, Sendable {
        case disable, prefer, require
    }

    var host: String
    var port: Int
    var username: String
    var password: String?
    var database: String
    var tlsMode: TLSMode

    init(url: String) throws(StoreError) {
        guard let components = URLComponents(string: url),
            let scheme = components.scheme?.lowercased(), scheme == "postgres" || scheme == "postgresql"
        else {
            throw .invalidInput("not a postgres:// URL: \(Self.redacted(url))")
        }
        guard let host = components.host, !host.isEmpty else {
            throw .invalidInput("no host in \(Self.redacted(url))")
        }
        self.host = host
        self.port = components.port ?? 5432
        self.username = components.user.flatMap { $0.isEmpty ? nil : $0 } ?? "postgres"
        self.password = components.password
        let path = components.path.hasPrefix("/") ? String(components.path.dropFirst()) : components.path
        self.database = path.isEmpty ? username : path
        let sslmode = components.queryItems?.first { $0.name == "sslmode" }?.value ?? "prefer"
        guard let mode = TLSMode(rawValue: sslmode) else {
            throw .invalidInput("unsupported sslmode \(sslmode) (disable, prefer or require)")
        }
        self.tlsMode = mode
    }

    var description: String {
        let credentials = password == nil ? username : "\(username):***"
        return "postgres://\(credentials)@\(host):\(port)/\(database)"
    }

    var debugDescription: String { description }

    /// `text` with this location's password (raw and percent-encoded) replaced by `***`:
    /// a last line of defence for messages built from driver errors.
    func redacting(_ text: String) -> String {
        guard let password, !password.isEmpty else { return text }
        var result = text.replacingOccurrences(of: password, with: "***")
        if let encoded = password.addingPercentEncoding(withAllowedCharacters: .urlPasswordAllowed), encoded != password {
            result = result.replacingOccurrences(of: encoded, with: "***")
        }
        return result
    }

    /// A URL that may not parse, with anything between `://` and `@` reduced to `***`.
    static func redacted(_ url: String) -> String {
        guard let schemeEnd = url.range(of: "://"), let at = url.range(of: "@", options: .backwards),
            schemeEnd.upperBound <= at.lowerBound
        else { return url }
        return url.replacingCharacters(in: schemeEnd.upperBound..<at.lowerBound, with: "***")
    }
}
