import Foundation

/// One zvcms credential profile: who we are (openId, grantCode), the secret we sign with,
/// and where the platform lives. How fast it may be called is the worker's limiter per
/// account (`rate_per_second`).
///
/// Several accounts can be configured side by side (a command's `merchant` picks one by
/// openId). `description` redacts the openKey.
public struct ZvcmsAccount: Sendable, CustomStringConvertible {
    public var openID: String
    public var grantCode: String
    public var openKey: OpenKey
    /// `https://openapi.qmai.cn` in production; the sandbox's loopback URL in tests.
    public var baseURL: String
    public var endpoints: ZvcmsEndpoints

    public init(
        openID: String, grantCode: String, openKey: OpenKey, baseURL: String,
        endpoints: ZvcmsEndpoints = ZvcmsEndpoints()
    ) {
        self.openID = openID
        self.grantCode = grantCode
        self.openKey = openKey
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.endpoints = endpoints
    }

    /// An account whose openKey is read from `openKeyFile` (whitespace around it ignored).
    public static func load(
        openID: String, grantCode: String, openKeyFile: String, baseURL: String,
        endpoints: ZvcmsEndpoints = ZvcmsEndpoints()
    ) throws(ZvcmsAccountError) -> ZvcmsAccount {
        let text: String
        do {
            text = try String(contentsOfFile: openKeyFile, encoding: .utf8)
        } catch {
            throw .openKeyFileUnreadable(path: openKeyFile, reason: Self.reason(error))
        }
        let key = OpenKey(text)
        guard !key.isEmpty else { throw .openKeyFileEmpty(path: openKeyFile) }
        return try validated(openID: openID, grantCode: grantCode, openKey: key, baseURL: baseURL, endpoints)
    }

    /// An account whose openKey is the value of environment variable `openKeyVariable`.
    public static func load(
        openID: String, grantCode: String, openKeyVariable: String, baseURL: String,
        environment: [String: String] = ProcessInfo.processInfo.environment,
        endpoints: ZvcmsEndpoints = ZvcmsEndpoints()
    ) throws(ZvcmsAccountError) -> ZvcmsAccount {
        let key = OpenKey(environment[openKeyVariable] ?? "")
        guard !key.isEmpty else { throw .openKeyVariableMissing(name: openKeyVariable) }
        return try validated(openID: openID, grantCode: grantCode, openKey: key, baseURL: baseURL, endpoints)
    }

    private static func validated(
        openID: String, grantCode: String, openKey: OpenKey, baseURL: String,
        _ endpoints: ZvcmsEndpoints
    ) throws(ZvcmsAccountError) -> ZvcmsAccount {
        guard !openID.isEmpty else { throw .missingField("openId") }
        guard !grantCode.isEmpty else { throw .missingField("grantCode") }
        guard let url = URL(string: baseURL), let scheme = url.scheme?.lowercased(),
            scheme == "http" || scheme == "https", url.host != nil
        else { throw .invalidBaseURL(baseURL) }
        return ZvcmsAccount(
            openID: openID, grantCode: grantCode, openKey: openKey, baseURL: baseURL,
            endpoints: endpoints)
    }

    private static func reason(_ error: any Error) -> String {
        let ns = error as NSError
        if let underlying = ns.userInfo[NSUnderlyingErrorKey] as? NSError {
            return underlying.localizedDescription
        }
        return ns.localizedDescription
    }

    public var description: String {
        "ZvcmsAccount(openId: \(openID), grantCode: \(grantCode), openKey: redacted, baseURL: \(baseURL))"
    }
}
