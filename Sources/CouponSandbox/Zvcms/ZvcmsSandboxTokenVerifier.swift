import Crypto
import Foundation

/// Checks a request token the way zvcms does: HMAC-SHA1 with the account's openKey over
/// `grantCode=…&nonce=…&openId=…&timestamp=…`, standard Base64, URL-encoded.
///
/// Written independently of the client's signer on purpose, so a client bug cannot be
/// mirrored into the sandbox and pass unnoticed.
struct ZvcmsSandboxTokenVerifier {
    let accounts: [String: ZvcmsSandbox.Configuration.Account]

    func isValid(openID: String, grantCode: String, nonce: String, timestamp: String, token: String) -> Bool {
        guard let account = accounts[openID], account.grantCode == grantCode else { return false }
        let message = "grantCode=\(grantCode)&nonce=\(nonce)&openId=\(openID)&timestamp=\(timestamp)"
        let mac = HMAC<Insecure.SHA1>.authenticationCode(
            for: Data(message.utf8), using: SymmetricKey(data: Data(account.openKey.utf8)))
        let expected = Data(mac).base64EncodedString()
            .replacingOccurrences(of: "+", with: "%2B")
            .replacingOccurrences(of: "/", with: "%2F")
            .replacingOccurrences(of: "=", with: "%3D")
        // Constant-time comparison: the sandbox should not teach timing leaks by example.
        let a = Array(expected.utf8)
        let b = Array(token.utf8)
        guard a.count == b.count else { return false }
        return zip(a, b).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) } == 0
    }
}
