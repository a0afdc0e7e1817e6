import AsyncHTTPClient
import CouponModel
import Foundation
import Testing

@testable import Zvcms

@Suite("TokenSigner and request envelopes")
struct TokenSignerTests {
    @Test("the documented test vector signs to ySypL4SRFMmfSrCqOiFE01LK3ks%3D")
    func documentedVector() {
        let signer = TokenSigner(openKey: OpenKey("fake-open-key-for-test-only-0001"))
        let token = signer.token(
            openID: "fake-open-id-for-test-only-0001", grantCode: "fake-grant-code-0001", nonce: 24680,
            timestamp: 1_712_563_200)
        #expect(token == "ySypL4SRFMmfSrCqOiFE01LK3ks%3D")
    }

    @Test("the string to sign is the four public fields sorted by lower-camel key")
    func stringToSign() {
        #expect(
            TokenSigner.stringToSign(openID: "oid", grantCode: "gc", nonce: 7, timestamp: 1_712_563_200)
                == "grantCode=gc&nonce=7&openId=oid&timestamp=1712563200")
    }

    @Test("Base64's +, / and = are percent-encoded, nothing else")
    func urlEncoding() {
        #expect(TokenSigner.urlEncode("a+b/c9Z==") == "a%2Bb%2Fc9Z%3D%3D")
    }

    @Test("every request gets a fresh nonce and token and the current timestamp")
    func freshPerRequest() throws {
        let client = ZvcmsClient(account: Self.account, httpClient: .shared)
        let (_, first) = client.envelope(for: .couponStatus, params: ["id": "1"])
        let (_, second) = client.envelope(for: .couponStatus, params: ["id": "1"])
        #expect(first.nonce != second.nonce)
        #expect(first.token != second.token)
        #expect(first.nonce > 0)
        #expect(abs(first.timestamp - Int64(Date().timeIntervalSince1970)) <= 5)
    }

    @Test("API 3.0 posts lower-camel fields with numeric nonce and timestamp to /v3/<path>")
    func v3Envelope() throws {
        let client = ZvcmsClient(account: Self.account, httpClient: .shared)
        let (url, envelope) = client.envelope(for: .customerCoupons, params: ["customerId": "383933091455959041"])
        #expect(url == "https://openapi.example.test/v3/crm/coupon/getCustomerCoupons")
        let body = try JSONDecoder().decode(JSONValue.self, from: Data(envelope.encoded()))
        #expect(Set(body.objectValue?.keys.map { $0 } ?? []) == ["openId", "grantCode", "nonce", "timestamp", "token", "params"])
        #expect(body["nonce"]?.integerValue == envelope.nonce)
        #expect(body["timestamp"]?.integerValue == envelope.timestamp)
        #expect(body["params"]?["customerId"] == "383933091455959041")
        #expect(
            body["token"]?.stringValue
                == TokenSigner(openKey: OpenKey("k")).token(
                    openID: "oid", grantCode: "gc", nonce: envelope.nonce, timestamp: envelope.timestamp))
    }

    @Test("API 2.0 posts PascalCase fields with the Action to /api/v2")
    func v2Envelope() throws {
        let client = ZvcmsClient(account: Self.account, httpClient: .shared)
        let (url, envelope) = client.envelope(for: .userUseCoupon, params: ["multi_mark": "S1"])
        #expect(url == "https://openapi.example.test/api/v2")
        let body = try JSONDecoder().decode(JSONValue.self, from: Data(envelope.encoded()))
        #expect(
            Set(body.objectValue?.keys.map { $0 } ?? [])
                == ["OpenId", "GrantCode", "Token", "Timestamp", "Nonce", "Action", "Params"])
        #expect(body["Action"] == "user.user-use-coupon")
        #expect(body["Timestamp"]?.stringValue == String(envelope.timestamp))
        #expect(body["Params"]?["multi_mark"] == "S1")
    }

    static let account = ZvcmsAccount(
        openID: "oid", grantCode: "gc", openKey: OpenKey("k"), baseURL: "https://openapi.example.test/")
}
