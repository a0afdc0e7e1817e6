import Kafka

extension KafkaProtocolRequest {
    /// The snake_case names the control API takes, one per request type the mock cluster
    /// can inject errors into.
    static let controlNames: [String: KafkaProtocolRequest] = [
        "produce": .produce,
        "fetch": .fetch,
        "list_offsets": .listOffsets,
        "metadata": .metadata,
        "offset_commit": .offsetCommit,
        "offset_fetch": .offsetFetch,
        "find_coordinator": .findCoordinator,
        "join_group": .joinGroup,
        "heartbeat": .heartbeat,
        "leave_group": .leaveGroup,
        "sync_group": .syncGroup,
        "init_producer_id": .initProducerID,
    ]
}
