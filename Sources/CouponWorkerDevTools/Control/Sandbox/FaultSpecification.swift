import CouponSandbox

/// One sandbox fault as the admin API spells it, e.g. `{"fault":"http_status","status":503,
/// "probability":0.05}` or `{"fault":"clock_skew","seconds":400}`.
///
/// `fault` is one of `http_status` (with `status`), `timeout_after_processing`,
/// `answer_stalls`, `late_processing` (with `milliseconds`), `connection_reset`,
/// `wrong_signature`, `clock_skew` (with `seconds`). `probability`
/// (0...1) is required in a mix and ignored when injecting.
struct FaultSpecification: Decodable, Sendable {
    var fault: SandboxFault
    var probability: Double?

    private enum CodingKeys: String, CodingKey {
        case fault, status, seconds, milliseconds, probability
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let name = try container.decode(String.self, forKey: .fault)
        switch name {
        case "http_status":
            let status = try container.decode(Int.self, forKey: .status)
            guard (100...599).contains(status) else {
                throw DecodingError.dataCorruptedError(forKey: .status, in: container, debugDescription: "must be an HTTP status (100...599)")
            }
            fault = .httpStatus(status)
        case "timeout_after_processing":
            fault = .timeoutAfterProcessing
        case "answer_stalls":
            fault = .answerStalls
        case "late_processing":
            let milliseconds = try container.decode(Int.self, forKey: .milliseconds)
            guard milliseconds >= 0 else {
                throw DecodingError.dataCorruptedError(forKey: .milliseconds, in: container, debugDescription: "must not be negative")
            }
            fault = .lateProcessing(.milliseconds(milliseconds))
        case "connection_reset":
            fault = .connectionReset
        case "wrong_signature":
            fault = .wrongSignature
        case "clock_skew":
            fault = .clockSkew(seconds: try container.decode(Int.self, forKey: .seconds))
        default:
            throw DecodingError.dataCorruptedError(
                forKey: .fault, in: container,
                debugDescription: "unknown fault \"\(name)\"; known: http_status, timeout_after_processing, "
                    + "answer_stalls, late_processing, connection_reset, wrong_signature, clock_skew")
        }
        probability = try container.decodeIfPresent(Double.self, forKey: .probability)
        if let probability, !(0...1).contains(probability) {
            throw DecodingError.dataCorruptedError(forKey: .probability, in: container, debugDescription: "must be within 0...1")
        }
    }
}
