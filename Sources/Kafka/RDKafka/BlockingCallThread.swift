import Foundation

/// Runs a blocking librdkafka call (sync commit, metadata, admin result wait) on a thread
/// of its own so it never occupies Swift's cooperative pool.
enum BlockingCallThread {
    static func run<Success: Sendable>(
        name: String,
        _ body: @escaping @Sendable () -> Result<Success, KafkaError>
    ) async throws(KafkaError) -> Success {
        let result = await withCheckedContinuation { (continuation: CheckedContinuation<Result<Success, KafkaError>, Never>) in
            let thread = Thread {
                continuation.resume(returning: body())
            }
            thread.name = name
            thread.start()
        }
        return try result.get()
    }
}

extension Duration {
    /// Milliseconds for librdkafka's `int timeout_ms` parameters, clamped to `Int32`.
    var rdKafkaMilliseconds: Int32 {
        let (seconds, attoseconds) = components
        let milliseconds = seconds * 1_000 + attoseconds / 1_000_000_000_000_000
        return Int32(clamping: max(0, milliseconds))
    }
}
