import Histogram
import Synchronization

/// Latencies in microseconds, recorded from the reader's task and read once at the end.
final class LatencyRecorder: Sendable {
    private let histogram = Mutex(Histogram<UInt64>(
        lowestDiscernibleValue: 1, highestTrackableValue: 600_000_000, numberOfSignificantValueDigits: .three))

    func record(_ latency: Duration) {
        let micros = max(1, UInt64(max(0, latency.seconds) * 1_000_000))
        histogram.withLock { _ = $0.record(micros) }
    }

    var snapshot: Histogram<UInt64> { histogram.withLock { $0 } }
}
