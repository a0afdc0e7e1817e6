import CRdKafka

/// A reference to one of a client's queues, kept only to wake up a blocked poll.
///
/// `@unchecked Sendable`: `rd_kafka_queue_yield` is documented as callable from any
/// thread; `destroy` is called once by the poll thread after `ClientLifecycle` guarantees
/// no `yield` is in progress (yields happen inside leases).
final class RDKafkaQueue: @unchecked Sendable {
    private let pointer: OpaquePointer

    init?(consumerQueueOf handle: RDKafkaHandle) {
        guard let queue = rd_kafka_queue_get_consumer(handle.pointer) else { return nil }
        pointer = queue
    }

    /// Makes the current (or next) poll of this queue return immediately.
    func yield() {
        rd_kafka_queue_yield(pointer)
    }

    /// Releases the reference; must happen before the client is destroyed.
    func destroy() {
        rd_kafka_queue_destroy(pointer)
    }
}
