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

        // Decoded as a collector would (Python's opentelemetry-proto): the whole tree, linked.
        let spans = try await Self.decodeSpans(bodies).filter { $0.trace == Self.incomingTraceID }
        let root = try #require(spans.first { $0.parent == Self.incomingSpanID }, "\(spans)")
        #expect(root.name.hasSuffix(" process") && root.kind == "SPAN_KIND_CONSUMER", "\(root)")
        #expect(root.span == parts[2], "the result's traceparent must name the command span")
        let children = Set(spans.filter { $0.parent == root.span }.map(\.name))
        for name in ["coupon.wait_slot", "coupon.wait_key_turn", "coupon.claim", "coupon.rate_limit", "coupon.attempt",
                     "coupon.store_outcome"] {
            #expect(children.contains(name), "\(name) is not a child of the command span: \(children)")
        }
        #expect(spans.contains { $0.parent == root.span && $0.name.hasSuffix(" publish") && $0.kind == "SPAN_KIND_PRODUCER" })
        let attempt = try #require(spans.first { $0.name == "coupon.attempt" && $0.parent == root.span })
        #expect(spans.contains { $0.parent == attempt.span && $0.kind == "SPAN_KIND_CLIENT"
            && $0.name == "POST /v3/marketing/busifavor/product-coupons/send" }, "\(spans)")
    }

    struct DecodedSpan: Decodable, CustomStringConvertible {
        var trace: String, span: String, parent: String, name: String, kind: String
        var description: String { "\(name)[\(kind)] \(span)<-\(parent)" }
    }

    /// Decodes OTLP/HTTP protobuf bodies with opentelemetry-proto (installed by .ci/run).
    static func decodeSpans(_ bodies: [[UInt8]]) async throws -> [DecodedSpan] {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("otlp-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        var paths: [String] = []
        for (index, body) in bodies.enumerated() {
            let file = folder.appendingPathComponent("\(index).pb")
            try Data(body).write(to: file)
            paths.append(file.path)
        }
        let script = """
            import json, sys
            from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
            from opentelemetry.proto.trace.v1.trace_pb2 import Span
            for path in sys.argv[1:]:
                request = ExportTraceServiceRequest()
                request.ParseFromString(open(path, "rb").read())
                for resource in request.resource_spans:
                    for scope in resource.scope_spans:
                        for s in scope.spans:
                            print(json.dumps({"trace": s.trace_id.hex(), "span": s.span_id.hex(),
                                "parent": s.parent_span_id.hex(), "name": s.name, "kind": Span.SpanKind.Name(s.kind)}))
            """
        let decoded = try await ExternalCommand("/usr/bin/env", ["python3", "-c", script] + paths, separateErrors: true).run()
        guard decoded.succeeded else {
            throw CocoaError(.featureUnsupported, userInfo: [
                NSLocalizedDescriptionKey: "decoding OTLP failed: is opentelemetry-proto installed (.ci/run)? \(decoded.errors)"
            ])
        }
        return try decoded.output.split(separator: "\n")
            .map { try JSONDecoder().decode(DecodedSpan.self, from: Data($0.utf8)) }
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
