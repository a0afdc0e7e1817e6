import Crypto
import Foundation

/// The body of `GET /v3/certificates`: every platform certificate currently valid, each
/// encrypted with the merchant's APIv3 key.
struct PlatformCertificateList: Decodable {
    struct Entry: Decodable {
        var serial_no: String
        var effective_time: String?
        var expire_time: String?
        var encrypt_certificate: EncryptedResource
    }

    var data: [Entry]

    /// Decrypts and parses every entry. One unreadable entry fails the whole list: a partial
    /// trust store would hide a wrong APIv3 key until the next rotation.
    func certificates(apiV3Key: APIv3Key) throws(WeChatPayError) -> [PlatformCertificate] {
        var out: [PlatformCertificate] = []
        for entry in data {
            let pem = try entry.encrypt_certificate.decrypt(with: apiV3Key)
            let certificate = try PlatformCertificate(
                pem: String(decoding: pem, as: UTF8.self), effectiveTime: entry.effective_time,
                expireTime: entry.expire_time)
            guard Self.sameSerial(certificate.serialNumber, entry.serial_no) else {
                throw .certificatesUnavailable(
                    reason: "listed serial \(entry.serial_no) differs from the certificate's \(certificate.serialNumber)")
            }
            out.append(certificate)
        }
        return out
    }

    /// Serials compare as hex numbers: case and leading zeros do not matter.
    static func sameSerial(_ a: String, _ b: String) -> Bool {
        func normal(_ s: String) -> Substring { s.uppercased().drop(while: { $0 == "0" }) }
        return normal(a) == normal(b)
    }
}

/// An `AEAD_AES_256_GCM` resource as WeChat Pay sends it (certificates, notifications).
struct EncryptedResource: Decodable {
    var algorithm: String
    var nonce: String
    var associated_data: String?
    var ciphertext: String

    /// AES-256-GCM with the APIv3 key; IV = the nonce's bytes (12), AAD = associated_data,
    /// ciphertext = Base64 with the 16-byte tag at its end.
    func decrypt(with key: APIv3Key) throws(WeChatPayError) -> [UInt8] {
        guard algorithm == "AEAD_AES_256_GCM" else {
            throw .certificatesUnavailable(reason: "unsupported certificate encryption \(algorithm)")
        }
        guard let combined = Data(base64Encoded: ciphertext), combined.count > 16 else {
            throw .certificatesUnavailable(reason: "certificate ciphertext is not Base64 with a tag")
        }
        do {
            let box = try AES.GCM.SealedBox(
                nonce: AES.GCM.Nonce(data: Array(nonce.utf8)),
                ciphertext: combined.prefix(combined.count - 16),
                tag: combined.suffix(16))
            let plain = try AES.GCM.open(box, using: key.symmetricKey, authenticating: Array((associated_data ?? "").utf8))
            return Array(plain)
        } catch {
            // Almost always a wrong APIv3 key; the key itself is never part of the message.
            throw .certificatesUnavailable(reason: "certificate decryption failed (check the APIv3 key)")
        }
    }
}
