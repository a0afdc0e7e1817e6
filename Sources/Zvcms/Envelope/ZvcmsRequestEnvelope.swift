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

    /// The JSON body bytes (members sorted, no whitespace).
    func encoded() -> [UInt8] {
        CanonicalJSON.bytes(ofSortedMembers: members, capacity: 512)
    }

    /// The body's members in canonical order (by key, UTF-8 byte order).
    private var members: KeyValuePairs<String, JSONValue> {
        switch generation {
        case .v2(let action):
            [
                "Action": .string(action), "GrantCode": .string(grantCode), "Nonce": .string(String(nonce)),
                "OpenId": .string(openID), "Params": .object(params), "Timestamp": .string(String(timestamp)),
                "Token": .string(token),
            ]
        case .v3:
            [
                "grantCode": .string(grantCode), "nonce": .integer(nonce), "openId": .string(openID),
                "params": .object(params), "timestamp": .integer(timestamp), "token": .string(token),
            ]
        }
    }
}
