import Logging
import Metrics
import OTel
import ServiceLifecycle
import Tracing

/// Export of the command spans (`CouponWorker`'s `CommandSpans`) over OTLP/HTTP with swift-otel.
///
/// Off by default: on when `OTEL_EXPORTER_OTLP_ENDPOINT` or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`
/// is set, or the config file says `tracing.enabled` (and `OTEL_SDK_DISABLED=true` is not set).
/// The file's `tracing` section is the base; swift-otel applies the `OTEL_*` variables over it
/// (`OTEL_SERVICE_NAME`, `OTEL_TRACES_SAMPLER`/`_ARG`, `OTEL_RESOURCE_ATTRIBUTES`,
/// `OTEL_BSP_*`, `OTEL_EXPORTER_OTLP_*`), as the OpenTelemetry spec says.
///
/// Exporting never blocks the pipeline: an ended span is handed to swift-otel's batch span
/// processor, which exports from its own task; when its bounded queue is full, spans are
/// dropped and counted in `coupon_trace_spans_dropped_total`; a failed export is counted in
/// `coupon_trace_export_failures_total`, both read from swift-otel's diagnostic lines
/// (`ExportDiagnostics`). The returned service flushes the queue when the service group shuts
/// it down, after the worker (it runs first in the group).
public enum TracingSetup {
    /// Whether spans are exported.
    public static func isEnabled(_ settings: WorkerSettings.Tracing, environment: [String: String]) -> Bool {
        if environment["OTEL_SDK_DISABLED"]?.lowercased() == "true" { return false }
        let endpoints = ["OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"]
        if endpoints.contains(where: { !(environment[$0] ?? "").isEmpty }) { return true }
        return settings.enabled ?? false
    }

    /// Bootstraps the process's tracer when export is on, and returns the exporting service
    /// to run in the service group; nil when export is off (the Tracing API stays a no-op).
    /// Call it once per process, before the worker starts.
    public static func bootstrap(
        _ settings: WorkerSettings.Tracing, environment: [String: String], logger: Logger
    ) throws(ConfigurationProblems) -> (any Service)? {
        guard isEnabled(settings, environment: environment) else { return nil }
        let configuration = try configuration(settings, logger: logger)
        do {
            let backend = try OTel.makeTracingBackend(configuration: configuration)
            InstrumentationSystem.bootstrap(backend.factory)
            return backend.service
        } catch {
            throw ConfigurationProblems(["tracing: \(error)"])
        }
    }

    /// The file's `tracing` section as swift-otel's configuration: traces only (logs and
    /// metrics have their own paths), OTLP over HTTP with protobuf, W3C trace context.
    static func configuration(_ settings: WorkerSettings.Tracing, logger: Logger) throws(ConfigurationProblems) -> OTel.Configuration {
        var configuration = OTel.Configuration.default
        configuration.serviceName = settings.serviceName ?? "coupon-worker"
        configuration.logs.enabled = false
        configuration.metrics.enabled = false
        configuration.traces.enabled = true
        configuration.traces.exporter = .otlp
        configuration.traces.otlpExporter.protocol = .httpProtobuf
        configuration.propagators = [.traceContext]
        if let endpoint = settings.endpoint {
            // A base URL, as OTEL_EXPORTER_OTLP_ENDPOINT: the traces path is appended.
            let base = endpoint.hasSuffix("/") ? String(endpoint.dropLast()) : endpoint
            configuration.traces.otlpExporter.endpoint = base.hasSuffix("/v1/traces") ? base : base + "/v1/traces"
        }
        if let ratio = settings.samplerRatio {
            guard let sampler = OTel.Configuration.TracesConfiguration.SamplerConfiguration.parentBasedTraceIDRatio(ratio: ratio)
            else {
                throw ConfigurationProblems(["tracing.sampler_ratio must be 0 to 1"])
            }
            configuration.traces.sampler = sampler
        }
        let handler = Logger(label: "swift-otel").handler
        var diagnostics = Logger(label: "swift-otel") { _ in ExportDiagnostics(inner: handler) }
        diagnostics.logLevel = logger.logLevel
        configuration.diagnosticLogger = .custom(diagnostics)
        return configuration
    }
}

/// swift-otel reports dropped spans and failed exports only in its diagnostic log (as of
/// 1.6.0: "Spans were dropped this iteration because queue was full" with `dropped_count`,
/// and "Failed to export batch.", both warnings); this handler counts them for `/metrics`,
/// then logs as every other handler does.
///
/// swift-otel sets its diagnostic logger's level itself (`OTEL_LOG_LEVEL`, else `info`), so
/// this handler admits warnings whatever that level is: a level of `error` must hide the
/// lines, not the counts. A line reaches the handler below only at that handler's level.
///
/// Counting from log lines is a stopgap: swift-otel 1.6.0 keeps its span processor and
/// exporter protocols internal, so a processor of our own cannot be put in their place.
struct ExportDiagnostics: LogHandler {
    static let droppedSpans = "coupon_trace_spans_dropped_total"
    static let failedExports = "coupon_trace_export_failures_total"

    var inner: any LogHandler
    /// Adds to a counter by label (swift-metrics; a test records instead).
    var count: @Sendable (_ label: String, _ amount: Int) -> Void = { label, amount in
        Counter(label: label).increment(by: amount)
    }

    /// Never above `warning`, so the lines that are counted always arrive; setting it sets
    /// the level of the handler below, which decides what is logged.
    var logLevel: Logger.Level {
        get { min(inner.logLevel, .warning) }
        set { inner.logLevel = newValue }
    }

    var metadata: Logger.Metadata {
        get { inner.metadata }
        set { inner.metadata = newValue }
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { inner[metadataKey: key] }
        set { inner[metadataKey: key] = newValue }
    }

    func log(event: LogEvent) {
        if let value = event.metadata?["dropped_count"], let dropped = Int("\(value)") {
            count(Self.droppedSpans, dropped)
        }
        if "\(event.message)" == "Failed to export batch." {
            count(Self.failedExports, 1)
        }
        if event.level >= inner.logLevel { inner.log(event: event) }
    }
}
