import CouponSandbox
import Foundation
import Kafka
import TestSupport
import Testing

/// Span export of `coupon-worker run` to a real OTLP/HTTP receiver on loopback.
extension ExecutableTests {
    static let incomingTraceID = "4bf92f3577b34da6a3ce929d0e0e4736"
    static let incomingSpanID = "00f067aa0ba902b7"

    /// Runs the binary with `environment`, processes one WeChat issue that carries an incoming
    /// traceparent, stops it (SIGTERM: the exporter flushes), and returns the result's
    /// traceparent and everything the process wrote.
    func runOneTracedIssue(environment: [String: String]) async throws -> (traceparent: String?, output: String) {
        var traceparent: String?
        let output = try await RunningWorker.withRunning(adminToken: nil, environment: environment) { worker in
            let key = "EXE-T-" + UUID().uuidString.prefix(8)
            try await worker.harness.send(
                WorkerHarness.wechatIssue(key), key: key,
                headers: [KafkaHeader(key: "traceparent", string: "00-\(Self.incomingTraceID)-\(Self.incomingSpanID)-01")])
            try await worker.harness.downstream.wait(results: 1)
            traceparent = worker.harness.downstream.resultMessages.first?.headerString("traceparent")
        }
        return (traceparent, output)
    }

    @Test("with an OTLP endpoint the command's spans reach the receiver under the incoming trace id; the result names the command span; logs carry trace_id")
    func spansAreExported() async throws {
        let receiver = try await OTLPReceiver()
        let (traceparent, output) = try await runOneTracedIssue(environment: [
            "OTEL_EXPORTER_OTLP_ENDPOINT": receiver.endpoint, "OTEL_SERVICE_NAME": "coupon-worker-test",
        ])
        let exports = receiver.exports
        await receiver.stop()
        #expect(!exports.isEmpty)
        #expect(exports.allSatisfy { $0.contentType == "application/x-protobuf" })
        let bodies = exports.map(\.body)
        let traceBytes = OTLPReceiver.bytes(hex: Self.incomingTraceID)
        let parentBytes = OTLPReceiver.bytes(hex: Self.incomingSpanID)
        #expect(bodies.contains { $0.contains(traceBytes) }, "the incoming trace id was not exported")
        #expect(bodies.contains { $0.contains(parentBytes) }, "no span names the incoming span as its parent")
        #expect(bodies.contains { $0.contains(Array("coupon-worker-test".utf8)) }, "OTEL_SERVICE_NAME was not applied")
        #expect(bodies.contains { $0.contains(Array("coupon.attempt".utf8)) })
        // The result continues the trace from the command span, not from the upstream span.
        let parts = try #require(traceparent).split(separator: "-").map(String.init)
        #expect(parts.count == 4)
        #expect(parts[1] == Self.incomingTraceID)
        #expect(parts[2] != Self.incomingSpanID)
        #expect(bodies.contains { $0.contains(OTLPReceiver.bytes(hex: parts[2])) }, "the result names a span that was not exported")
        #expect(output.contains(#""trace_id":"\#(Self.incomingTraceID)""#), "no log line carries the trace id")
    }

    @Test("with export off nothing is sent, and the result carries the incoming traceparent unchanged")
    func nothingIsSentWhenExportIsOff() async throws {
        let receiver = try await OTLPReceiver()
        let (traceparent, _) = try await runOneTracedIssue(environment: [
            "OTEL_EXPORTER_OTLP_ENDPOINT": receiver.endpoint, "OTEL_SDK_DISABLED": "true",
        ])
        let exports = receiver.exports
        await receiver.stop()
        #expect(exports.isEmpty)
        #expect(traceparent == "00-\(Self.incomingTraceID)-\(Self.incomingSpanID)-01")
    }
}

extension Array where Element == UInt8 {
    /// Whether `needle` occurs as a contiguous run.
    func contains(_ needle: [UInt8]) -> Bool {
        guard !needle.isEmpty, needle.count <= count else { return needle.isEmpty }
        return (0...(count - needle.count)).contains { start in self[start..<(start + needle.count)].elementsEqual(needle) }
    }
}
