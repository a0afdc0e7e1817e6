import Kafka
import Logging

/// The way into the pipeline and out of it: a slot of the in-flight limit, flow control's
/// verdict on the record, a place in its key's line, and the command's task; at the end the
/// offset, the slot and the pauses.
///
/// The task is created inside the admission, under flow control's lock (`PartitionFlows`): a
/// revoke either sees it or has stopped the admission, so no command runs untracked.
struct Admission: Sendable {
    let flows: PartitionFlows
    let limit: InFlightLimit
    let scheduler: KeyedScheduler
    /// The only caller of the consumer's pause and resume.
    let applier: PauseApplier
    let stuckCommandLimit: Duration
    let metrics: WorkerMetrics
    let logger: Logger

    /// Waits for a slot, then starts `run` as `message`'s command with its id and its turn in
    /// its key's line, unless flow control drops the record (fetched before a rebalance, or
    /// delivered again). `run` must end with ``finish(_:acknowledged:storeOffset:)``.
    /// Returns false when reading must stop (cancelled while waiting for a slot).
    func admit(
        _ message: KafkaConsumerMessage,
        run: @escaping @Sendable (PartitionFlows.CommandID, KeyedScheduler.Turn) async -> Void
    ) async -> Bool {
        do { try await limit.acquire() } catch { return false }
        let admission = flows.admit(message, at: .now) { id in
            let key = message.key.map { String(decoding: $0, as: UTF8.self) } ?? "\(message.topic)/\(message.partition)/\(message.offset)"
            let turn = scheduler.enqueue(key: key)
            return Task { await run(id, turn) }
        }
        switch admission {
        case .start(_, let pausesChanged):
            metrics.inFlight(limit.inUse)
            if pausesChanged { await applier.apply() }
        case .stale:
            limit.release()
            metrics.stale(topic: message.topic)
            logger.debug("record fetched before a rebalance; dropped", metadata: [
                "topic": "\(message.topic)", "partition": "\(message.partition)", "offset": "\(message.offset)",
            ])
        case .redelivered:
            limit.release()
            metrics.redelivered(topic: message.topic)
            logger.warning("record delivered again in the same assignment; dropped (it is running or done)", metadata: [
                "topic": "\(message.topic)", "partition": "\(message.partition)", "offset": "\(message.offset)",
            ])
        }
        return true
    }

    /// Ends a command: when its partition's prefix grew, `storeOffset` gets the next offset
    /// (under flow control's lock, so stored offsets never move backwards); then frees its slot,
    /// applies what changed in the desired pauses, and reports a partition it stalled.
    func finish(
        _ id: PartitionFlows.CommandID, acknowledged: Bool, storeOffset: (KafkaTopicPartition, Int64) -> Void
    ) async {
        let completion = flows.finish(id, acknowledged: acknowledged, storeOffset: storeOffset)
        limit.release()
        metrics.inFlight(limit.inUse)
        if let stall = completion.stall {
            logger.error(
                "partition stalled: a command was abandoned outside a revoke; its offset cannot be committed past it until the partition moves; /healthz reports not live",
                metadata: ["partition": "\(stall.partition)", "offset": "\(id.offset)"])
            metrics.stalledPartitions(flows.stalls(at: .now, limit: stuckCommandLimit).count)
        }
        if completion.pausesChanged { await applier.apply() }
    }
}
