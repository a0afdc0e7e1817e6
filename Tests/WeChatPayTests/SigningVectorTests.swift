import Foundation
import Testing

@testable import WeChatPay

/// Request signing and response verification against signatures made by the openssl CLI
/// (Vectors/OpenSSLVectors.swift, with the commands that made them).
@Suite("Signing and verification match openssl")
struct SigningVectorTests {
    let signer = RequestSigner(
        mchid: "1900000001", certificateSerial: "3775B6A45ACD588826D15E583A95F5DD2C1B3D41",
        privateKey: try! MerchantPrivateKey(pemRepresentation: OpenSSLVectors.merchantPrivateKeyPEM))

    static let postBody = #"{"appid":"wx1234567890abcdef","coupon_type":"NORMAL","openid":"oUpF8uMuAJO_M2pxb1Q9zNjWeS6o","out_request_no":"ORD-1|a_b*c","stock_id":"1212000001"}"#

    @Test("a POST is signed over the five-line string exactly as openssl signs it")
    func postSignatureMatchesOpenSSL() throws {
        let signature = try signer.signature(
            method: "POST", pathAndQuery: "/v3/marketing/busifavor/product-coupons/send", timestamp: 1_700_000_000,
            nonce: "593BEC0C930BF1AFEB40B4A08C8FB242", body: Array(Self.postBody.utf8))
        #expect(signature == OpenSSLVectors.postSignature)
    }

    @Test("a GET with an encoded openid signs the encoded path and an empty body line")
    func getSignatureMatchesOpenSSL() throws {
        let target = RequestTarget(
            ["v3", "marketing", "busifavor", "users", .parameter("o/Ab%c D"), "coupons"],
            query: [("appid", "wx1234567890abcdef"), ("stock_id", nil), ("sender_merchant", "1900000001"),
                    ("offset", "0"), ("limit", "20")])
        #expect(target.pathAndQuery
            == "/v3/marketing/busifavor/users/o%2FAb%25c%20D/coupons?appid=wx1234567890abcdef&sender_merchant=1900000001&offset=0&limit=20")
        let signature = try signer.signature(
            method: "GET", pathAndQuery: target.pathAndQuery, timestamp: 1_700_000_001,
            nonce: "7A1D4F0E6B2C4E83A1F0C9D8E7B6A5F4", body: [])
        #expect(signature == OpenSSLVectors.getSignature)
    }

    @Test("the Authorization header carries all five fields in the documented scheme")
    func authorizationHeaderShape() throws {
        let header = try signer.authorization(
            method: "POST", pathAndQuery: "/v3/marketing/busifavor/product-coupons/send", timestamp: 1_700_000_000,
            nonce: "593BEC0C930BF1AFEB40B4A08C8FB242", body: Array(Self.postBody.utf8))
        #expect(header == #"WECHATPAY2-SHA256-RSA2048 mchid="1900000001",nonce_str="593BEC0C930BF1AFEB40B4A08C8FB242",timestamp="1700000000",serial_no="3775B6A45ACD588826D15E583A95F5DD2C1B3D41",signature="\#(OpenSSLVectors.postSignature)""#)
    }

    @Test("percent-encoding keeps RFC 3986 unreserved characters and never changes case")
    func percentEncoding() {
        #expect(RequestTarget.percentEncode("AbC-._~09") == "AbC-._~09")
        #expect(RequestTarget.percentEncode("a/b%c d+é") == "a%2Fb%25c%20d%2B%C3%A9")
    }

    @Test("a response signed by openssl with the platform key verifies with the certificate's key")
    func responseSignatureVerifies() throws {
        let certificate = try PlatformCertificate(pem: OpenSSLVectors.platformCertificatePEM)
        let body = Array(#"{"coupon_code":"100000000001","out_request_no":"ORD-1|a_b*c","stock_id":"1212000001"}"#.utf8)
        let signature = ResponseSignature(
            timestamp: "1700000002", nonce: "VbjTf0wMPn3tPyp8jYxSFpfxxUb7ZWeh", signature: OpenSSLVectors.responseSignature,
            serial: OpenSSLVectors.platformSerial)
        try ResponseVerifier().checkSignature(signature, body: body, key: certificate.publicKey)
    }

    @Test("a re-serialised or altered body fails verification")
    func alteredBodyFails() throws {
        let certificate = try PlatformCertificate(pem: OpenSSLVectors.platformCertificatePEM)
        let reserialised = Array(#"{"coupon_code": "100000000001","out_request_no": "ORD-1|a_b*c","stock_id": "1212000001"}"#.utf8)
        let signature = ResponseSignature(
            timestamp: "1700000002", nonce: "VbjTf0wMPn3tPyp8jYxSFpfxxUb7ZWeh", signature: OpenSSLVectors.responseSignature,
            serial: OpenSSLVectors.platformSerial)
        #expect(throws: ResponseVerificationFailure.badSignature(serial: OpenSSLVectors.platformSerial)) {
            try ResponseVerifier().checkSignature(signature, body: reserialised, key: certificate.publicKey)
        }
    }

    @Test("a response timestamp more than 300 s from local time is rejected")
    func staleTimestampRejected() throws {
        let signature = ResponseSignature(timestamp: "1700000002", nonce: "n", signature: "s", serial: "x")
        let verifier = ResponseVerifier()
        try verifier.checkTimestamp(signature, now: Date(timeIntervalSince1970: 1_700_000_302))
        #expect(throws: ResponseVerificationFailure.timestampOutOfWindow(timestamp: "1700000002")) {
            try verifier.checkTimestamp(signature, now: Date(timeIntervalSince1970: 1_700_000_303))
        }
    }

    @Test("a nonce is 32 upper-case hex digits, every digit drawn afresh: no position is fixed, no half repeats the other, no two nonces alike")
    func noncesAreFreshHex() {
        let nonces = (0..<2_000).map { _ in RequestSigner.makeNonce() }
        let hex = Set("0123456789ABCDEF")
        #expect(nonces.allSatisfy { $0.count == 32 && $0.allSatisfy(hex.contains) })
        #expect(Set(nonces).count == nonces.count)
        #expect(nonces.allSatisfy { $0.prefix(16) != $0.suffix(16) })
        // Over 2,000 nonces every position shows all 16 digits (a fixed or biased position would not).
        for position in 0..<32 {
            let seen = Set(nonces.map { Array($0)[position] })
            #expect(seen.count == 16, "position \(position) showed \(seen.sorted())")
        }
    }
}
