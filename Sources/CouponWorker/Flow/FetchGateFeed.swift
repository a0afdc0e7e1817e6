/// Feeds the depth of the consumer's buffer to flow control's `FetchGate`, and applies the
/// pauses when the gate closes or opens.
///
/// The reading loop feeds it before every record; `watch` feeds it while that loop waits for a
/// slot (the store or the results topic is down) and reads nothing that would.
struct FetchGateFeed: Sendable {
    let flows: PartitionFlows
    let applier: PauseApplier
    /// Records the consumer has fetched and not handed out yet.
    let buffered: @Sendable () -> Int

    /// Takes one reading, and applies a change.
    func observe() async {
        if flows.observeBuffer(buffered()) {
            await applier.apply()
        }
    }

    /// Takes a reading every 100 ms until cancelled.
    func watch() async {
        while !Task.isCancelled {
            await observe()
            try? await Task.sleep(for: .milliseconds(100))
        }
    }
}
