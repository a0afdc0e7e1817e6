import Crypto
import Foundation

/// The body of `GET /v3/certificates`: every platform certificate currently valid, each
/// encrypted with the merchant's APIv3 key.
struct PlatformCertificateList: Decodable {
    /// One listed certificate. `effective_time` / `expire_time` are not read: the
    /// certificate's own validity window is what counts.
    struct Entry: Decodable {
        var serial_no: String
        var encrypt_certificate: EncryptedResource
    }

    var data: [Entry]

    /// Decrypts and parses every entry, and keeps those valid at `now` (± `tolerance`).
    ///
    /// One unreadable entry fails the whole list: a partial trust store would hide a wrong
    /// APIv3 key until the next rotation. A certificate listed under a `serial_no` other than
    /// its own serial is kept under both: the docs key certificates by the listed serial, some
    /// SDKs by the certificate's, and answers must verify either way.
    func certificates(apiV3Key: APIv3Key, now: Date, tolerance: TimeInterval) throws(WeChatPayError) -> [PlatformCertificate] {
        var parsed: [PlatformCertificate] = []
        for entry in data {
            let pem = try entry.encrypt_certificate.decrypt(with: apiV3Key)
            let certificate: PlatformCertificate
            do throws(PlatformCertificateError) {
                certificate = try PlatformCertificate(pem: String(decoding: pem, as: UTF8.self))
            } catch {
                throw .certificatesUnavailable(reason: error.description)
            }
            parsed.append(certificate)
            if !Self.sameSerial(certificate.serialNumber, entry.serial_no) {
                parsed.append(certificate.named(entry.serial_no))
            }
        }
        return try Self.valid(parsed, at: now, tolerance: tolerance)
    }

    /// The certificates valid at `now` (± `tolerance`). One outside its window is left out:
    /// it decrypted, so the APIv3 key is right, but it must not verify answers. When some
    /// were listed and none is valid, the download fails, saying why, rather than leaving
    /// the trust store without a key.
    static func valid(
        _ certificates: [PlatformCertificate], at now: Date, tolerance: TimeInterval
    ) throws(WeChatPayError) -> [PlatformCertificate] {
        var valid: [PlatformCertificate] = []
        var refused: [PlatformCertificateError] = []
        for certificate in certificates {
            do throws(PlatformCertificateError) {
                try certificate.checkValidity(at: now, tolerance: tolerance)
                valid.append(certificate)
            } catch {
                refused.append(error)
            }
        }
        if valid.isEmpty, !refused.isEmpty {
            throw .certificatesUnavailable(reason: refused.map(\.description).joined(separator: "; "))
        }
        return valid
    }

    /// Serials compare as hex numbers: case and leading zeros do not matter.
    static func sameSerial(_ a: String, _ b: String) -> Bool {
        normalSerial(a) == normalSerial(b)
    }

    /// `serial` in the one form serials are compared and kept by: upper case, no leading zeros.
    static func normalSerial(_ serial: String) -> String {
        String(serial.uppercased().drop(while: { $0 == "0" }))
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
