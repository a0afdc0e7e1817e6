import Foundation
import _CryptoExtras

/// The merchant API private key (`apiclient_key.pem`) that signs every request.
///
/// A secret: `description`, `debugDescription` and reflection never show key material, so
/// the key cannot leak through logs, `dump` or string interpolation of a profile.
public struct MerchantPrivateKey: Sendable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    let key: _RSA.Signing.PrivateKey

    /// Wraps an RSA private key (at least 2048 bits).
    public init(_ key: _RSA.Signing.PrivateKey) {
        self.key = key
    }

    /// Reads a PEM private key (PKCS#8 `BEGIN PRIVATE KEY` or PKCS#1 `BEGIN RSA PRIVATE KEY`).
    /// The thrown error never contains the PEM text.
    public init(pemRepresentation: String) throws(WeChatPayConfigurationError) {
        do {
            self.key = try _RSA.Signing.PrivateKey(pemRepresentation: pemRepresentation)
        } catch {
            throw .invalidPrivateKey(source: "PEM text")
        }
    }

    /// RSASSA-PKCS1-v1_5 with SHA-256 over `message`, standard Base64.
    func base64Signature(for message: [UInt8]) throws(WeChatPayError) -> String {
        do {
            let signature = try key.signature(for: message, padding: .insecurePKCS1v1_5)
            return signature.rawRepresentation.base64EncodedString()
        } catch {
            throw .signingFailed
        }
    }

    public var description: String { "MerchantPrivateKey(<redacted>)" }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: [:]) }
}
