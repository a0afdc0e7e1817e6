import Foundation
import Kafka

/// What a downstream reader saw on a results topic: how many results, with which
/// statuses, and when the worker produced each.
///
/// Throughput is taken from the records' own timestamps (set by the worker's producer
/// when it published each result), not from when this reader got them: the reader may
/// join its group after the worker started and catch up in a burst.
struct ResultTally: Sendable {
    private(set) var count = 0
    private(set) var statuses: [String: Int] = [:]
    private(set) var firstProduced: Date?
    private(set) var lastProduced: Date?
    /// Every result's Kafka timestamp, in the order read.
    private(set) var producedTimes: [Date] = []

    /// Counts `message`, a result event.
    mutating func add(_ message: KafkaConsumerMessage) {
        count += 1
        statuses[Self.status(in: message.value), default: 0] += 1
        if let stamp = message.timestamp {
            producedTimes.append(stamp)
            if firstProduced.map({ stamp < $0 }) ?? true { firstProduced = stamp }
            if lastProduced.map({ stamp > $0 }) ?? true { lastProduced = stamp }
        }
    }

    /// Results per second between the first and the last result produced.
    var rate: Double? {
        guard count > 1, let first = firstProduced, let last = lastProduced, last > first else { return nil }
        return Double(count - 1) / last.timeIntervalSince(first)
    }

    /// Seconds between the first and the last result produced.
    var span: Double {
        guard let first = firstProduced, let last = lastProduced else { return 0 }
        return last.timeIntervalSince(first)
    }

    /// How steadily the results came (`nil` for fewer than two with timestamps).
    var gaps: ResultGaps? { ResultGaps(times: producedTimes) }

    /// Results the worker produced at or after `instant` (a wall-clock time of this machine).
    func produced(since instant: Date) -> Int {
        // Timestamps are whole milliseconds: compare at that resolution.
        let floor = (instant.timeIntervalSince1970 * 1000).rounded(.down) / 1000
        return producedTimes.count { $0.timeIntervalSince1970 >= floor }
    }

    /// `N succeeded` or `N succeeded, M failed, …`: how the commands ended.
    var statusSummary: String {
        statuses.sorted { $0.value > $1.value }.map { "\($0.value) \($0.key)" }.joined(separator: ", ")
    }

    var allSucceeded: Bool { statuses.keys.allSatisfy { $0 == "succeeded" } }

    /// Reads `consumer` until `expected` results arrived, calling `each` for every one with
    /// the count read so far (1 for the first), or throws `BenchFailure.timedOut` once
    /// `timeout` passed.
    static func read(
        _ consumer: KafkaConsumer, expected: Int, timeout: Duration,
        each: @escaping @Sendable (KafkaConsumerMessage, Int) -> Void = { _, _ in }
    ) async throws -> ResultTally {
        try await withThrowingTaskGroup(of: ResultTally?.self) { group in
            group.addTask {
                var tally = ResultTally()
                for try await message in consumer.messages {
                    tally.add(message)
                    each(message, tally.count)
                    if tally.count >= expected { return tally }
                }
                return tally
            }
            group.addTask {
                // A deadline, not a synchronisation: a stuck pipeline must not hang the bench.
                try await Task.sleep(for: timeout)
                return nil
            }
            defer { group.cancelAll() }
            guard let first = try await group.next(), let tally = first else {
                throw BenchFailure.timedOut("waiting for \(expected) results after \(timeout)")
            }
            guard tally.count >= expected else {
                throw BenchFailure.timedOut("the results topic ended after \(tally.count) of \(expected) results")
            }
            return tally
        }
    }

    /// The top-level `status` of a result event's JSON. Keys are sorted and `status` is
    /// the last top-level key, so its last occurrence is the top-level one (a provider's
    /// `data` may hold a `status` of its own).
    static func status(in value: [UInt8]) -> String {
        let marker = Array(#""status":""#.utf8)
        guard value.count > marker.count else { return "unreadable" }
        var index = value.count - marker.count
        while index >= 0 {
            if value[index] == marker[0] && Array(value[index..<index + marker.count]) == marker {
                let start = index + marker.count
                guard let end = value[start...].firstIndex(of: UInt8(ascii: "\"")) else { return "unreadable" }
                return String(decoding: value[start..<end], as: UTF8.self)
            }
            index -= 1
        }
        return "unreadable"
    }
}
