import ArgumentParser
import Foundation

/// The scenarios of issue 8, in the order the table lists them.
enum BenchScenario: String, CaseIterable, Sendable, ExpressibleByArgument {
    case relay
    case zvcms = "zvcms-0ms"
    case zvcmsLatency = "zvcms-50ms"
    case wechat
    case latency
    case store
    case memory

    /// The order they run in: the 50 ms scenario first, so its peak RSS is not inflated by
    /// the records the other scenarios leave in the in-process broker, and because
    /// `latency` paces itself at half the rate it measured.
    static let runOrder: [BenchScenario] = [.zvcmsLatency, .memory, .latency, .relay, .zvcms, .wechat, .store]

    /// Parses `a,b,…`; throws a validation error naming the unknown ones.
    static func list(_ text: String) throws -> Set<BenchScenario> {
        var result: Set<BenchScenario> = []
        var unknown: [String] = []
        for name in text.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !name.isEmpty {
            if let scenario = BenchScenario(rawValue: name) { result.insert(scenario) } else { unknown.append(name) }
        }
        guard unknown.isEmpty else {
            throw ValidationError(
                "unknown scenario(s) \(unknown.joined(separator: ", ")); known: \(allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return result
    }
}
