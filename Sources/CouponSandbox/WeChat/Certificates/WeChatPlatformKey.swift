import Foundation
import X509
import _CryptoExtras

/// A WeChat Pay platform key pair with its self-signed certificate, as the sandbox uses to
/// sign responses and lists at `/v3/certificates`.
public struct WeChatPlatformKey: Sendable {
    /// Upper-case hex, as `serial_no` and `Wechatpay-Serial` carry it.
    public let serial: String
    let privateKey: _RSA.Signing.PrivateKey
    /// The certificate in PEM form (what `/v3/certificates` encrypts).
    public let certificatePEM: String
    /// RFC 3339 validity, as listed by `/v3/certificates`.
    public let effectiveTime: String
    public let expireTime: String

    /// A fresh RSA-2048 key with a random 20-byte serial, valid from a day ago for five years.
    public static func generate(now: Date = Date()) throws -> WeChatPlatformKey {
        try WeChatPlatformKey(privateKey: _RSA.Signing.PrivateKey(keySize: .bits2048), now: now)
    }

    /// A certificate for `privateKey` with a random serial.
    public init(privateKey: _RSA.Signing.PrivateKey, now: Date = Date()) throws {
        var generator = SystemRandomNumberGenerator()
        // First byte in 0x10...0x7F: a positive INTEGER whose hex has no leading zero.
        var serialBytes: [UInt8] = [UInt8.random(in: 0x10...0x7F, using: &generator)]
        serialBytes += (0..<19).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let notBefore = now.addingTimeInterval(-86_400)
        let notAfter = now.addingTimeInterval(5 * 365 * 86_400)
        self.privateKey = privateKey
        self.serial = serialBytes.map { String(format: "%02X", $0) }.joined()
        self.effectiveTime = Self.rfc3339(notBefore)
        self.expireTime = Self.rfc3339(notAfter)
        self.certificatePEM = try Self.certificate(
            serial: serialBytes, privateKey: privateKey, notBefore: notBefore, notAfter: notAfter
        ).serializeAsPEM().pemString + "\n"
    }

    /// RSASSA-PKCS1-v1_5 / SHA-256, standard Base64.
    func sign(_ message: [UInt8]) throws -> String {
        try privateKey.signature(for: message, padding: .insecurePKCS1v1_5).rawRepresentation.base64EncodedString()
    }

    /// A v3 self-signed certificate, signed with sha256WithRSAEncryption.
    private static func certificate(
        serial: [UInt8], privateKey: _RSA.Signing.PrivateKey, notBefore: Date, notAfter: Date
    ) throws -> Certificate {
        let name = try DistinguishedName { CommonName("Tenpay.com Sandbox Platform") }
        return try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(bytes: serial),
            publicKey: Certificate.PublicKey(privateKey.publicKey), notValidBefore: notBefore, notValidAfter: notAfter,
            issuer: name, subject: name, signatureAlgorithm: .sha256WithRSAEncryption, extensions: Certificate.Extensions(),
            issuerPrivateKey: Certificate.PrivateKey(privateKey))
    }

    static func rfc3339(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(secondsFromGMT: 8 * 3600)
        formatter.dateFormat = "yyyy-MM-dd'T'HH:mm:ssXXXXX"
        return formatter.string(from: date)
    }
}
