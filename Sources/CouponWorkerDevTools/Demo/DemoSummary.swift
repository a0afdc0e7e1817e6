/// What the demo saw against what the script expected.
struct DemoSummary {
    let script: DemoScript
    let seen: ResultViewer.Seen
    let maxIssuancesPerKey: Int

    var replayed: Int { seen.results.filter(\.replayed).count }

    var passed: Bool {
        !seen.timedOut && seen.results.count == script.expectedResults
            && seen.deadLetters.count == script.expectedDeadLetters
            && replayed == script.steps.filter(\.expectReplay).count && maxIssuancesPerKey <= 1
    }

    func render() -> String {
        var counts: [String: Int] = [:]
        for event in seen.results { counts[event.status.rawValue, default: 0] += 1 }
        let statuses = ["succeeded", "failed", "rejected", "unknown"].map { "\($0) \(counts[$0] ?? 0)" }.joined(separator: ", ")
        return """

            ── summary ─────────────────────────────────────────────
            commands sent              \(script.steps.count)
            results                    \(seen.results.count) of \(script.expectedResults) expected (\(statuses))
            replayed duplicates        \(replayed)
            dead-letter records        \(seen.deadLetters.count) of \(script.expectedDeadLetters) expected
            max issuances per key      \(maxIssuancesPerKey) (must be ≤ 1)
            \(passed ? "✓ every command got its result; nothing was issued twice" : "✗ the demo did not see what it expected\(seen.timedOut ? " (timed out)" : "")")
            """
    }
}
