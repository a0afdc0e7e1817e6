import Foundation
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
        let der = try Self.certificateDER(
            serial: serialBytes, privateKey: privateKey, notBefore: notBefore, notAfter: notAfter)
        let base64 = Data(der).base64EncodedString(options: [.lineLength64Characters, .endLineWithLineFeed])
        self.certificatePEM = "-----BEGIN CERTIFICATE-----\n\(base64)\n-----END CERTIFICATE-----\n"
    }

    /// RSASSA-PKCS1-v1_5 / SHA-256, standard Base64.
    func sign(_ message: [UInt8]) throws -> String {
        try privateKey.signature(for: message, padding: .insecurePKCS1v1_5).rawRepresentation.base64EncodedString()
    }

    /// A v3 self-signed certificate: TBSCertificate signed with sha256WithRSAEncryption.
    private static func certificateDER(
        serial: [UInt8], privateKey: _RSA.Signing.PrivateKey, notBefore: Date, notAfter: Date
    ) throws -> [UInt8] {
        let sha256WithRSA = DERWriter.sequence(
            DERWriter.objectIdentifier([0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x0B]), DERWriter.null)
        let commonName: [UInt8] = [0x55, 0x04, 0x03]
        let name = DERWriter.sequence(
            DERWriter.set(
                DERWriter.sequence(
                    DERWriter.objectIdentifier(commonName), DERWriter.utf8String("Tenpay.com Sandbox Platform"))))
        let tbs = DERWriter.sequence(
            DERWriter.explicit(0, DERWriter.integer(magnitude: [2])),
            DERWriter.integer(magnitude: serial),
            sha256WithRSA,
            name,
            DERWriter.sequence(DERWriter.utcTime(utcTime(notBefore)), DERWriter.utcTime(utcTime(notAfter))),
            name,
            Array(privateKey.publicKey.derRepresentation))
        let signature = try privateKey.signature(for: tbs, padding: .insecurePKCS1v1_5).rawRepresentation
        return DERWriter.sequence(tbs, sha256WithRSA, DERWriter.bitString(Array(signature)))
    }

    private static func utcTime(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyMMddHHmmss'Z'"
        return formatter.string(from: date)
    }

    static func rfc3339(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(secondsFromGMT: 8 * 3600)
        formatter.dateFormat = "yyyy-MM-dd'T'HH:mm:ssXXXXX"
        return formatter.string(from: date)
    }
}
