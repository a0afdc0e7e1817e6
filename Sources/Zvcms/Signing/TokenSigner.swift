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
        let message = Self.stringToSign(openID: openID, grantCode: grantCode, nonce: nonce, timestamp: timestamp)
        var hmac = keyed
        hmac.update(data: Array(message.utf8))
        return Self.urlEncode(Data(hmac.finalize()).base64EncodedString())
    }

    /// The exact text that is signed: keys in sorted order, joined `k=v&…`.
    public static func stringToSign(openID: String, grantCode: String, nonce: Int64, timestamp: Int64) -> String {
        "grantCode=\(grantCode)&nonce=\(nonce)&openId=\(openID)&timestamp=\(timestamp)"
    }

    /// Percent-encodes the three characters standard Base64 uses beyond `[A-Za-z0-9]`.
    static func urlEncode(_ base64: String) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(base64.utf8.count + 6)
        for byte in base64.utf8 {
            switch byte {
            case UInt8(ascii: "+"): out.append(contentsOf: "%2B".utf8)
            case UInt8(ascii: "/"): out.append(contentsOf: "%2F".utf8)
            case UInt8(ascii: "="): out.append(contentsOf: "%3D".utf8)
            default: out.append(byte)
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
