import Foundation
import _CryptoExtras

/// Checks that a response comes from WeChat Pay.
///
/// The signed string is three lines, each ending in `\n`: `TIMESTAMP\nNONCE\nRAW_BODY\n`,
/// over the body bytes exactly as received (never a re-serialised body). The timestamp must be
/// within `maxClockSkew` of local time, so a captured response cannot be replayed later.
public struct ResponseVerifier: Sendable {
    /// How far the response timestamp may be from local time (WeChat Pay's rule: 300 s).
    public var maxClockSkew: Int64

    public init(maxClockSkew: Int64 = 300) {
        self.maxClockSkew = maxClockSkew
    }

    /// The exact bytes WeChat Pay signs for one response.
    public static func message(timestamp: String, nonce: String, body: [UInt8]) -> [UInt8] {
        SignedLines.message([ArraySlice(timestamp.utf8), ArraySlice(nonce.utf8), body[...]])
    }

    /// Throws unless the timestamp is fresh against `now`.
    public func checkTimestamp(_ signature: ResponseSignature, now: Date) throws(ResponseVerificationFailure) {
        guard let seconds = Int64(signature.timestamp),
            abs(seconds - Int64(now.timeIntervalSince1970.rounded(.down))) <= maxClockSkew
        else { throw .timestampOutOfWindow(timestamp: signature.timestamp) }
    }

    /// Throws unless `signature` is a valid RSASSA-PKCS1-v1_5 / SHA-256 signature by `key`
    /// over `body`.
    public func checkSignature(
        _ signature: ResponseSignature, body: [UInt8], key: _RSA.Signing.PublicKey
    ) throws(ResponseVerificationFailure) {
        guard let raw = Data(base64Encoded: signature.signature) else { throw .badSignature(serial: signature.serial) }
        let message = Self.message(timestamp: signature.timestamp, nonce: signature.nonce, body: body)
        let valid = key.isValidSignature(
            _RSA.Signing.RSASignature(rawRepresentation: raw), for: message, padding: .insecurePKCS1v1_5)
        guard valid else { throw .badSignature(serial: signature.serial) }
    }
}
