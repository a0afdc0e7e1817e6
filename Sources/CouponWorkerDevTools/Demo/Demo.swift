import Synchronization
import CouponModel
import CouponSandbox
import CouponWorkerRuntime
import Foundation
import Hummingbird
import InMemoryTracing
import Kafka
import Logging
import Metrics
import Prometheus
import Tracing

/// `coupon-worker demo`, the embedded default: everything in one process, nothing to install
/// or configure. The worker is assembled by `WorkerRuntime.assemble`, exactly as `run` does.
public enum Demo {
    /// Runs the samples and prints their results and a summary; with `keepRunning`, stays up
    /// until SIGINT/SIGTERM. Returns whether every sample got its result and nothing was
    /// issued twice.
    ///
    /// With `trace`, an in-process tracer records every span and each command's tree is printed
    /// with durations at the end.
    public static func run(keepRunning: Bool, httpPort: Int?, timeout: Int, verbose: Bool, trace: Bool = false) async throws -> Bool {
        LoggingSetup.bootstrap(format: nil, level: verbose ? "info" : "error")
        let tracer: InMemoryTracer? = trace ? InMemoryTracer() : nil
        if let tracer { InstrumentationSystem.bootstrap(tracer) }
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        let logger = Logger(label: "coupon-worker.demo")
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("coupon-worker-demo-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: folder) }

        Console.line("▶ starting an in-process Kafka cluster (librdkafka mock, 3 brokers)…")
        let cluster = try KafkaMockCluster(brokers: 3, logger: logger)
        for topic in Topology.defaultTopics { try cluster.createTopic(topic, partitions: 6) }
        Console.line("  bootstrap servers: \(cluster.bootstrapServers)")
        Console.line("▶ starting the WeChat Pay and zvcms sandboxes…")
        var sandboxLogger = logger
        sandboxLogger.logLevel = .critical  // Hummingbird reports its own cancellation at stop as an error
        let sandboxes = try await ProviderSandboxes.start(keysDirectory: folder.appendingPathComponent("keys"), logger: sandboxLogger)
        Console.line("  WeChat Pay: \(sandboxes.wechatBaseURL)   zvcms: \(sandboxes.zvcmsBaseURL)")
        let storePath = folder.appendingPathComponent("idempotency.sqlite").path
        Console.line("▶ idempotency store: sqlite:\(storePath)")

        var settings = WorkerSettings()
        settings.kafka.brokers = cluster.bootstrapServers
        settings.kafka.group = "coupon-worker-demo"
        // Producer only: on a 2.0.2 consumer a short metadata refresh makes it rejoin its group.
        settings.kafka.producerProperties = ["topic.metadata.refresh.interval.ms": "1000"]
        settings.store = "sqlite:\(storePath)"
        settings.http.port = httpPort ?? 0
        // /requests shows customer data, so even the demo opens it only with a token: a random
        // one in a file only this user can read. Printed as `$(cat FILE)`, never itself.
        let tokenFile = folder.appendingPathComponent("admin-token")
        try Self.writeRandomToken(to: tokenFile)
        settings.http.adminTokenFile = tokenFile.path
        settings.useSandboxes(sandboxes)
        settings.worker.leaseSeconds = 60

        let parts = try await WorkerRuntime.assemble(settings: settings, logger: logger)
        let workerTask = Task { try await parts.worker.run() }
        let sidePortTask: Task<Void, any Error>? = httpPort.map { port in
            Task {
                try await SidePort.application(
                    host: "127.0.0.1", port: port, worker: parts.worker, store: parts.store,
                    adminToken: parts.adminToken, registry: registry, logger: logger
                ).runService()
            }
        }
        if let httpPort { Console.line("▶ operator port: http://127.0.0.1:\(httpPort)/metrics") }

        let script = DemoScript()
        let viewer = try ResultViewer(bootstrapServers: cluster.bootstrapServers, logger: logger)
        Console.line("▶ sending \(script.steps.count) sample commands; results as they arrive:\n")
        let producer = try KafkaProducer(configuration: KafkaProducerConfiguration(bootstrapServers: cluster.bootstrapServers), logger: logger)
        @Sendable func send(_ steps: [DemoScript.Step]) async throws {
            for step in steps {
                _ = try await producer.send(KafkaOutgoingMessage(
                    topic: step.topic, key: Array(step.key.utf8), value: Array(step.value.utf8),
                    headers: [KafkaHeader(key: "traceparent", value: Array("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01".utf8))]))
            }
        }
        try await send(script.issues)
        let queriesSent = Mutex(false)
        let (issueResults, issueDeadLetters) = script.issuesDone
        let queries = script.queries
        let seen = await viewer.collect(
            results: script.expectedResults, deadLetters: script.expectedDeadLetters, timeout: .seconds(timeout)
        ) { tally in
            guard tally.results.count >= issueResults, tally.deadLetters.count >= issueDeadLetters,
                  queriesSent.withLock({ sent in defer { sent = true }; return !sent }) else { return }
            try? await send(queries)
        }

        let maxIssuances = script.steps.map { sandboxes.issuanceCount(outRequestNo: $0.key) }.max() ?? 0
        let summary = DemoSummary(script: script, seen: seen, maxIssuancesPerKey: maxIssuances)
        if let tracer {
            let tree = SpanTree(spans: tracer.finishedSpans)
            Console.line("\n── where the time went (one trace per command) ─────────")
            for root in tree.roots {
                Console.line("")
                for line in tree.render(root) { Console.line("  " + line) }
            }
        }
        Console.line(summary.render())

        if keepRunning {
            Console.line("\nStill running. Kafka: \(cluster.bootstrapServers)  (e.g. kcat -b \(cluster.bootstrapServers) -C -t \(Topology.results))")
            Console.line("Produce commands to \(Topology.issue) / \(Topology.query). Ctrl-C to stop.")
            if let httpPort, let key = script.steps.first?.key {
                Console.line("Read a command's idempotency record (the token stays in its file):")
                Console.line(#"  curl -H "Authorization: Bearer $(cat \#(tokenFile.path))" http://127.0.0.1:\#(httpPort)/requests/\#(key)"#)
            }
            await Signals.waitForTermination()
        }
        await viewer.close()
        workerTask.cancel()
        _ = await workerTask.result
        sidePortTask?.cancel()
        _ = await sidePortTask?.result
        await producer.shutdown(timeout: .seconds(5))
        await parts.release()
        await sandboxes.stop()
        cluster.shutdown()
        return summary.passed
    }

    /// Writes 32 random bytes, hex-encoded, to a new file only this user can read (0600 from
    /// the moment it exists, so there is no window in which others could open it).
    private static func writeRandomToken(to file: URL) throws {
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        var generator = SystemRandomNumberGenerator()
        let token = (0..<32).map { _ in String(format: "%02x", UInt8.random(in: .min ... .max, using: &generator)) }.joined()
        let descriptor = open(file.path, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        guard descriptor >= 0 else { throw CocoaError(.fileWriteNoPermission, userInfo: [NSFilePathErrorKey: file.path]) }
        defer { close(descriptor) }
        let bytes = Array((token + "\n").utf8)
        guard write(descriptor, bytes, bytes.count) == bytes.count else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: file.path])
        }
    }
}
