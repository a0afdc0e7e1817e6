import Foundation
import Synchronization

/// The latest consumer lag per partition, parsed from librdkafka's statistics JSON.
final class ConsumerLagStatistics: Sendable {
    private let lag = Mutex<[KafkaTopicPartition: Int64]>([:])

    var current: [KafkaTopicPartition: Int64] {
        lag.withLock { $0 }
    }

    /// Replaces the lag with what `json` (one `stats_cb` document) reports.
    func update(json: String) {
        guard let parsed = Self.parse(json: json) else { return }
        lag.withLock { $0 = parsed }
    }

    /// `topics.<name>.partitions.<id>.consumer_lag` (log end, or last stable, offset minus
    /// committed offset) for real partitions whose lag librdkafka knows (it reports -1
    /// otherwise, and partition -1 is its internal unassigned queue).
    static func parse(json: String) -> [KafkaTopicPartition: Int64]? {
        guard
            let root = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any],
            let topics = root["topics"] as? [String: Any]
        else { return nil }
        var result: [KafkaTopicPartition: Int64] = [:]
        for (topic, topicValue) in topics {
            guard let partitions = (topicValue as? [String: Any])?["partitions"] as? [String: Any] else { continue }
            for (partitionKey, partitionValue) in partitions {
                guard
                    let partition = Int32(partitionKey), partition >= 0,
                    let lag = ((partitionValue as? [String: Any])?["consumer_lag"] as? NSNumber)?.int64Value,
                    lag >= 0
                else { continue }
                result[KafkaTopicPartition(topic: topic, partition: partition)] = lag
            }
        }
        return result
    }
}
