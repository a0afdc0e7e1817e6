import Foundation

/// Everything one run measured, as a table for people and as JSON for tools.
struct BenchReport: Codable, Sendable {
    var machine: BenchMachine
    var startedAt: String
    var quick: Bool
    var figures: [BenchFigure]
    /// Scenarios that could not run, with the reason.
    var failures: [String]
    /// `--profile`: perf's top entries (self time) of the worker per scenario.
    var profiles: [String: [String]]

    /// The figures as an aligned text table.
    func table() -> String {
        let header = ["scenario", "measure", "value", "target", "ratio", "verdict"]
        var rows = [header]
        for figure in figures {
            rows.append([
                figure.scenario, figure.measure, Self.format(figure.value, unit: figure.unit), figure.target ?? "",
                figure.ratio.map { String(format: "%.2f×", $0) } ?? "",
                figure.verdict == .info ? "" : figure.verdict.rawValue,
            ])
        }
        let widths = header.indices.map { column in rows.map { $0[column].count }.max() ?? 0 }
        func line(_ row: [String]) -> String {
            zip(row, widths).map { $0.padding(toLength: $1, withPad: " ", startingAt: 0) }.joined(separator: "  ")
                .trimmingCharacters(in: .whitespaces)
        }
        var out = [line(header), widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ")]
        out += rows.dropFirst().map(line)
        let notes = figures.enumerated().compactMap { index, figure in
            figure.note.map { "  [\(figure.scenario) · \(figure.measure)] \($0)" }
        }
        if !notes.isEmpty { out += ["", "notes:"] + notes }
        if !failures.isEmpty { out += ["", "could not run:"] + failures.map { "  \($0)" } }
        out += ["", "machine: \(machine.summary)"]
        return out.joined(separator: "\n")
    }

    /// Pretty-printed JSON with snake_case keys.
    func json() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        return try encoder.encode(self)
    }

    /// `12,345 /s`, `61.2 ms`, `143 MB`: grouped thousands, at most one decimal above 100.
    static func format(_ value: Double?, unit: String) -> String {
        guard let value else { return "—" }
        let formatter = NumberFormatter()
        formatter.numberStyle = .decimal
        formatter.groupingSeparator = ","
        formatter.usesGroupingSeparator = true
        formatter.maximumFractionDigits = value >= 100 ? 0 : (value >= 10 ? 1 : 2)
        formatter.minimumFractionDigits = 0
        let number = formatter.string(from: NSNumber(value: value)) ?? String(value)
        return unit.isEmpty ? number : "\(number) \(unit)"
    }
}
