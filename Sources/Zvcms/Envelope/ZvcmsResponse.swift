import CouponModel
import Foundation

/// The common answer of API 2.0 and 3.0: `{"status","code","message","data","traceId"?}`.
///
/// Read tolerantly, because the platform is inconsistent: `status` arrives as `true`,
/// `"true"`, `1` or `"1"`; `code` as `0` or `"0"`; unknown fields are ignored. Success
/// needs both `status` true and `code` 0 (the seeds show "not found" as `status:true` with
/// a non-zero code). Parsed by the strict parser with every number kept as its exact text,
/// so ids never pass through `Double` and result data has one form whatever zvcms sent (the
/// seeds show `"user_id":"383933091455959041"` as a string, other answers send numbers).
struct ZvcmsResponse {
    var status: Bool
    var code: String
    var message: String
    /// `data` with every number as exact text; `.null` when absent.
    var data: JSONValue
    var traceID: String?

    var isSuccess: Bool { status && code == "0" }

    /// Decodes `bytes`, naming what is wrong when they are not a zvcms answer.
    static func decode(_ bytes: [UInt8]) throws(ZvcmsError) -> ZvcmsResponse {
        func refuse(_ reason: String) -> ZvcmsError {
            let preview = String(decoding: bytes.prefix(80), as: UTF8.self)
            return .undecodableResponse(reason: "\(reason); body starts \(preview.debugDescription)")
        }
        let document: JSONValue
        do {
            document = try StrictJSON.parse(bytes, numbersAsText: true)
        } catch {
            throw refuse("not JSON: \(error)")
        }
        guard let fields = document.objectValue else { throw refuse("not a JSON object") }
        guard let statusField = fields["status"] else { throw refuse("missing status") }
        guard let statusText = scalarText(statusField)?.lowercased() else { throw refuse("status is not a scalar") }
        let status: Bool
        switch statusText {
        case "true", "1": status = true
        case "false", "0", "": status = false
        default: throw refuse("status \(statusText) is not a boolean")
        }
        guard let code = scalarText(fields["code"] ?? .null) else { throw refuse("code is not a scalar") }
        guard let message = scalarText(fields["message"] ?? fields["msg"] ?? .null) else {
            throw refuse("message is not a scalar")
        }
        return ZvcmsResponse(
            status: status, code: trimmed(code), message: message, data: fields["data"] ?? .null,
            traceID: fields["traceId"].flatMap(scalarText))
    }

    /// `text` without white space around it (a code sent as `" 0"`); no Foundation bridging on
    /// every answer.
    private static func trimmed(_ text: String) -> String {
        guard let first = text.firstIndex(where: { !$0.isWhitespace }),
            let last = text.lastIndex(where: { !$0.isWhitespace })
        else { return "" }
        return String(text[first...last])
    }

    /// A scalar as text whatever its JSON type (numbers are text already); null is "".
    private static func scalarText(_ value: JSONValue) -> String? {
        switch value {
        case .null: ""
        case .string(let text): text
        case .bool(let flag): flag ? "true" : "false"
        case .integer(let number): String(number)
        case .double(let number): number.description
        case .array, .object: nil
        }
    }
}
