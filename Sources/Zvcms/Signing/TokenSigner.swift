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
    /// HMAC-SHA1 keyed with the openKey and nothing signed yet: each token starts from a copy,
    /// so the key schedule is computed once, not per request.
    private let keyed: HMAC<Insecure.SHA1>

    /// A signer holding `openKey`; the key never leaves this value.
    public init(openKey: OpenKey) {
        self.keyed = HMAC(key: SymmetricKey(data: openKey.bytes))
    }

    /// The URL-encoded token for these envelope fields.
    public func token(openID: String, grantCode: String, nonce: Int64, timestamp: Int64) -> String {
        var message = Self.stringToSign(openID: openID, grantCode: grantCode, nonce: nonce, timestamp: timestamp)
        var hmac = keyed
        message.withUTF8 { hmac.update(data: UnsafeRawBufferPointer($0)) }
        return Self.urlEncode(Data(hmac.finalize()).base64EncodedString())
    }

    /// The exact text that is signed: keys in sorted order, joined `k=v&…`.
    public static func stringToSign(openID: String, grantCode: String, nonce: Int64, timestamp: Int64) -> String {
        // Built in one allocation: an interpolation would grow its buffer several times.
        var text = ""
        text.reserveCapacity(80 + grantCode.utf8.count + openID.utf8.count)
        text += "grantCode="
        text += grantCode
        text += "&nonce="
        text += String(nonce)
        text += "&openId="
        text += openID
        text += "&timestamp="
        text += String(timestamp)
        return text
    }

    /// Percent-encodes the three characters standard Base64 uses beyond `[A-Za-z0-9]`.
    static func urlEncode(_ base64: String) -> String {
        let plain = base64.utf8
        let escapes = plain.count { $0 == UInt8(ascii: "+") || $0 == UInt8(ascii: "/") || $0 == UInt8(ascii: "=") }
        return String(unsafeUninitializedCapacity: plain.count + 2 * escapes) { out in
            var count = 0
            for byte in plain {
                let escape: StaticString
                switch byte {
                case UInt8(ascii: "+"): escape = "%2B"
                case UInt8(ascii: "/"): escape = "%2F"
                case UInt8(ascii: "="): escape = "%3D"
                default:
                    out[count] = byte
                    count += 1
                    continue
                }
                for index in 0..<3 { out[count + index] = escape.utf8Start[index] }
                count += 3
            }
            return count
        }
    }
}
