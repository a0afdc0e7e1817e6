import Foundation
import Testing
import Zvcms

@Suite("ZvcmsAccount")
struct ZvcmsAccountTests {
    static let secret = "fake-open-key-for-test-only-0001"

    static func temporaryFile(_ contents: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("zvcms-openkey-\(UUID().uuidString)").path
        try contents.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test("the openKey is read from a file, surrounding newline dropped, and signs the vector")
    func loadFromFile() throws {
        let path = try Self.temporaryFile(Self.secret + "\n")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let account = try ZvcmsAccount.load(
            openID: "fake-open-id-for-test-only-0001", grantCode: "fake-grant-code-0001", openKeyFile: path,
            baseURL: "https://openapi.qmai.cn")
        let token = TokenSigner(openKey: account.openKey).token(
            openID: account.openID, grantCode: account.grantCode, nonce: 24680, timestamp: 1_712_563_200)
        #expect(token == "ySypL4SRFMmfSrCqOiFE01LK3ks%3D")
    }

    @Test("a missing key file is an error naming the file")
    func missingFile() {
        #expect {
            _ = try ZvcmsAccount.load(openID: "o", grantCode: "g", openKeyFile: "/nonexistent/openkey", baseURL: "https://x.test")
        } throws: { error in
            guard case .openKeyFileUnreadable(let path, _) = error as? ZvcmsAccountError else { return false }
            return path == "/nonexistent/openkey" && "\(error)".contains("/nonexistent/openkey")
        }
    }

    @Test("an empty key file is an error naming the file")
    func emptyFile() throws {
        let path = try Self.temporaryFile("  \n")
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(throws: ZvcmsAccountError.openKeyFileEmpty(path: path)) {
            try ZvcmsAccount.load(openID: "o", grantCode: "g", openKeyFile: path, baseURL: "https://x.test")
        }
    }

    @Test("the openKey can come from an environment variable, which must be set")
    func loadFromEnvironment() throws {
        let account = try ZvcmsAccount.load(
            openID: "o", grantCode: "g", openKeyVariable: "ZVCMS_OPEN_KEY", baseURL: "https://x.test",
            environment: ["ZVCMS_OPEN_KEY": Self.secret])
        #expect(!account.openKey.isEmpty)
        #expect(throws: ZvcmsAccountError.openKeyVariableMissing(name: "ZVCMS_OPEN_KEY")) {
            try ZvcmsAccount.load(
                openID: "o", grantCode: "g", openKeyVariable: "ZVCMS_OPEN_KEY", baseURL: "https://x.test", environment: [:])
        }
    }

    @Test("a base URL that is not absolute http(s) is refused")
    func invalidBaseURL() {
        #expect(throws: ZvcmsAccountError.invalidBaseURL("openapi.qmai.cn")) {
            try ZvcmsAccount.load(
                openID: "o", grantCode: "g", openKeyVariable: "K", baseURL: "openapi.qmai.cn", environment: ["K": "k"])
        }
    }

    @Test("the openKey never shows in descriptions, debug descriptions or dumps")
    func redacted() {
        let account = ZvcmsAccount(openID: "o", grantCode: "g", openKey: OpenKey(Self.secret), baseURL: "https://x.test")
        var dumped = ""
        dump(account, to: &dumped)
        for text in [account.description, String(reflecting: account), "\(account.openKey)", String(reflecting: account.openKey), dumped] {
            #expect(!text.contains(Self.secret), "\(text)")
        }
    }
}
