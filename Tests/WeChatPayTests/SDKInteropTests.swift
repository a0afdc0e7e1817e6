import CouponSandbox
import Foundation
import Testing
import TestSupport

/// The sandbox against a client nobody here wrote: the `wechatpayv3` Python SDK, driven by
/// Tests/WeChatPayTests/Interop/wechatpay_sdk_check.py (which exits 2 with a clear message when the SDK
/// is not installed: `pip install wechatpayv3`).
@Suite("wechatpayv3 Python SDK interop")
struct SDKInteropTests {
    static let script = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().appendingPathComponent("Interop/wechatpay_sdk_check.py")

    @Test(
        "the SDK's signed requests are accepted and it accepts the sandbox's signed answers",
        arguments: [WeChatFixture.Trust.publicKey, .platformCertificates])
    func sdkRoundTrip(trust: WeChatFixture.Trust) async throws {
        try await WeChatFixture.with(trust: trust) { fixture in
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("wechat-sdk-\(UUID().uuidString)")
            defer { try? FileManager.default.removeItem(at: directory) }
            let files = try fixture.writeKeyFiles(to: directory)
            fixture.sandbox.faults.inject(.wrongSignature, pathContains: "forged=1")
            var arguments = [
                "python3", Self.script.path, "--base-url", fixture.baseURL, "--mchid", WeChatFixture.mchid, "--serial",
                fixture.credentials.certificateSerial, "--private-key", files.privateKey, "--apiv3-key-file", files.apiV3Key,
                "--appid", WeChatFixture.appid, "--stock-id", WeChatFixture.stockID,
            ]
            if let publicKey = files.publicKey, let id = files.publicKeyID {
                arguments += ["--public-key", publicKey, "--public-key-id", id]
            }
            let result = try await ExternalCommand("/usr/bin/env", arguments).run()
            #expect(result.status == 0, "wechatpay_sdk_check.py: \(result.output)")
            #expect(fixture.sandbox.issuanceCount(outRequestNo: "SDK-INTEROP-1") == 1)
            #expect(fixture.sandbox.requests.contains { $0.status == 401 })
        }
    }
}
