import CouponModel
import CouponSandbox
import CouponWorker
import InMemoryTracing
import Kafka
import TestSupport
import Testing
import Tracing

/// The in-memory tracer every test of this process shares: `InstrumentationSystem` can be
/// bootstrapped once per process, so the first test that needs it does, and each test reads
/// only the spans of its own trace.
enum SharedTracer {
    static let tracer: InMemoryTracer = {
        let tracer = InMemoryTracer()
        InstrumentationSystem.bootstrap(tracer)
        return tracer
    }()

    /// Headers that make a command continue trace `traceID` from the upstream span `spanID`
    /// (the in-memory tracer's propagation keys; OTel's are `traceparent`/`tracestate`).
    static func incoming(traceID: String, spanID: String = "upstream-span") -> [KafkaHeader] {
        _ = tracer
        return [
            KafkaHeader(key: InMemoryTracer.traceIDKey, string: traceID),
            KafkaHeader(key: InMemoryTracer.spanIDKey, string: spanID),
            KafkaHeader(key: "traceparent", string: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"),
        ]
    }

    /// The finished spans of one trace.
    static func spans(of traceID: String) -> [FinishedInMemorySpan] {
        tracer.finishedSpans.filter { $0.traceID == traceID }
    }
}

extension FinishedInMemorySpan {
    func string(_ key: String) -> String? {
        guard case .string(let value) = attributes.get(key) else { return nil }
        return value
    }

    func int(_ key: String) -> Int64? {
        guard case .int64(let value) = attributes.get(key) else { return nil }
        return value
    }

    func bool(_ key: String) -> Bool? {
        guard case .bool(let value) = attributes.get(key) else { return nil }
        return value
    }

    /// Every attribute value rendered as text, to look for what must never be there.
    var renderedAttributes: [String] {
        var values: [String] = []
        attributes.forEach { key, value in values.append("\(key)=\(value)") }
        return values
    }
}

/// One command's life as spans, through the real pipeline (mock Kafka, sandboxes, store).
/// Assertions run after the worker stopped: it drains every command first, so every span of
/// the trace has ended by then.
@Suite("Tracing", .serialized, .timeLimit(.minutes(3)))
struct TracingTests {
    static let wechatIssuePath = "product-coupons/send"
    static let openid = "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"

    /// The trace's consumer span: the root of this command's tree, under the upstream span.
    func commandSpan(_ spans: [FinishedInMemorySpan], topic: String) throws -> FinishedInMemorySpan {
        let roots = spans.filter { $0.kind == .consumer }
        #expect(roots.count == 1)
        let root = try #require(roots.first)
        #expect(root.operationName == "\(topic) process")
        #expect(root.parentSpanID == "upstream-span")
        return root
    }

    func children(of parent: FinishedInMemorySpan, in spans: [FinishedInMemorySpan], named name: String) -> [FinishedInMemorySpan] {
        spans.filter { $0.parentSpanID == parent.spanID && $0.operationName == name }
    }

    @Test("one issue command: a consumer span continuing the incoming trace, its phases as children, the result naming it")
    func issueSpanTree() async throws {
        let traceID = "trace-tree-1", key = "ORD-TR-1"
        let openid = Self.openid
        var topics: WorkerHarness.Topics?
        var resultHeaders: [KafkaHeader] = []
        var couponCode: String?
        try await withPipeline { harness, _ in
            topics = harness.topics
            try await harness.send(
                WorkerHarness.wechatIssue(key, openid: openid), key: key, headers: SharedTracer.incoming(traceID: traceID))
            try await harness.downstream.wait(results: 1)
            couponCode = harness.downstream.results.first?.data?["coupon_code"]?.stringValue
            resultHeaders = try #require(harness.downstream.resultMessages.first).headers
        }
        let spans = SharedTracer.spans(of: traceID)
        let root = try commandSpan(spans, topic: try #require(topics).issue)
        #expect(root.string("messaging.system") == "kafka")
        #expect(root.string("messaging.destination.name") == topics?.issue)
        #expect(root.int("messaging.kafka.offset") != nil)
        #expect(root.string("coupon.out_request_no") == key)
        #expect(root.string("coupon.provider") == "wechat")
        #expect(root.string("coupon.operation") != nil)
        #expect(root.string("coupon.merchant") != nil)
        #expect(root.string("coupon.status") == "succeeded")
        #expect(root.int("coupon.attempts") == 1)
        #expect(root.bool("coupon.replayed") == false)

        for phase in ["coupon.wait_slot", "coupon.wait_key_turn", "coupon.claim", "coupon.rate_limit", "coupon.store_outcome"] {
            #expect(children(of: root, in: spans, named: phase).count == 1, "\(phase)")
        }
        let attempts = children(of: root, in: spans, named: "coupon.attempt")
        #expect(attempts.count == 1)
        #expect(attempts.first?.int("coupon.attempt") == 1)
        // The provider module's HTTP client span, below the attempt: the path template only.
        let attempt = try #require(attempts.first)
        let http = spans.filter { $0.parentSpanID == attempt.spanID }
        #expect(http.count == 1)
        #expect(http.first?.kind == .client)
        #expect(http.first?.operationName == "POST /v3/marketing/busifavor/product-coupons/send")
        #expect(http.first?.string("http.request.method") == "POST")
        #expect(http.first?.string("url.template") == "/v3/marketing/busifavor/product-coupons/send")
        #expect(http.first?.string("server.address") == "127.0.0.1")
        #expect(http.first?.int("http.response.status_code") == 200)
        #expect(children(of: root, in: spans, named: "coupon.claim").first?.string("coupon.claim") == "claimed")
        let publish = children(of: root, in: spans, named: "\(topics!.results) publish")
        #expect(publish.count == 1)
        #expect(publish.first?.kind == .producer)
        #expect(children(of: root, in: spans, named: "coupon.reconcile").isEmpty)

        // The result continues the command's span; the incoming traceparent is still forwarded.
        #expect(resultHeaders.first { $0.key == InMemoryTracer.spanIDKey }?.stringValue == root.spanID)
        #expect(resultHeaders.first { $0.key == InMemoryTracer.traceIDKey }?.stringValue == traceID)
        #expect(resultHeaders.first { $0.key == "traceparent" } != nil)

        // Never the openid or the coupon code.
        let code = try #require(couponCode)
        for span in spans {
            #expect(span.renderedAttributes.allSatisfy { !$0.contains(openid) && !$0.contains(code) }, "\(span.operationName)")
        }
    }

    @Test("a retried attempt shows as two attempt spans, the failed one with its status and error, a backoff between")
    func retriedAttempt() async throws {
        let traceID = "trace-retry-1", key = "ORD-TR-RETRY-1"
        var issueTopic = ""
        try await withPipeline { harness, _ in
            issueTopic = harness.topics.issue
            harness.sandboxes.wechat.faults.inject(.httpStatus(500), pathContains: Self.wechatIssuePath)
            try await harness.send(WorkerHarness.wechatIssue(key), key: key, headers: SharedTracer.incoming(traceID: traceID))
            try await harness.downstream.wait(results: 1)
            #expect(harness.downstream.results.first?.status == .succeeded)
        }
        let spans = SharedTracer.spans(of: traceID)
        let root = try commandSpan(spans, topic: issueTopic)
        #expect(root.int("coupon.attempts") == 2)
        let attempts = children(of: root, in: spans, named: "coupon.attempt")
            .sorted { ($0.int("coupon.attempt") ?? 0) < ($1.int("coupon.attempt") ?? 0) }
        #expect(attempts.map { $0.int("coupon.attempt") } == [1, 2])
        #expect(attempts.first?.int("http.response.status_code") == 500)
        #expect(attempts.first?.string("error.type") != nil)
        #expect(attempts.first?.status?.code == .error)
        #expect(attempts.last?.string("error.type") == nil)
        #expect(children(of: root, in: spans, named: "coupon.retry_backoff").count == 1)
        #expect(children(of: root, in: spans, named: "coupon.rate_limit").count == 2)
    }

    @Test("an ambiguous issue is reconciled in a span of its own, with the question to the provider below it")
    func reconciliation() async throws {
        let traceID = "trace-reconcile-1", key = "ORD-TR-REC-1"
        var issueTopic = ""
        try await withPipeline(providerTimeout: .seconds(1)) { harness, _ in
            issueTopic = harness.topics.issue
            harness.sandboxes.wechat.faults.inject(.timeoutAfterProcessing, pathContains: Self.wechatIssuePath)
            try await harness.send(
                WorkerHarness.wechatIssue(key, openid: Self.openid), key: key, headers: SharedTracer.incoming(traceID: traceID))
            try await harness.downstream.wait(results: 1)
            #expect(harness.downstream.results.first?.status == .succeeded)
            #expect(harness.sandboxes.issuanceCount(outRequestNo: key) == 1)
        }
        let spans = SharedTracer.spans(of: traceID)
        let root = try commandSpan(spans, topic: issueTopic)
        let attempt = try #require(children(of: root, in: spans, named: "coupon.attempt").first)
        #expect(attempt.bool("coupon.ambiguous") == true)
        let reconcile = children(of: root, in: spans, named: "coupon.reconcile")
        #expect(reconcile.count == 1)
        let reconcileSpan = try #require(reconcile.first)
        #expect(reconcileSpan.string("coupon.reconciliation") == "found")
        let asks = children(of: reconcileSpan, in: spans, named: "coupon.reconcile.ask")
        #expect(asks.count == 1)
        let ask = try #require(asks.first)
        // Its HTTP client spans (the pages of the user's coupons) name the openid as {param} only.
        let http = spans.filter { $0.parentSpanID == ask.spanID && $0.kind == .client }
        #expect(!http.isEmpty)
        #expect(http.allSatisfy { $0.string("http.request.method") == "GET" })
        #expect(http.allSatisfy { $0.string("url.template") == "/v3/marketing/busifavor/users/{param}/coupons" }, "\(http.map(\.operationName))")
        for span in spans {
            #expect(span.renderedAttributes.allSatisfy { !$0.contains(Self.openid) }, "\(span.operationName)")
        }
        #expect(attempt.endInstant.nanosecondsSinceEpoch <= reconcileSpan.startInstant.nanosecondsSinceEpoch)
    }
}
