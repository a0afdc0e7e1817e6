/// One line of the benchmark's table: a measured value, and how it compares with its target.
///
/// The benchmark reports, it does not judge a build: `verdict` says whether a target was
/// met on this machine in this run, for a reader, never for an exit status.
struct BenchFigure: Codable, Sendable {
    /// How a figure relates to its target.
    enum Verdict: String, Codable, Sendable {
        case met, missed
        /// A reference value (a baseline, a ceiling, a variant): no target of its own.
        case info
        /// Could not be measured here (e.g. no PostgreSQL URL); `note` says why.
        case skipped
    }

    var scenario: String
    var measure: String
    var value: Double?
    var unit: String
    /// The target as the issue states it (e.g. `≥ 5,000 /s`), `nil` for reference values.
    var target: String?
    /// value ÷ target (or the ratio the target is stated in), when there is one.
    var ratio: Double?
    var verdict: Verdict
    var note: String?

    /// A reference value without a target.
    static func info(_ scenario: String, _ measure: String, _ value: Double, _ unit: String, note: String? = nil) -> BenchFigure {
        BenchFigure(scenario: scenario, measure: measure, value: value, unit: unit, target: nil, ratio: nil, verdict: .info, note: note)
    }

    /// A value that must reach at least `minimum`. `ratio` is value ÷ `reference`, the
    /// quantity the target is stated against (`≥ 0.8 × bound`: the bound), by default the
    /// minimum itself.
    static func atLeast(
        _ scenario: String, _ measure: String, _ value: Double, _ unit: String, minimum: Double, reference: Double? = nil,
        target: String, note: String? = nil
    ) -> BenchFigure {
        let base = reference ?? minimum
        let ratio = base > 0 ? value / base : nil
        return BenchFigure(
            scenario: scenario, measure: measure, value: value, unit: unit, target: target, ratio: ratio,
            verdict: value >= minimum ? .met : .missed, note: note)
    }

    /// A value that must stay at or below `maximum` (`ratio` = value ÷ maximum).
    static func atMost(
        _ scenario: String, _ measure: String, _ value: Double, _ unit: String, maximum: Double, target: String,
        note: String? = nil
    ) -> BenchFigure {
        let ratio = maximum > 0 ? value / maximum : nil
        return BenchFigure(
            scenario: scenario, measure: measure, value: value, unit: unit, target: target, ratio: ratio,
            verdict: value <= maximum ? .met : .missed, note: note)
    }

    /// A figure that could not be measured.
    static func skipped(_ scenario: String, _ measure: String, target: String?, note: String) -> BenchFigure {
        BenchFigure(scenario: scenario, measure: measure, value: nil, unit: "", target: target, ratio: nil, verdict: .skipped, note: note)
    }
}
