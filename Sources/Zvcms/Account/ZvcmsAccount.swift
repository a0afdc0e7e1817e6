import Foundation

/// One zvcms credential profile: who we are (openId, grantCode), the secret we sign with,
/// where the platform lives, and how fast we may call it.
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
    /// Client-side limit per endpoint for this account (the platform allows 10 requests/s).
    public var rateLimit: ZvcmsRateLimit

    public init(
        openID: String, grantCode: String, openKey: OpenKey, baseURL: String,
        endpoints: ZvcmsEndpoints = ZvcmsEndpoints(), rateLimit: ZvcmsRateLimit = .default
    ) {
        self.openID = openID
        self.grantCode = grantCode
        self.openKey = openKey
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.endpoints = endpoints
        self.rateLimit = rateLimit
    }

    /// An account whose openKey is read from `openKeyFile` (whitespace around it ignored).
    public static func load(
        openID: String, grantCode: String, openKeyFile: String, baseURL: String,
        endpoints: ZvcmsEndpoints = ZvcmsEndpoints(), rateLimit: ZvcmsRateLimit = .default
    ) throws(ZvcmsAccountError) -> ZvcmsAccount {
        let text: String
        do {
            text = try String(contentsOfFile: openKeyFile, encoding: .utf8)
        } catch {
            throw .openKeyFileUnreadable(path: openKeyFile, reason: Self.reason(error))
        }
        let key = OpenKey(text)
        guard !key.isEmpty else { throw .openKeyFileEmpty(path: openKeyFile) }
        return try validated(openID: openID, grantCode: grantCode, openKey: key, baseURL: baseURL, endpoints, rateLimit)
    }

    /// An account whose openKey is the value of environment variable `openKeyVariable`.
    public static func load(
        openID: String, grantCode: String, openKeyVariable: String, baseURL: String,
        environment: [String: String] = ProcessInfo.processInfo.environment,
        endpoints: ZvcmsEndpoints = ZvcmsEndpoints(), rateLimit: ZvcmsRateLimit = .default
    ) throws(ZvcmsAccountError) -> ZvcmsAccount {
        let key = OpenKey(environment[openKeyVariable] ?? "")
        guard !key.isEmpty else { throw .openKeyVariableMissing(name: openKeyVariable) }
        return try validated(openID: openID, grantCode: grantCode, openKey: key, baseURL: baseURL, endpoints, rateLimit)
    }

    private static func validated(
        openID: String, grantCode: String, openKey: OpenKey, baseURL: String,
        _ endpoints: ZvcmsEndpoints, _ rateLimit: ZvcmsRateLimit
    ) throws(ZvcmsAccountError) -> ZvcmsAccount {
        guard !openID.isEmpty else { throw .missingField("openId") }
        guard !grantCode.isEmpty else { throw .missingField("grantCode") }
        guard let url = URL(string: baseURL), let scheme = url.scheme?.lowercased(),
            scheme == "http" || scheme == "https", url.host != nil
        else { throw .invalidBaseURL(baseURL) }
        return ZvcmsAccount(
            openID: openID, grantCode: grantCode, openKey: openKey, baseURL: baseURL,
            endpoints: endpoints, rateLimit: rateLimit)
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
