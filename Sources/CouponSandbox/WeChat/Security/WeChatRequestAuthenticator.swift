import Foundation
import _CryptoExtras

/// Checks an incoming request the way WeChat Pay does, before any business logic runs.
///
/// `Accept` and `User-Agent` must be present (else `400 INVALID_REQUEST`); `Authorization`
/// must be `WECHATPAY2-SHA256-RSA2048` with `mchid`, `nonce_str`, `timestamp`, `serial_no`,
/// `signature` (any order); the merchant must be known and `serial_no` its certificate's; the
/// timestamp within the window of the sandbox clock; and the signature valid over
/// `METHOD\nPATH_AND_QUERY\nTIMESTAMP\nNONCE\nBODY\n` built from the raw request target and
/// raw body bytes. Failures are `401 SIGN_ERROR`, as WeChat Pay answers them.
struct WeChatRequestAuthenticator {
    let merchants: [String: WeChatSandboxConfiguration.Merchant]
    let maxClockSkew: Int64

    /// The calling mchid, or the answer that rejects the request.
    func authenticate(
        method: String, rawTarget: String, header: (String) -> String?, body: [UInt8], now: Date
    ) -> Result<String, WeChatSandboxAnswer> {
        guard let accept = header("Accept"), !accept.isEmpty else {
            return .failure(.error(400, "INVALID_REQUEST", "缺少Accept请求头"))
        }
        guard let agent = header("User-Agent"), !agent.isEmpty else {
            return .failure(.error(400, "INVALID_REQUEST", "缺少User-Agent请求头"))
        }
        guard let authorization = header("Authorization") else {
            return .failure(Self.signError("缺少Authorization请求头"))
        }
        let prefix = "WECHATPAY2-SHA256-RSA2048 "
        guard authorization.hasPrefix(prefix) else {
            return .failure(Self.signError("不支持的签名类型"))
        }
        let pairs = Self.pairs(String(authorization.dropFirst(prefix.count)))
        guard let mchid = pairs["mchid"], let nonce = pairs["nonce_str"], let timestamp = pairs["timestamp"],
            let serial = pairs["serial_no"], let signature = pairs["signature"]
        else { return .failure(Self.signError("Authorization缺少必要字段")) }
        guard let merchant = merchants[mchid] else {
            return .failure(Self.signError("商户号\(mchid)不存在或未开通APIv3"))
        }
        guard serial.uppercased() == merchant.certificateSerial.uppercased() else {
            return .failure(Self.signError("商户证书序列号有误"))
        }
        guard let seconds = Int64(timestamp), abs(seconds - Int64(now.timeIntervalSince1970.rounded(.down))) <= maxClockSkew else {
            return .failure(Self.signError("请求时间戳与服务器时间相差超过5分钟"))
        }
        var message: [UInt8] = []
        for line in [method, rawTarget, timestamp, nonce] {
            message.append(contentsOf: line.utf8)
            message.append(0x0A)
        }
        message.append(contentsOf: body)
        message.append(0x0A)
        guard let raw = Data(base64Encoded: signature),
            merchant.publicKey.isValidSignature(
                _RSA.Signing.RSASignature(rawRepresentation: raw), for: message, padding: .insecurePKCS1v1_5)
        else { return .failure(Self.signError("签名错误，验签失败")) }
        return .success(mchid)
    }

    private static func signError(_ message: String) -> WeChatSandboxAnswer {
        .error(401, "SIGN_ERROR", message)
    }

    /// `key="value"` pairs separated by commas (no value contains a comma or a quote).
    static func pairs(_ text: String) -> [String: String] {
        var out: [String: String] = [:]
        for part in text.split(separator: ",") {
            guard let equals = part.firstIndex(of: "=") else { continue }
            let key = part[..<equals].trimmingCharacters(in: .whitespaces)
            var value = part[part.index(after: equals)...].trimmingCharacters(in: .whitespaces)
            if value.hasPrefix("\""), value.hasSuffix("\""), value.count >= 2 {
                value = String(value.dropFirst().dropLast())
            }
            out[key] = value
        }
        return out
    }
}
