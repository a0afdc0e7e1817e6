import CouponModel
import CouponWorkerRuntime
import Foundation
import Kafka
import Logging

/// Reads the results and dead-letter topics like a downstream consumer would, printing
/// each record as it arrives.
struct ResultViewer {
    struct Seen: Sendable {
        var results: [ResultEvent] = []
        var deadLetters: [(key: String, code: String, reason: String)] = []
        var timedOut = false
    }

    private let consumer: KafkaConsumer

    init(bootstrapServers: String, logger: Logger) throws {
        var configuration = KafkaConsumerConfiguration(
            bootstrapServers: bootstrapServers, groupID: "coupon-demo-viewer-\(UUID().uuidString.prefix(8))")
        configuration.autoOffsetReset = "earliest"
        consumer = try KafkaConsumer(configuration: configuration, rebalanceListener: nil, logger: logger)
        try consumer.subscribe(topics: [Topology.results, Topology.deadLetters])
    }

    /// Prints records until the expected numbers arrived or `timeout` passed; `onRecord` sees
    /// the tally after every record (the demo sends its queries from there).
    func collect(
        results: Int, deadLetters: Int, timeout: Duration, onRecord: @escaping @Sendable (Seen) async -> Void = { _ in }
    ) async -> Seen {
        let consumer = self.consumer
        return await withTaskGroup(of: Seen?.self) { group in
            group.addTask {
                var seen = Seen()
                do {
                    for try await message in consumer.messages {
                        if message.topic == Topology.deadLetters {
                            let key = message.key.map { String(decoding: $0, as: UTF8.self) } ?? "-"
                            let code = message.header(named: "x-coupon-error-code").map { String(decoding: $0, as: UTF8.self) } ?? "?"
                            let reason = message.header(named: "x-coupon-error-reason").map { String(decoding: $0, as: UTF8.self) } ?? ""
                            seen.deadLetters.append((key, code, reason))
                            Console.line("  ✉ dead letter   \(key.padding(toLength: 14, withPad: " ", startingAt: 0)) \(code): \(reason)")
                        } else if let event = try? JSONDecoder().decode(ResultEvent.self, from: Data(message.value)) {
                            seen.results.append(event)
                            Console.line("  " + Self.line(event))
                        }
                        await onRecord(seen)
                        if seen.results.count >= results && seen.deadLetters.count >= deadLetters { return seen }
                    }
                } catch {}
                return seen
            }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            if let first { return first }
            // Timed out: the reader is still waiting for a record; it ends when the consumer closes.
            await consumer.close()
            var partial = (await group.next() ?? nil) ?? Seen()
            partial.timedOut = true
            return partial
        }
    }

    func close() async { await consumer.close() }

    static func line(_ event: ResultEvent) -> String {
        let mark = switch event.status {
        case .succeeded: "✓"
        case .failed: "✗"
        case .rejected: "⊘"
        case .unknown: "?"
        }
        var detail = ""
        if let data = event.data {
            if let code = data["coupon_code"]?.stringValue {
                detail = "coupon_code=\(code)"
            } else if let cards = data["cardIdList"]?.arrayValue ?? data["card_id_list"]?.arrayValue {
                detail = "cards=\(cards.compactMap(\.stringValue).joined(separator: ","))"
            } else {
                detail = String(CanonicalJSON.string(of: data).prefix(70))
            }
        }
        if let error = event.error { detail = "\(error.code.rawValue): \(error.message)" }
        let name = "\(event.provider ?? "-") \(event.operation ?? "-")"
        return "\(mark) \(event.status.rawValue.padding(toLength: 9, withPad: " ", startingAt: 0)) "
            + "\(event.outRequestNo.padding(toLength: 14, withPad: " ", startingAt: 0)) "
            + "\(name.padding(toLength: 27, withPad: " ", startingAt: 0)) "
            + (event.replayed ? "[replayed] " : "") + detail
    }
}
