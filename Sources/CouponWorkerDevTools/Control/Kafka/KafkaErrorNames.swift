import Kafka

/// librdkafka's error names (`NOT_LEADER_FOR_PARTITION`, `_TRANSPORT`: the enum names without
/// `RD_KAFKA_RESP_ERR_`) back to codes, for requests that name the error to inject.
///
/// Built from librdkafka itself (`KafkaErrorCode.name` over the range of codes), so every
/// code the linked librdkafka knows is accepted, plus the names rdkafka.h keeps as aliases
/// and the newer spelling of `NOT_LEADER_FOR_PARTITION`.
enum KafkaErrorNames {
    /// Covers librdkafka's local errors (-200 < code < 0) and the Kafka protocol's (≥ 0);
    /// codes it does not know come back as `ERR_<n>?` and are skipped.
    private static let codeRange: ClosedRange<Int32> = -200...400

    private static let aliases: [String: String] = [
        "NOT_LEADER_OR_FOLLOWER": "NOT_LEADER_FOR_PARTITION",
        "GROUP_LOAD_IN_PROGRESS": "COORDINATOR_LOAD_IN_PROGRESS",
        "GROUP_COORDINATOR_NOT_AVAILABLE": "COORDINATOR_NOT_AVAILABLE",
        "NOT_COORDINATOR_FOR_GROUP": "NOT_COORDINATOR",
    ]

    private static let codesByName: [String: KafkaErrorCode] = {
        var table: [String: KafkaErrorCode] = [:]
        for rawValue in codeRange {
            let code = KafkaErrorCode(rawValue: rawValue)
            let name = code.name
            guard !name.hasSuffix("?"), table[name] == nil else { continue }
            table[name] = code
        }
        for (alias, name) in aliases where table[alias] == nil {
            table[alias] = table[name]
        }
        return table
    }()

    /// The code named `name` (case-insensitive; a leading `RD_KAFKA_RESP_ERR_` is allowed).
    static func code(named name: String) -> KafkaErrorCode? {
        var key = name.uppercased()
        if key.hasPrefix("RD_KAFKA_RESP_ERR_") { key.removeFirst("RD_KAFKA_RESP_ERR_".count) }
        return codesByName[key]
    }
}
