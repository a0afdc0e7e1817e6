/// Kafka protocol request types (ApiKeys) the mock cluster can inject errors into.
public enum KafkaProtocolRequest: Int16, Sendable, Hashable {
    case produce = 0
    case fetch = 1
    case listOffsets = 2
    case metadata = 3
    case offsetCommit = 8
    case offsetFetch = 9
    case findCoordinator = 10
    case joinGroup = 11
    case heartbeat = 12
    case leaveGroup = 13
    case syncGroup = 14
    case initProducerID = 22
}
