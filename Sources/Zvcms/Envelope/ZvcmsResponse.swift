import CouponModel
import Foundation

/// The common answer of API 2.0 and 3.0: `{"status","code","message","data","traceId"?}`.
///
/// Decoded tolerantly, because the platform is inconsistent: `status` arrives as `true`,
/// `"true"`, `1` or `"1"`; `code` as `0` or `"0"`; unknown fields are ignored. Success
/// needs both `status` true and `code` 0 (the seeds show "not found" as `status:true` with
/// a non-zero code).
struct ZvcmsResponse: Decodable {
    var status: Bool
    var code: String
    var message: String
    /// `data` with every number as exact text (see `LosslessJSON`); `.null` when absent.
    var data: JSONValue
    var traceID: String?

    var isSuccess: Bool { status && code == "0" }

    private enum CodingKeys: String, CodingKey {
        case status, code, message, data, msg
        case traceID = "traceId"
    }

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let statusText = try c.decode(ScalarString.self, forKey: .status).text.lowercased()
        switch statusText {
        case "true", "1": status = true
        case "false", "0", "": status = false
        default:
            throw DecodingError.dataCorruptedError(
                forKey: .status, in: c, debugDescription: "status \(statusText) is not a boolean")
        }
        code = (try c.decodeIfPresent(ScalarString.self, forKey: .code)?.text ?? "")
            .trimmingCharacters(in: .whitespaces)
        message =
            try c.decodeIfPresent(ScalarString.self, forKey: .message)?.text
            ?? c.decodeIfPresent(ScalarString.self, forKey: .msg)?.text ?? ""
        data = try c.decodeIfPresent(LosslessJSON.self, forKey: .data)?.value ?? .null
        traceID = try? c.decodeIfPresent(ScalarString.self, forKey: .traceID)?.text
    }

    /// Decodes `bytes`, naming what is wrong when they are not a zvcms answer.
    static func decode(_ bytes: [UInt8]) throws(ZvcmsError) -> ZvcmsResponse {
        do {
            return try JSONDecoder().decode(ZvcmsResponse.self, from: Data(bytes))
        } catch {
            let preview = String(decoding: bytes.prefix(80), as: UTF8.self)
            throw .undecodableResponse(reason: "\(Self.describe(error)); body starts \(preview.debugDescription)")
        }
    }

    private static func describe(_ error: any Error) -> String {
        switch error {
        case DecodingError.keyNotFound(let key, _): "missing \(key.stringValue)"
        case DecodingError.dataCorrupted(let context): context.debugDescription
        case DecodingError.typeMismatch(_, let context): context.debugDescription
        default: "not JSON"
        }
    }
}

/// A scalar decoded as text whatever its JSON type (string, number, boolean).
struct ScalarString: Decodable {
    let text: String

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            text = ""
        } else if let text = ScalarText.any(in: container) {
            self.text = text
        } else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "not a scalar")
        }
    }
}
