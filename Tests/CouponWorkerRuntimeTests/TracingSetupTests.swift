import Foundation
import Logging
import Synchronization
import Testing

@testable import CouponWorkerRuntime

/// `TracingSetup`: when spans are exported and how the file's `tracing` section becomes
/// swift-otel's configuration (the `OTEL_*` variables are applied over it by swift-otel).
@Suite("Tracing setup: off by default, on by OTLP endpoint or the file")
struct TracingSetupTests {
    @Test("export is off without an endpoint or `tracing.enabled`; an OTLP endpoint variable or the file turns it on")
    func enabling() {
        var off = WorkerSettings.Tracing()
        #expect(!TracingSetup.isEnabled(off, environment: [:]))
        #expect(!TracingSetup.isEnabled(off, environment: ["OTEL_EXPORTER_OTLP_ENDPOINT": ""]))
        #expect(!TracingSetup.isEnabled(off, environment: ["OTEL_SERVICE_NAME": "worker"]))
        #expect(TracingSetup.isEnabled(off, environment: ["OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"]))
        #expect(TracingSetup.isEnabled(off, environment: ["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://c:4318/v1/traces"]))
        off.enabled = false
        #expect(!TracingSetup.isEnabled(off, environment: [:]))
        var on = WorkerSettings.Tracing()
        on.enabled = true
        #expect(TracingSetup.isEnabled(on, environment: [:]))
        #expect(!TracingSetup.isEnabled(on, environment: ["OTEL_SDK_DISABLED": "true"]))
    }

    @Test("the file's tracing section: endpoint as a base URL, service name, sampler ratio within 0…1")
    func fileSection() throws {
        let folder = try ConfigFolder()
        let file = try folder.write("config.json", """
            {"tracing":{"enabled":true,"endpoint":"http://collector:4318/","service_name":"coupons-eu","sampler_ratio":0.25}}
            """)
        let settings = try WorkerSettings.load(file: file, environment: [:])
        #expect(settings.tracing.enabled == true)
        #expect(settings.tracing.samplerRatio == 0.25)
        let configuration = try TracingSetup.configuration(settings.tracing, logger: Logger(label: "test"))
        #expect(configuration.serviceName == "coupons-eu")
        #expect(configuration.traces.otlpExporter.endpoint == "http://collector:4318/v1/traces")
        #expect(configuration.traces.enabled && !configuration.logs.enabled && !configuration.metrics.enabled)
        #expect(try TracingSetup.configuration(.init(), logger: Logger(label: "test")).serviceName == "coupon-worker")

        var wrong = WorkerSettings.Tracing()
        wrong.samplerRatio = 1.5
        do throws(ConfigurationProblems) {
            _ = try TracingSetup.configuration(wrong, logger: Logger(label: "test"))
            Issue.record("a sampler ratio above 1 was accepted")
        } catch {
            #expect(error.lines == ["tracing.sampler_ratio must be 0 to 1"])
        }
    }

    /// What `ExportDiagnostics` counted and what it passed on to the handler below it.
    final class Recorded: Sendable {
        let counts = Mutex<[String: Int]>([:])
        let logged = Mutex<[String]>([])

        /// A swift-otel diagnostic logger whose lines go through `ExportDiagnostics` to here.
        func logger() -> Logger {
            var handler = ExportDiagnostics(inner: Recorder(recorded: self))
            handler.count = { label, amount in self.counts.withLock { $0[label, default: 0] += amount } }
            return Logger(label: "swift-otel") { _ in handler }
        }
    }

    struct Recorder: LogHandler {
        let recorded: Recorded
        var logLevel: Logger.Level = .trace
        var metadata: Logger.Metadata = [:]
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
        func log(event: LogEvent) { recorded.logged.withLock { $0.append("\(event.message)") } }
    }

    @Test("swift-otel's diagnostic lines about dropped spans and failed exports are counted, and still logged")
    func exportProblemsAreCounted() {
        let recorded = Recorded()
        let logger = recorded.logger()
        // As swift-otel 1.6.0's batch span processor writes them.
        logger.warning("Spans were dropped this iteration because queue was full", metadata: [
            "queue_size": "2048", "dropped_count": "\(3)",
        ])
        logger.warning("Spans were dropped this iteration because queue was full", metadata: ["dropped_count": "2"])
        logger.warning("Failed to export batch.")
        logger.debug("Exported batch.")
        #expect(recorded.counts.withLock { $0 } == [ExportDiagnostics.droppedSpans: 5, ExportDiagnostics.failedExports: 1])
        #expect(recorded.logged.withLock { $0 }.count == 4)
    }

    @Test("drops and failed exports are counted when the diagnostic level (OTEL_LOG_LEVEL=error) hides swift-otel's warnings")
    func exportProblemsAreCountedBelowTheLogLevel() {
        let recorded = Recorded()
        var logger = recorded.logger()
        // swift-otel sets its diagnostic logger's level from OTEL_LOG_LEVEL or the configuration.
        logger.logLevel = .error
        logger.warning("Spans were dropped this iteration because queue was full", metadata: ["dropped_count": "7"])
        logger.warning("Failed to export batch.")
        logger.error("Failed to export batch.")
        #expect(recorded.counts.withLock { $0 } == [ExportDiagnostics.droppedSpans: 7, ExportDiagnostics.failedExports: 2])
        #expect(recorded.logged.withLock { $0 } == ["Failed to export batch."], "only the line at the logger's level is logged")
    }
}
