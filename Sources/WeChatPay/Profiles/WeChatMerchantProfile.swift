import Foundation

/// Everything needed to call WeChat Pay as one merchant (`mchid`).
///
/// Holds secrets (the API private key and the APIv3 key) in types that redact themselves;
/// the profile's own description shows only public identifiers.
public struct WeChatMerchantProfile: Sendable, CustomStringConvertible {
    /// Default primary host.
    public static let primaryBaseURL = "https://api.mch.weixin.qq.com"
    /// Default backup host (retried for failures where the request never left).
    public static let backupBaseURL = "https://api2.mch.weixin.qq.com"

    public var mchid: String
    /// Serial of the merchant API certificate (`serial_no` in Authorization).
    public var certificateSerial: String
    public var privateKey: MerchantPrivateKey
    public var apiV3Key: APIv3Key
    public var trustMode: WeChatTrustMode
    /// Scheme, host and port, no trailing slash (the sandbox: `http://127.0.0.1:<port>`).
    public var baseURL: String
    public var backupBaseURL: String?

    public init(
        mchid: String, certificateSerial: String, privateKey: MerchantPrivateKey, apiV3Key: APIv3Key,
        trustMode: WeChatTrustMode, baseURL: String = Self.primaryBaseURL, backupBaseURL: String? = nil
    ) {
        self.mchid = mchid
        self.certificateSerial = certificateSerial
        self.privateKey = privateKey
        self.apiV3Key = apiV3Key
        self.trustMode = trustMode
        self.baseURL = Self.trimmed(baseURL)
        self.backupBaseURL = backupBaseURL.map(Self.trimmed)
    }

    /// Loads a profile from key files.
    ///
    /// - `privateKeyFile`: `apiclient_key.pem`; `apiV3KeyFile`: the 32-character APIv3 key.
    /// - `publicKeyFile` + `publicKeyID`: the WeChat Pay public key; with neither, platform
    ///   certificates are trusted; with both, the public key alone, or both kinds routed by
    ///   serial when `mixedMode` is true (migration).
    /// Errors name the file at fault, never its content.
    public static func load(
        mchid: String, certificateSerial: String, privateKeyFile: String, apiV3KeyFile: String,
        publicKeyFile: String? = nil, publicKeyID: String? = nil, baseURL: String = primaryBaseURL,
        backupBaseURL: String? = nil, mixedMode: Bool = false
    ) throws(WeChatPayConfigurationError) -> WeChatMerchantProfile {
        let privateKeyPEM = try readFile(privateKeyFile)
        let privateKey: MerchantPrivateKey
        do {
            privateKey = try MerchantPrivateKey(pemRepresentation: privateKeyPEM)
        } catch {
            throw .invalidPrivateKey(source: privateKeyFile)
        }
        let apiV3Key: APIv3Key
        do throws(WeChatPayConfigurationError) {
            apiV3Key = try APIv3Key(try readFile(apiV3KeyFile))
        } catch .invalidAPIv3Key(_, let count) {
            throw .invalidAPIv3Key(source: apiV3KeyFile, byteCount: count)
        } catch {
            throw error
        }
        let trust: WeChatTrustMode
        switch (publicKeyFile, publicKeyID) {
        case (nil, nil):
            trust = .platformCertificates
        case (let file?, let id?):
            let key = try WeChatPayPublicKey(id: id, pem: try readFile(file), source: file)
            trust = mixedMode ? .mixed(key) : .publicKey(key)
        default:
            throw .incompletePublicKey
        }
        for url in [baseURL] + (backupBaseURL.map { [$0] } ?? []) {
            guard url.hasPrefix("http://") || url.hasPrefix("https://") else { throw .invalidBaseURL(url) }
        }
        return WeChatMerchantProfile(
            mchid: mchid, certificateSerial: certificateSerial, privateKey: privateKey, apiV3Key: apiV3Key,
            trustMode: trust, baseURL: baseURL, backupBaseURL: backupBaseURL)
    }

    public var description: String {
        "WeChatMerchantProfile(mchid: \(mchid), certificateSerial: \(certificateSerial), trust: \(trustMode.name), "
            + "baseURL: \(baseURL), backupBaseURL: \(backupBaseURL ?? "none"), keys: <redacted>)"
    }

    private static func readFile(_ path: String) throws(WeChatPayConfigurationError) -> String {
        do {
            let data = try Data(contentsOf: URL(fileURLWithPath: path))
            return String(decoding: data, as: UTF8.self)
        } catch let error as CocoaError {
            throw .unreadableFile(path: path, reason: error.code == .fileReadNoSuchFile ? "no such file" : "not readable")
        } catch {
            throw .unreadableFile(path: path, reason: "not readable")
        }
    }

    private static func trimmed(_ url: String) -> String {
        url.hasSuffix("/") ? String(url.dropLast()) : url
    }
}
