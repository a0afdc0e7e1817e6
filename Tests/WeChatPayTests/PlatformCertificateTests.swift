import CouponSandbox
import Foundation
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
    func sandboxCertificateIsValidForOpenSSL() throws {
        let key = try WeChatPlatformKey.generate()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("wechat-cert-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("cert.pem")
        try key.certificatePEM.write(to: file, atomically: true, encoding: .utf8)
        // Self-signed: verifying it against itself checks structure and signature.
        let verify = try Self.run("/usr/bin/env", ["openssl", "verify", "-check_ss_sig", "-CAfile", file.path, file.path])
        #expect(verify.status == 0, "openssl verify: \(verify.output)")
        let serial = try Self.run("/usr/bin/env", ["openssl", "x509", "-in", file.path, "-noout", "-serial"])
        #expect(serial.output.trimmingCharacters(in: .whitespacesAndNewlines) == "serial=\(key.serial)")
        #expect(try PlatformCertificate(pem: key.certificatePEM).serialNumber == key.serial)
    }

    static func run(_ executable: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}
