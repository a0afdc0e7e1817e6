/// One assigned partition inside `FlowControl`: its commands in flight, its commit position,
/// whether it is full, revoking or stalled.
///
/// Invariants:
/// - `running` holds exactly the offsets admitted under `generation` whose command has not
///   finished; its count, not the tracker's, decides whether the partition is full, so an
///   abandoned command (finished, never completed) does not keep its partition paused.
/// - `tracker` is completed only for acknowledged commands, so the offset to store never passes
///   an abandoned or running command.
/// - `full` has hysteresis: set at `running.count >= limit`, cleared at `<= limit / 2`.
/// - `delivered` never goes back to false within one assignment.
struct PartitionFlow: Sendable {
    /// The assignment this state belongs to (`KafkaConsumerMessage.assignmentGeneration`).
    let generation: UInt64
    var tracker = OffsetTracker()
    /// Running commands by offset, with the instant each was admitted (stuck-command watch).
    var running: [Int64: ContinuousClock.Instant] = [:]
    /// A record of this assignment was admitted, so librdkafka has handed one out and knows
    /// the application's position. Only then may the partition be paused: librdkafka 2.0.2
    /// pausing a partition that has handed out nothing yet (still looking up its start offset)
    /// can make a later resume restart it from its committed offset, delivering again records
    /// already handed out (reproduced on the mock cluster; see `FlowControl`).
    var delivered = false
    /// Paused for backpressure on its own (too many of its commands in flight).
    var full = false
    /// A revoke began: nothing more is admitted, nothing is paused or resumed.
    var revoking = false
    /// The first command abandoned outside a revoke: the partition's offset is stuck before it.
    var abandoned: Int64?
    /// A stuck command was reported; cleared once no command is stuck, so a new episode is
    /// reported again.
    var stuckReported = false

    init(generation: UInt64) {
        self.generation = generation
    }

    /// The command that has run longest, and for how long, if it runs at least `limit`.
    func stuckCommand(at now: ContinuousClock.Instant, limit: Duration) -> (offset: Int64, runningFor: Duration)? {
        guard let oldest = running.min(by: { $0.value < $1.value }) else { return nil }
        let age = oldest.value.duration(to: now)
        return age >= limit ? (oldest.key, age) : nil
    }
}
