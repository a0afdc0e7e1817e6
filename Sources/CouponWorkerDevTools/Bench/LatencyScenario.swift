import CouponModel
import Foundation
import Histogram
import Kafka

/// Scenario 5: end-to-end latency, command produced → result consumed, at a fixed rate
/// (half the measured maximum) with a 50 ms provider.
///
/// A paced producer sends each command at its scheduled instant and stamps that instant
/// (not the moment the send happened) into the `tracestate` header, which the worker copies
/// onto the result; a reader takes the difference when the result arrives. Stamping the
/// schedule keeps a stalled producer from hiding delay (coordinated omission).
struct LatencyScenario {
    var ratePerSecond: Double
    var duration: Duration
    var providerLatency: Duration = .milliseconds(50)
    var partitions: Int32 = 6
    /// Commands sent and awaited before the clock starts: the worker has joined its group,
    /// the reader is reading and the HTTP connections are open.
    var warmUpCommands = 50
    /// `fetch.wait.max.ms` of the worker and the reader: the mock broker holds an empty
    /// fetch this long even when records arrive (see `BenchStage.consumerProperties`).
    var fetchWaitMilliseconds = 1

    struct Measurement: Sendable {
        /// Microseconds, command scheduled → result read.
        var histogram: Histogram<UInt64>
        var ratePerSecond: Double
        var tally: ResultTally

        func milliseconds(atPercentile percentile: Double) -> Double {
            Double(histogram.valueAtPercentile(percentile)) / 1000
        }
    }

    static let stampPrefix = "bench="

    func run(on stage: BenchStage) async throws -> Measurement {
        let run = UUID().uuidString.prefix(6).uppercased()
        let topics = try stage.workerTopics("latency", partitions: partitions)
        stage.sandboxes.zvcms.faults.latency = providerLatency
        defer { stage.sandboxes.zvcms.faults.latency = .zero }
        let reader = try stage.reader(of: [topics.results], fetchWaitMilliseconds: fetchWaitMilliseconds)
        var shape = BenchWorker.Shape()
        shape.fetchWaitMilliseconds = fetchWaitMilliseconds
        let worker: BenchWorker
        do {
            worker = try BenchWorker.start(on: stage, topics: topics, shape: shape)
        } catch {
            await reader.close()
            throw error
        }
        do {
            let measurement = try await worker.watching {
                try await measure(stage: stage, topics: topics, reader: reader, run: String(run))
            }
            await worker.stop()
            await reader.close()
            return measurement
        } catch {
            await worker.stop()
            await reader.close()
            throw error
        }
    }

    private func measure(stage: BenchStage, topics: BenchStage.Topics, reader: KafkaConsumer, run: String) async throws -> Measurement {
        let producer = stage.producer
        try await SendWindow.send(count: warmUpCommands, window: warmUpCommands, producer: producer) { index in
            let key = BenchCommands.outRequestNo(run: "\(run)W", index: index)
            return KafkaOutgoingMessage(topic: topics.issue, key: Array(key.utf8), value: BenchCommands.zvcmsIssue(key))
        }
        _ = try await ResultTally.read(reader, expected: warmUpCommands, timeout: .seconds(120))

        let count = max(1, Int(ratePerSecond * duration.seconds))
        let interval = Duration.seconds(1 / ratePerSecond)
        let clock = ContinuousClock()
        let origin = clock.now
        let recorder = LatencyRecorder()
        let tally = try await withThrowingTaskGroup(of: ResultTally?.self) { group in
            group.addTask {
                try await ResultTally.read(reader, expected: count, timeout: duration + .seconds(120)) { message, _ in
                    let now = clock.now
                    guard let stamp = message.header(named: "tracestate").flatMap(Self.scheduledOffset) else { return }
                    recorder.record((now - origin) - stamp)
                }
            }
            group.addTask {
                try await withThrowingTaskGroup(of: Void.self) { sends in
                    for index in 0..<count {
                        let scheduled = interval * index
                        try await clock.sleep(until: origin + scheduled, tolerance: .microseconds(100))
                        let key = BenchCommands.outRequestNo(run: run, index: index)
                        let message = KafkaOutgoingMessage(
                            topic: topics.issue, key: Array(key.utf8), value: BenchCommands.zvcmsIssue(key),
                            headers: [
                                KafkaHeader(key: "traceparent", string: "00-\(Self.hex(32))-\(Self.hex(16))-01"),
                                KafkaHeader(key: "tracestate", string: "\(Self.stampPrefix)\(Self.nanoseconds(scheduled))"),
                            ])
                        sends.addTask { _ = try await producer.send(message) }
                    }
                    try await sends.waitForAll()
                }
                return nil
            }
            var result: ResultTally?
            while let next = try await group.next() {
                if let next { result = next }
            }
            return result ?? ResultTally()
        }
        return Measurement(histogram: recorder.snapshot, ratePerSecond: ratePerSecond, tally: tally)
    }

    /// The scheduled send instant (offset from the run's origin) a `tracestate` carries.
    private static func scheduledOffset(_ value: [UInt8]) -> Duration? {
        let text = String(decoding: value, as: UTF8.self)
        guard text.hasPrefix(stampPrefix), let nanos = Int64(text.dropFirst(stampPrefix.count)) else { return nil }
        return .nanoseconds(nanos)
    }

    private static func nanoseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }

    private static func hex(_ digits: Int) -> String {
        String((0..<digits).map { _ in "0123456789abcdef".randomElement()! })
    }
}
