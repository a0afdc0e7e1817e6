import CouponModel
import Foundation

/// An error answer from WeChat Pay: the HTTP status and the body
/// `{"code","message","detail":{"field","value","issue","location"}}` (`detail` optional).
public struct WeChatErrorResponse: Sendable, Hashable {
    public var status: Int
    /// `PARAM_ERROR`, `SIGN_ERROR`, `SYSTEM_ERROR`, … or a business code. Empty when the
    /// body was not an error document (a proxy's HTML page, for instance).
    public var code: String
    public var message: String
    /// The `detail` object as sent, when present.
    public var detail: JSONValue?
    /// The `Request-ID` header, for WeChat Pay support tickets.
    public var requestID: String?

    public init(status: Int, code: String, message: String, detail: JSONValue? = nil, requestID: String? = nil) {
        self.status = status
        self.code = code
        self.message = message
        self.detail = detail
        self.requestID = requestID
    }

    /// Reads an error body; anything unreadable keeps the status and a short excerpt.
    init(status: Int, body: [UInt8], requestID: String?) {
        struct Wire: Decodable {
            var code: String?
            var message: String?
            var detail: JSONValue?
        }
        if let wire = try? JSONDecoder().decode(Wire.self, from: Data(body)), let code = wire.code {
            self.init(status: status, code: code, message: wire.message ?? "", detail: wire.detail, requestID: requestID)
        } else {
            let excerpt = String(decoding: body.prefix(200), as: UTF8.self)
            self.init(status: status, code: "", message: excerpt, detail: nil, requestID: requestID)
        }
    }

    /// `detail.field` and `detail.issue` when present: what an operator needs to fix a request.
    var detailSummary: String? {
        guard let detail else { return nil }
        let parts = ["field", "issue", "location"].compactMap { key in detail[key]?.stringValue.map { "\(key)=\($0)" } }
        return parts.isEmpty ? nil : parts.joined(separator: " ")
    }
}
