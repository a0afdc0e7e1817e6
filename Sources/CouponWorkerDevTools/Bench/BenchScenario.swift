import Foundation

/// The scenarios (issues 8 and 18), in the order the table lists them.
enum BenchScenario: String, CaseIterable, Sendable {
    case relay
    case zvcms = "zvcms-0ms"
    case zvcmsLatency = "zvcms-50ms"
    case wechat
    case latency
    case store
    case memory

    /// The order they run in: the 50 ms scenario first, on a quiet broker, and because
    /// `latency` paces itself at half the rate it measured.
    static let runOrder: [BenchScenario] = [.zvcmsLatency, .memory, .latency, .relay, .zvcms, .wechat, .store]

    /// `--scenarios` named scenarios that do not exist.
    struct UnknownScenarios: Error, CustomStringConvertible {
        var names: [String]

        var description: String {
            "unknown scenario(s) \(names.joined(separator: ", ")); known: \(BenchScenario.allCases.map(\.rawValue).joined(separator: ", "))"
        }
    }

    /// Parses `a,b,…`; throws `UnknownScenarios` naming the unknown ones.
    static func list(_ text: String) throws -> Set<BenchScenario> {
        var result: Set<BenchScenario> = []
        var unknown: [String] = []
        for name in text.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !name.isEmpty {
            if let scenario = BenchScenario(rawValue: name) { result.insert(scenario) } else { unknown.append(name) }
        }
        guard unknown.isEmpty else {
            throw UnknownScenarios(names: unknown)
        }
        return result
    }
}
