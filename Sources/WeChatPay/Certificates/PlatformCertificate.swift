import Foundation
import X509
import _CryptoExtras

/// A WeChat Pay platform certificate: the key that signs responses under its serial.
///
/// Parsed by swift-certificates; only what verification needs is kept: the serial, the
/// validity window and the RSA public key. Trust comes from how the certificate arrived
/// (decrypted with the merchant's APIv3 key from an answer verified with it), as in the
/// official SDKs, so the certificate's own signature chain is not checked.
public struct PlatformCertificate: Sendable {
    /// The serial in upper-case hex without leading zero bytes, as `Wechatpay-Serial` carries
    /// it; or the `serial_no` a certificate listing gave it (``named(_:)``).
    public private(set) var serialNumber: String
    public let publicKey: _RSA.Signing.PublicKey
    /// The certificate's validity window (X.509 `notBefore` / `notAfter`).
    public let notValidBefore: Date
    public let notValidAfter: Date

    /// Reads a PEM `CERTIFICATE`, laxly as RFC 7468 §3 allows for readers: any line length,
    /// CRLF or LF, whitespace inside the Base64, text around the armor. WeChat Pay and the
    /// SDKs write 64-character lines, but a certificate re-wrapped by a tool must still load.
    public init(pem: String) throws(PlatformCertificateError) {
        guard let der = Self.derInsideArmor(pem) else {
            throw .unreadable(reason: "no PEM CERTIFICATE block")
        }
        try self.init(der: der)
    }

    private static func derInsideArmor(_ pem: String) -> [UInt8]? {
        let begin = "-----BEGIN CERTIFICATE-----", end = "-----END CERTIFICATE-----"
        guard let start = pem.range(of: begin), let stop = pem.range(of: end, range: start.upperBound..<pem.endIndex)
        else { return nil }
        let base64 = pem[start.upperBound..<stop.lowerBound].filter { !$0.isWhitespace }
        guard !base64.isEmpty, let data = Data(base64Encoded: String(base64)) else { return nil }
        return Array(data)
    }

    /// Reads a DER certificate.
    public init(der: [UInt8]) throws(PlatformCertificateError) {
        try self.init(Self.parse { try Certificate(derEncoded: der) })
    }

    private static func parse(_ read: () throws -> Certificate) throws(PlatformCertificateError) -> Certificate {
        do {
            return try read()
        } catch {
            throw .unreadable(reason: "\(error)")
        }
    }

    private init(_ certificate: Certificate) throws(PlatformCertificateError) {
        let serial = certificate.serialNumber.bytes.drop(while: { $0 == 0 })
        self.serialNumber = serial.isEmpty ? "0" : serial.map(Self.hexByte).joined()
        guard let key = _RSA.Signing.PublicKey(certificate.publicKey) else {
            throw .notRSA(serial: serialNumber)
        }
        self.publicKey = key
        self.notValidBefore = certificate.notValidBefore
        self.notValidAfter = certificate.notValidAfter
    }

    /// This certificate under another serial: the one `/v3/certificates` listed it with, which
    /// answers carry in `Wechatpay-Serial` when it differs from the certificate's own.
    func named(_ serial: String) -> PlatformCertificate {
        var copy = self
        copy.serialNumber = serial
        return copy
    }

    /// Whether `now` lies in the validity window, widened by `tolerance` on both sides.
    public func isValid(at now: Date, tolerance: TimeInterval = 0) -> Bool {
        now.addingTimeInterval(tolerance) >= notValidBefore && now.addingTimeInterval(-tolerance) <= notValidAfter
    }

    /// Throws unless `now` lies in the validity window, widened by `tolerance` on both sides
    /// (the clock skew allowed between this host and WeChat Pay).
    public func checkValidity(at now: Date, tolerance: TimeInterval = 0) throws(PlatformCertificateError) {
        if now.addingTimeInterval(tolerance) < notValidBefore {
            throw .notYetValid(serial: serialNumber, notValidBefore: notValidBefore)
        }
        if now.addingTimeInterval(-tolerance) > notValidAfter {
            throw .expired(serial: serialNumber, notValidAfter: notValidAfter)
        }
    }

    private static func hexByte(_ byte: UInt8) -> String {
        let digits = Array("0123456789ABCDEF")
        return String([digits[Int(byte >> 4)], digits[Int(byte & 0x0F)]])
    }
}
