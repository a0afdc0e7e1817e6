import CouponModel
import CouponSandbox
import Crypto
import Foundation
import TestSupport
import Testing

@testable import WeChatPay

@Suite("Platform certificates")
struct PlatformCertificateTests {
    @Test("the serial read from an openssl-made certificate is the one openssl prints")
    func serialFromOpenSSLCertificate() throws {
        let certificate = try PlatformCertificate(pem: OpenSSLVectors.platformCertificatePEM)
        #expect(certificate.serialNumber == OpenSSLVectors.platformSerial)
    }

    @Test("AES-256-GCM ciphertext with the tag at the end decrypts with the APIv3 key")
    func decryptsCertificate() throws {
        let resource = EncryptedResource(
            algorithm: "AEAD_AES_256_GCM", nonce: OpenSSLVectors.certificateNonce, associated_data: "certificate",
            ciphertext: OpenSSLVectors.certificateCiphertext)
        let plain = try resource.decrypt(with: try APIv3Key(OpenSSLVectors.apiV3Key))
        #expect(String(decoding: plain, as: UTF8.self) == OpenSSLVectors.platformCertificatePEM + "\n")
    }

    @Test("a wrong APIv3 key or associated data fails without revealing the key")
    func wrongKeyFails() throws {
        let resource = EncryptedResource(
            algorithm: "AEAD_AES_256_GCM", nonce: OpenSSLVectors.certificateNonce, associated_data: "other",
            ciphertext: OpenSSLVectors.certificateCiphertext)
        let key = try APIv3Key(OpenSSLVectors.apiV3Key)
        let error = #expect(throws: WeChatPayError.self) { try resource.decrypt(with: key) }
        #expect(!"\(String(describing: error))".contains(OpenSSLVectors.apiV3Key))
    }

    @Test("the sandbox's self-made certificate is valid X.509 to openssl, with the serial it announces")
    func sandboxCertificateIsValidForOpenSSL() async throws {
        let key = try WeChatPlatformKey.generate()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("wechat-cert-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("cert.pem")
        try key.certificatePEM.write(to: file, atomically: true, encoding: .utf8)
        // Self-signed: verifying it against itself checks structure and signature.
        let verify = try await ExternalCommand("/usr/bin/env", ["openssl", "verify", "-check_ss_sig", "-CAfile", file.path, file.path]).run()
        #expect(verify.status == 0, "openssl verify: \(verify.output)")
        let serial = try await ExternalCommand("/usr/bin/env", ["openssl", "x509", "-in", file.path, "-noout", "-serial"]).run()
        #expect(serial.output.trimmingCharacters(in: .whitespacesAndNewlines) == "serial=\(key.serial)")
        #expect(try PlatformCertificate(pem: key.certificatePEM).serialNumber == key.serial)
    }

    @Test("a PEM re-wrapped by a tool (one long line, CRLF, 76-character lines) reads as the same certificate")
    func rewrappedPEMIsRead() throws {
        let der = try #require(Self.der(ofPEM: OpenSSLVectors.platformCertificatePEM))
        let base64 = Data(der).base64EncodedString()
        let expected = try PlatformCertificate(pem: OpenSSLVectors.platformCertificatePEM).serialNumber
        let wrapped76 = Data(der).base64EncodedString(options: [.lineLength76Characters, .endLineWithLineFeed])
        for body in [base64, Data(der).base64EncodedString(options: [.lineLength64Characters, .endLineWithCarriageReturn, .endLineWithLineFeed]), wrapped76] {
            let pem = "-----BEGIN CERTIFICATE-----\r\n\(body)\r\n-----END CERTIFICATE-----\r\n"
            #expect(try PlatformCertificate(pem: pem).serialNumber == expected)
        }
    }

    @Test("garbage, a truncated certificate and a PEM without a certificate are refused as unreadable")
    func malformedCertificatesAreRefused() throws {
        let der = try #require(Self.der(ofPEM: OpenSSLVectors.platformCertificatePEM))
        for bytes in [[0x30, 0x03, 0x02, 0x01], Array("not a certificate".utf8), Array(der.dropLast(40)), []] as [[UInt8]] {
            let error = #expect(throws: PlatformCertificateError.self) { try PlatformCertificate(der: bytes) }
            #expect(error?.isUnreadable == true, "\(bytes.count) bytes: \(String(describing: error))")
        }
        let junkPEM = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"
        let error = #expect(throws: PlatformCertificateError.self) { try PlatformCertificate(pem: junkPEM) }
        #expect(error?.isUnreadable == true, "\(String(describing: error))")
    }

    @Test("the openssl-made certificate's validity window is read from the certificate")
    func validityFromOpenSSLCertificate() throws {
        let certificate = try PlatformCertificate(pem: OpenSSLVectors.platformCertificatePEM)
        // openssl x509 -noout -dates: notBefore=Nov 24 00:25:51 2026 GMT, notAfter=Nov 21 00:25:51 2036 GMT
        #expect(certificate.notValidBefore == Date(timeIntervalSince1970: 1_795_479_951))
        #expect(certificate.notValidAfter == Date(timeIntervalSince1970: 2_110_839_951))
    }

    @Test("an expired or not yet valid certificate is refused with the serial and the date that failed")
    func certificateOutsideValidityIsRefused() throws {
        let now = Date()
        let key = try WeChatPlatformKey.generate(now: now)
        let certificate = try PlatformCertificate(pem: key.certificatePEM)
        try certificate.checkValidity(at: now)
        // The sandbox makes certificates valid from a day before `now` for five years.
        let afterExpiry = certificate.notValidAfter.addingTimeInterval(1)
        #expect(throws: PlatformCertificateError.expired(serial: key.serial, notValidAfter: certificate.notValidAfter)) {
            try certificate.checkValidity(at: afterExpiry)
        }
        let beforeStart = certificate.notValidBefore.addingTimeInterval(-1)
        #expect(throws: PlatformCertificateError.notYetValid(serial: key.serial, notValidBefore: certificate.notValidBefore)) {
            try certificate.checkValidity(at: beforeStart)
        }
        // Within the allowed clock skew of either end, it still counts as valid.
        try certificate.checkValidity(at: afterExpiry, tolerance: 300)
        try certificate.checkValidity(at: beforeStart, tolerance: 300)
    }

    @Test("a download keeps only the certificates valid now, and fails when none is")
    func downloadKeepsOnlyValidCertificates() throws {
        let now = Date()
        let current = try PlatformCertificate(pem: WeChatPlatformKey.generate(now: now).certificatePEM)
        // Made six years ago: expired a year ago.
        let expired = try PlatformCertificate(pem: WeChatPlatformKey.generate(now: now.addingTimeInterval(-6 * 365 * 86_400)).certificatePEM)
        let kept = try PlatformCertificateList.valid([expired, current], at: now, tolerance: 300)
        #expect(kept.map(\.serialNumber) == [current.serialNumber])
        let error = #expect(throws: WeChatPayError.self) {
            try PlatformCertificateList.valid([expired], at: now, tolerance: 300)
        }
        guard case .certificatesUnavailable(let reason)? = error else {
            Issue.record("expected certificatesUnavailable, got \(String(describing: error))")
            return
        }
        #expect(reason.contains(expired.serialNumber) && reason.contains("expired"))
    }

    @Test("a certificate listed under a serial_no other than its own is kept under both names instead of failing the download")
    func listedSerialDiffersFromTheCertificates() throws {
        let platform = try WeChatPlatformKey.generate()
        let apiV3Key = "0123456789abcdef0123456789ABCDEF"
        let nonce = "abcdefghijkl"
        let sealed = try AES.GCM.seal(
            Array(platform.certificatePEM.utf8), using: SymmetricKey(data: Array(apiV3Key.utf8)),
            nonce: AES.GCM.Nonce(data: Array(nonce.utf8)), authenticating: Array("certificate".utf8))
        let listing: JSONValue = [
            "data": [[
                "serial_no": "PLATFORM-SERIAL-1", "effective_time": "2026-01-01T00:00:00+08:00",
                "expire_time": "2031-01-01T00:00:00+08:00",
                "encrypt_certificate": [
                    "algorithm": "AEAD_AES_256_GCM", "nonce": .string(nonce), "associated_data": "certificate",
                    "ciphertext": .string((sealed.ciphertext + sealed.tag).base64EncodedString()),
                ],
            ]],
        ]
        let list = try JSONDecoder().decode(PlatformCertificateList.self, from: JSONEncoder().encode(listing))
        let kept = try list.certificates(apiV3Key: try APIv3Key(apiV3Key), now: Date(), tolerance: 300)
        #expect(kept.map(\.serialNumber) == [platform.serial, "PLATFORM-SERIAL-1"])
        #expect(Set(kept.map { $0.publicKey.derRepresentation }).count == 1, "one key under two names")
    }

    @Test("a certificate whose key is not RSA is refused as notRSA")
    func nonRSACertificateIsRefused() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("wechat-ec-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let certificate = directory.appendingPathComponent("ec.pem")
        let made = try await ExternalCommand(
            "/usr/bin/env",
            [
                "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                "-keyout", directory.appendingPathComponent("ec.key").path, "-out", certificate.path, "-days", "1",
                "-subj", "/CN=not RSA", "-set_serial", "0x1234",
            ]).run()
        try #require(made.status == 0, "openssl req: \(made.output)")
        #expect(throws: PlatformCertificateError.notRSA(serial: "1234")) {
            try PlatformCertificate(pem: String(contentsOf: certificate, encoding: .utf8))
        }
    }

    /// The DER bytes inside a PEM, for tests that damage them.
    static func der(ofPEM pem: String) -> [UInt8]? {
        let body = pem.split(whereSeparator: \.isNewline).filter { !$0.hasPrefix("-----") }.joined()
        return Data(base64Encoded: body).map(Array.init)
    }
}

extension PlatformCertificateError {
    fileprivate var isUnreadable: Bool {
        if case .unreadable = self { return true }
        return false
    }
}
