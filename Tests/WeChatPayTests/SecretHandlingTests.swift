import CouponModel
import CouponSandbox
import Foundation
import Testing
import TestSupport
import WeChatPay

@Suite("Secrets stay out of descriptions, errors and logs")
struct SecretHandlingTests {
    static func secretFragments(_ fixture: WeChatFixture) -> [String] {
        let pemBody = fixture.credentials.privateKeyPEM.split(separator: "\n").dropFirst().first.map(String.init) ?? "?"
        return [fixture.credentials.apiV3Key, pemBody]
    }

    @Test("a profile and its keys describe themselves without key material")
    func descriptionsRedacted() async throws {
        try await WeChatFixture.with(trust: .publicKey) { fixture in
            var dumped = ""
            dump(fixture.profile, to: &dumped)
            let texts = [
                "\(fixture.profile)", String(reflecting: fixture.profile), dumped, "\(fixture.profile.privateKey)",
                "\(fixture.profile.apiV3Key)", String(reflecting: fixture.profile.apiV3Key),
            ]
            for text in texts {
                for secret in Self.secretFragments(fixture) { #expect(!text.contains(secret)) }
            }
            #expect("\(fixture.profile)".contains(WeChatFixture.mchid))
        }
    }

    @Test("errors of every kind carry no key material")
    func errorsRedacted() async throws {
        try await WeChatFixture.with { fixture in
            // A wrong APIv3 key: decryption of the certificates fails.
            let wrongKeyProfile = WeChatMerchantProfile(
                mchid: fixture.profile.mchid, certificateSerial: fixture.profile.certificateSerial,
                privateKey: fixture.profile.privateKey, apiV3Key: try APIv3Key(String(repeating: "k", count: 32)),
                trustMode: .platformCertificates, baseURL: fixture.baseURL)
            var failures: [String] = []
            do throws(WeChatPayError) {
                _ = try await WeChatPayClient(profile: wrongKeyProfile).stock(id: WeChatFixture.stockID)
            } catch {
                #expect(error.providerFailure.code == .providerUnavailable && !error.providerFailure.ambiguous)
                failures += ["\(error)", error.providerFailure.message]
            }
            fixture.sandbox.faults.inject(.wrongSignature, pathContains: "stocks")
            do throws(WeChatPayError) { _ = try await fixture.client.stock(id: WeChatFixture.stockID) } catch {
                failures += ["\(error)", error.providerFailure.message]
            }
            #expect(failures.count == 4)
            for text in failures {
                for secret in Self.secretFragments(fixture) + [String(repeating: "k", count: 32)] { #expect(!text.contains(secret)) }
            }
        }
    }

    @Test("profiles load from key files, and bad files are named without their content")
    func profileLoading() async throws {
        try await WeChatFixture.with(trust: .publicKey) { fixture in
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("wechat-keys-\(UUID().uuidString)")
            defer { try? FileManager.default.removeItem(at: directory) }
            let files = try fixture.writeKeyFiles(to: directory)
            let profile = try WeChatMerchantProfile.load(
                mchid: WeChatFixture.mchid, certificateSerial: fixture.credentials.certificateSerial,
                privateKeyFile: files.privateKey, apiV3KeyFile: files.apiV3Key, publicKeyFile: files.publicKey,
                publicKeyID: files.publicKeyID, baseURL: fixture.baseURL)
            let response = try await WeChatPayClient(profile: profile).stock(id: WeChatFixture.stockID)
            #expect(response.stockID == WeChatFixture.stockID)

            #expect(throws: WeChatPayConfigurationError.unreadableFile(path: directory.path + "/missing.pem", reason: "no such file")) {
                _ = try WeChatMerchantProfile.load(
                    mchid: "1", certificateSerial: "S", privateKeyFile: directory.path + "/missing.pem", apiV3KeyFile: files.apiV3Key)
            }
            // The APIv3 key file is not a private key: the error names the file only.
            let error = #expect(throws: WeChatPayConfigurationError.self) {
                _ = try WeChatMerchantProfile.load(
                    mchid: "1", certificateSerial: "S", privateKeyFile: files.apiV3Key, apiV3KeyFile: files.apiV3Key)
            }
            #expect(error == .invalidPrivateKey(source: files.apiV3Key))
            #expect(!"\(String(describing: error))".contains(fixture.credentials.apiV3Key))
            let shortKey = #expect(throws: WeChatPayConfigurationError.self) {
                _ = try WeChatMerchantProfile.load(
                    mchid: "1", certificateSerial: "S", privateKeyFile: files.privateKey, apiV3KeyFile: files.privateKey)
            }
            guard case .invalidAPIv3Key(let source, _)? = shortKey else {
                Issue.record("unexpected \(String(describing: shortKey))")
                return
            }
            #expect(source == files.privateKey)
        }
    }
}
