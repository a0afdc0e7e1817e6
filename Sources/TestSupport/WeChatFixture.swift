import CouponSandbox
import Foundation
import WeChatPay

/// A running WeChat Pay sandbox and a client for one merchant, with fresh keys.
///
/// Use `WeChatFixture.with { fixture in … }` so the sandbox stops whatever the test does.
/// The sandbox knows one stock (`stockID`, created by `mchid`).
public struct WeChatFixture: Sendable {
    /// Which keys the sandbox signs with and the client trusts.
    public enum Trust: Sendable, Hashable {
        case platformCertificates
        case publicKey
        case mixed
    }

    public static let mchid = "1900000001"
    public static let appid = "wx1234567890abcdef"
    public static let stockID = "1212000001"

    public let sandbox: WeChatPaySandbox
    public let credentials: WeChatSandboxMerchantCredentials
    /// The WeChat Pay public key the sandbox signs with (public-key and mixed modes).
    public let sandboxPublicKey: WeChatSandboxPublicKey?
    public let trust: Trust
    public let port: Int
    /// `http://127.0.0.1:<port>`.
    public let baseURL: String
    /// The merchant profile pointing at the sandbox.
    public let profile: WeChatMerchantProfile
    /// A client over `HTTPClient.shared` with `clientConfiguration`.
    public let client: WeChatPayClient

    /// Starts a sandbox with fresh merchant and platform keys and builds a matching client.
    public static func start(
        trust: Trust = .platformCertificates, forgetDuplicates: Bool = false,
        paging: WeChatSandboxConfiguration.Paging = .pageIndex,
        clientConfiguration: WeChatPayClient.Configuration = WeChatPayClient.Configuration(timeout: .seconds(5)),
        backupBaseURL: String? = nil
    ) async throws -> WeChatFixture {
        let credentials = try WeChatSandboxMerchantCredentials.generate(mchid: mchid)
        let publicKey: WeChatSandboxPublicKey? = trust == .platformCertificates ? nil : try WeChatSandboxPublicKey.generate()
        let sandboxTrust: WeChatSandboxConfiguration.TrustMode =
            switch (trust, publicKey) {
            case (.publicKey, let key?): .publicKey(key)
            case (.mixed, let key?): .mixed(key)
            default: .platformCertificates
            }
        let platformKeys = trust == .publicKey ? [] : [try WeChatPlatformKey.generate()]
        let sandbox = WeChatPaySandbox(
            configuration: WeChatSandboxConfiguration(
                merchants: [mchid: credentials.merchant], platformKeys: platformKeys, trustMode: sandboxTrust,
                forgetDuplicates: forgetDuplicates, paging: paging))
        sandbox.addStock(WeChatSandboxStock(stockID: stockID, creatorMerchant: mchid))
        let port = try await sandbox.start()
        let baseURL = "http://127.0.0.1:\(port)"
        let profile = try makeProfile(
            credentials: credentials, publicKey: publicKey, trust: trust, baseURL: baseURL, backupBaseURL: backupBaseURL)
        return WeChatFixture(
            sandbox: sandbox, credentials: credentials, sandboxPublicKey: publicKey, trust: trust, port: port,
            baseURL: baseURL, profile: profile, client: WeChatPayClient(profile: profile, configuration: clientConfiguration))
    }

    /// Runs `body` with a started fixture and stops the sandbox afterwards, even on error.
    public static func with<T: Sendable>(
        trust: Trust = .platformCertificates, forgetDuplicates: Bool = false,
        paging: WeChatSandboxConfiguration.Paging = .pageIndex,
        clientConfiguration: WeChatPayClient.Configuration = WeChatPayClient.Configuration(timeout: .seconds(5)),
        _ body: (WeChatFixture) async throws -> T
    ) async throws -> T {
        let fixture = try await start(
            trust: trust, forgetDuplicates: forgetDuplicates, paging: paging, clientConfiguration: clientConfiguration)
        do {
            let result = try await body(fixture)
            await fixture.stop()
            return result
        } catch {
            await fixture.stop()
            throw error
        }
    }

    public func stop() async { await sandbox.stop() }

    /// Another client for the same merchant (other timeouts, base URLs, trust).
    public func makeClient(
        configuration: WeChatPayClient.Configuration = WeChatPayClient.Configuration(timeout: .seconds(5)),
        baseURL: String? = nil, backupBaseURL: String? = nil
    ) throws -> WeChatPayClient {
        let profile = try Self.makeProfile(
            credentials: credentials, publicKey: sandboxPublicKey, trust: trust, baseURL: baseURL ?? self.baseURL,
            backupBaseURL: backupBaseURL)
        return WeChatPayClient(profile: profile, configuration: configuration)
    }

    /// Paths of the key files written by `writeKeyFiles(to:)`.
    public struct KeyFiles: Sendable {
        public var privateKey: String
        public var apiV3Key: String
        /// `pub_key.pem`, when the sandbox has a WeChat Pay public key.
        public var publicKey: String?
        public var publicKeyID: String?
    }

    /// Writes the merchant's key files as a merchant would keep them (for profile loading
    /// and for other SDKs), into `directory`.
    public func writeKeyFiles(to directory: URL) throws -> KeyFiles {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let privateKey = directory.appendingPathComponent("apiclient_key.pem")
        let apiV3Key = directory.appendingPathComponent("apiv3_key.txt")
        try credentials.privateKeyPEM.write(to: privateKey, atomically: true, encoding: .utf8)
        try (credentials.apiV3Key + "\n").write(to: apiV3Key, atomically: true, encoding: .utf8)
        var files = KeyFiles(privateKey: privateKey.path, apiV3Key: apiV3Key.path)
        if let sandboxPublicKey {
            let publicKey = directory.appendingPathComponent("pub_key.pem")
            try sandboxPublicKey.pemRepresentation.write(to: publicKey, atomically: true, encoding: .utf8)
            files.publicKey = publicKey.path
            files.publicKeyID = sandboxPublicKey.id
        }
        return files
    }

    private static func makeProfile(
        credentials: WeChatSandboxMerchantCredentials, publicKey: WeChatSandboxPublicKey?, trust: Trust, baseURL: String,
        backupBaseURL: String?
    ) throws -> WeChatMerchantProfile {
        let trustMode: WeChatTrustMode
        switch (trust, publicKey) {
        case (.publicKey, let key?):
            trustMode = .publicKey(try WeChatPayPublicKey(id: key.id, pem: key.pemRepresentation))
        case (.mixed, let key?):
            trustMode = .mixed(try WeChatPayPublicKey(id: key.id, pem: key.pemRepresentation))
        default:
            trustMode = .platformCertificates
        }
        return WeChatMerchantProfile(
            mchid: credentials.mchid, certificateSerial: credentials.certificateSerial,
            privateKey: try MerchantPrivateKey(pemRepresentation: credentials.privateKeyPEM),
            apiV3Key: try APIv3Key(credentials.apiV3Key), trustMode: trustMode, baseURL: baseURL,
            backupBaseURL: backupBaseURL)
    }
}
