import Foundation
import _CryptoExtras

/// A WeChat Pay platform certificate: the key that signs responses under its serial.
///
/// Only what verification needs is read from the X.509 structure: the serial number and the
/// SubjectPublicKeyInfo. Trust comes from how the certificate arrived (decrypted with the
/// merchant's APIv3 key from an answer verified with it), as in the official SDKs.
public struct PlatformCertificate: Sendable {
    /// The serial in upper-case hex without leading zeros, as `Wechatpay-Serial` carries it.
    public let serialNumber: String
    public let publicKey: _RSA.Signing.PublicKey
    /// `effective_time` / `expire_time` as listed by `/v3/certificates` (RFC 3339), if given.
    public let effectiveTime: String?
    public let expireTime: String?

    /// Reads a PEM `CERTIFICATE`.
    public init(pem: String, effectiveTime: String? = nil, expireTime: String? = nil) throws(WeChatPayError) {
        let body = pem.split(whereSeparator: \.isNewline)
            .filter { !$0.hasPrefix("-----") }
            .joined()
        guard let der = Data(base64Encoded: body) else {
            throw .certificatesUnavailable(reason: "a platform certificate is not Base64 PEM")
        }
        try self.init(der: Array(der), effectiveTime: effectiveTime, expireTime: expireTime)
    }

    /// Reads a DER certificate: Certificate → TBSCertificate → [version] serial, signature,
    /// issuer, validity, subject, subjectPublicKeyInfo.
    public init(der: [UInt8], effectiveTime: String? = nil, expireTime: String? = nil) throws(WeChatPayError) {
        do {
            var outer = DERReader(der[...])
            let certificate = try outer.next(tag: 0x30)
            var certificateReader = DERReader(certificate.content)
            let tbs = try certificateReader.next(tag: 0x30)
            var fields = DERReader(tbs.content)
            var element = try fields.next()
            if element.tag == 0xA0 { element = try fields.next() }  // explicit [0] version
            guard element.tag == 0x02 else { throw DERReader.Failure.unexpectedTag(expected: 0x02, found: element.tag) }
            let serial = element.content.drop(while: { $0 == 0 })
            _ = try fields.next(tag: 0x30)  // signature algorithm
            _ = try fields.next(tag: 0x30)  // issuer
            _ = try fields.next(tag: 0x30)  // validity
            _ = try fields.next(tag: 0x30)  // subject
            let spki = try fields.next(tag: 0x30)
            self.serialNumber = serial.isEmpty ? "0" : serial.map(Self.hexByte).joined()
            do {
                self.publicKey = try _RSA.Signing.PublicKey(derRepresentation: Array(spki.encoding))
            } catch {
                throw WeChatPayError.certificatesUnavailable(reason: "platform certificate key is not RSA-2048+")
            }
        } catch let error as WeChatPayError {
            throw error
        } catch {
            throw .certificatesUnavailable(reason: "platform certificate is not X.509 DER (\(error))")
        }
        self.effectiveTime = effectiveTime
        self.expireTime = expireTime
    }

    private static func hexByte(_ byte: UInt8) -> String {
        let digits = Array("0123456789ABCDEF")
        return String([digits[Int(byte >> 4)], digits[Int(byte & 0x0F)]])
    }
}
