import CouponModel
import Foundation

/// The signed body of one request, in the API generation the call belongs to.
///
/// API 3.0: `{"openId","grantCode","nonce":n,"timestamp":n,"token","params":{…}}` with
/// nonce and timestamp as JSON numbers (docs/zvcms.md). API 2.0: PascalCase
/// `{"OpenId","GrantCode","Token","Timestamp","Nonce","Action","Params":{…}}` with
/// Timestamp and Nonce as strings, as the seed's request example shows.
struct ZvcmsRequestEnvelope {
    enum Generation {
        case v2(action: String)
        case v3
    }

    var generation: Generation
    var openID: String
    var grantCode: String
    var nonce: Int64
    var timestamp: Int64
    var token: String
    var params: [String: JSONValue]

    var json: JSONValue {
        switch generation {
        case .v2(let action):
            [
                "OpenId": .string(openID), "GrantCode": .string(grantCode), "Token": .string(token),
                "Timestamp": .string(String(timestamp)), "Nonce": .string(String(nonce)),
                "Action": .string(action), "Params": .object(params),
            ]
        case .v3:
            [
                "openId": .string(openID), "grantCode": .string(grantCode), "nonce": .integer(nonce),
                "timestamp": .integer(timestamp), "token": .string(token), "params": .object(params),
            ]
        }
    }

    /// The JSON body bytes (members sorted, no whitespace).
    func encoded() -> [UInt8] {
        CanonicalJSON.bytes(of: json)
    }
}
