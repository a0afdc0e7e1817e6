import InMemoryTracing
import Tracing

/// One command's spans as an indented tree with durations, for `demo --trace`: where the time
/// went, without a collector.
struct SpanTree {
    let spans: [FinishedInMemorySpan]

    /// The consumer spans (one per command), in the order they started.
    var roots: [FinishedInMemorySpan] {
        let ids = Set(spans.map(\.spanID))
        return spans.filter { span in span.parentSpanID.map { !ids.contains($0) } ?? true }
            .sorted { $0.startInstant.nanosecondsSinceEpoch < $1.startInstant.nanosecondsSinceEpoch }
    }

    /// The tree under `root`, one line per span: name, duration, and the attributes a person
    /// looks for (status, attempts, HTTP status, provider error code).
    func render(_ root: FinishedInMemorySpan) -> [String] {
        var children: [String: [FinishedInMemorySpan]] = [:]
        for span in spans where span.traceID == root.traceID {
            if let parent = span.parentSpanID { children[parent, default: []].append(span) }
        }
        var lines: [String] = []
        func visit(_ span: FinishedInMemorySpan, prefix: String, last: Bool, depth: Int) {
            let branch = depth == 0 ? "" : prefix + (last ? "└─ " : "├─ ")
            let name = depth == 0 ? span.attributes["coupon.out_request_no"].map { "\(Self.text($0.toSpanAttribute()))  (\(span.operationName))" } : nil
            lines.append("\(branch)\(name ?? span.operationName)  \(Self.milliseconds(span))\(Self.detail(span))")
            let next = depth == 0 ? "" : prefix + (last ? "   " : "│  ")
            let kids = (children[span.spanID] ?? [])
                .sorted { $0.startInstant.nanosecondsSinceEpoch < $1.startInstant.nanosecondsSinceEpoch }
            for (index, child) in kids.enumerated() {
                visit(child, prefix: next, last: index == kids.count - 1, depth: depth + 1)
            }
        }
        visit(root, prefix: "", last: true, depth: 0)
        return lines
    }

    private static func milliseconds(_ span: FinishedInMemorySpan) -> String {
        let nanoseconds = span.endInstant.nanosecondsSinceEpoch &- span.startInstant.nanosecondsSinceEpoch
        let value = Double(nanoseconds) / 1_000_000
        return value < 10 ? "\((value * 10).rounded() / 10) ms" : "\(Int(value.rounded())) ms"
    }

    private static let shown: [(key: String, label: String)] = [
        ("coupon.status", "status"), ("coupon.attempts", "attempts"),
        ("coupon.replayed", "replayed"), ("http.response.status_code", "http"), ("error.type", "error"),
        ("coupon.provider_code", "provider_code"),
    ]

    private static func detail(_ span: FinishedInMemorySpan) -> String {
        let parts = shown.compactMap { item in span.attributes[item.key].map { "\(item.label)=\(text($0.toSpanAttribute()))" } }
        return parts.isEmpty ? "" : "   " + parts.joined(separator: " ")
    }

    private static func text(_ attribute: SpanAttribute) -> String {
        switch attribute {
        case .string(let value): value
        case .int64(let value): "\(value)"
        case .int32(let value): "\(value)"
        case .bool(let value): "\(value)"
        case .double(let value): "\(value)"
        case .stringConvertible(let value): value.description
        default: "\(attribute)"
        }
    }
}
