/// How a consumer group spreads partitions over its members.
///
/// All members of one group must use the same kind: never mix eager and cooperative.
public enum KafkaAssignmentStrategy: Sendable, Hashable {
    /// `range,roundrobin`: every rebalance revokes everything, then assigns anew. The
    /// default, because cooperative-sticky has several bugs in librdkafka up to 2.10.
    case eager
    /// `cooperative-sticky`: only moved partitions are revoked (incremental rebalancing).
    case cooperativeSticky

    var librdkafkaValue: String {
        switch self {
        case .eager: "range,roundrobin"
        case .cooperativeSticky: "cooperative-sticky"
        }
    }
}
