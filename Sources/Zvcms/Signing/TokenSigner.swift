import Crypto
import Foundation

/// Computes the zvcms request token ("数字签名sign") from the public envelope fields.
///
/// The string to sign is the four public fields sorted by key, with lower-camel names
/// (`grantCode=…&nonce=…&openId=…&timestamp=…`) for both API 2.0 and 3.0; business `params`
/// and `Action` are not signed. The token is the standard Base64 of HMAC-SHA1 keyed with the
/// openKey, URL-encoded (`+`→`%2B`, `/`→`%2F`, `=`→`%3D`), and that encoded form travels in
/// the JSON body. A token is valid for one timestamp and nonce only: sign afresh per request.
public struct TokenSigner: Sendable {
    private let key: SymmetricKey

    /// A signer holding `openKey`; the key never leaves this value.
    public init(openKey: OpenKey) {
        self.key = SymmetricKey(data: openKey.bytes)
    }

    /// The URL-encoded token for these envelope fields.
    public func token(openID: String, grantCode: String, nonce: Int64, timestamp: Int64) -> String {
        let message = Self.stringToSign(openID: openID, grantCode: grantCode, nonce: nonce, timestamp: timestamp)
        let mac = HMAC<Insecure.SHA1>.authenticationCode(for: Array(message.utf8), using: key)
        return Self.urlEncode(Data(mac).base64EncodedString())
    }

    /// The exact text that is signed: keys in sorted order, joined `k=v&…`.
    public static func stringToSign(openID: String, grantCode: String, nonce: Int64, timestamp: Int64) -> String {
        "grantCode=\(grantCode)&nonce=\(nonce)&openId=\(openID)&timestamp=\(timestamp)"
    }

    /// Percent-encodes the three characters standard Base64 uses beyond `[A-Za-z0-9]`.
    static func urlEncode(_ base64: String) -> String {
        var out = ""
        out.reserveCapacity(base64.utf8.count + 6)
        for character in base64 {
            switch character {
            case "+": out += "%2B"
            case "/": out += "%2F"
            case "=": out += "%3D"
            default: out.append(character)
            }
        }
        return out
    }
}
