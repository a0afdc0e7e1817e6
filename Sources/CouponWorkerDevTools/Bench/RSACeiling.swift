import CouponModel
import Foundation
import WeChatPay

/// The ceiling of the WeChat scenario: every command costs two RSA-2048 signatures on this
/// machine (the worker signs the request, the sandbox signs its answer), so no pipeline
/// can beat `single-thread signs/s × cores ÷ 2` commands/s.
///
/// Signs with the worker's own `RequestSigner` and the sandbox's merchant key, i.e. the
/// same code path (swift-crypto's `_CryptoExtras`, BoringSSL) a command takes.
struct RSACeiling {
    var duration: Duration

    struct Measurement: Sendable {
        var signsPerSecond: Double
        var cores: Int
        /// Commands/s the signatures alone allow.
        var commandsPerSecond: Double { signsPerSecond * Double(cores) / 2 }
    }

    func measure(privateKeyFile: String) throws -> Measurement {
        let pem = try String(contentsOfFile: privateKeyFile, encoding: .utf8)
        let signer = RequestSigner(
            mchid: "1900000001", certificateSerial: "BENCH", privateKey: try MerchantPrivateKey(pemRepresentation: pem))
        let body = Array(#"{"stock_id":"1212000001","out_request_no":"BENCH-RSA-0000001","appid":"wx1234567890abcdef","coupon_type":"NORMAL"}"#.utf8)
        let clock = ContinuousClock()
        let started = clock.now
        var signs = 0
        while started.duration(to: clock.now) < duration {
            _ = try signer.signature(
                method: "POST", pathAndQuery: "/v3/marketing/busifavor/coupons/oBenchUser/send",
                timestamp: 1_700_000_000 + Int64(signs), nonce: "5K8264ILTKCH16CQ2502SI8ZNMTM67VS", body: body)
            signs += 1
        }
        let elapsed = started.duration(to: clock.now)
        return Measurement(signsPerSecond: Double(signs) / elapsed.seconds, cores: ProcessInfo.processInfo.activeProcessorCount)
    }
}
