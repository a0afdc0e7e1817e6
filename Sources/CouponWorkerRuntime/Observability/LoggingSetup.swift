import Logging
import OTel

/// Installs the process-wide log handler: text (default) or JSON lines. Every command calls
/// it once, first; the level is a `Logger.Level` name (`info` when unknown). While a span is
/// active (tracing on, `TracingSetup`), every line carries its `trace_id` and `span_id`.
public enum LoggingSetup {
    public static func bootstrap(format: String?, level: String?) {
        let logLevel = level.flatMap(Logger.Level.init(rawValue:)) ?? .info
        let json = format?.lowercased() == "json"
        LoggingSystem.bootstrap({ label, provider in
            var handler: any LogHandler = json
                ? JSONLogHandler(label: label, metadataProvider: provider)
                : StreamLogHandler.standardError(label: label, metadataProvider: provider)
            handler.logLevel = logLevel
            return handler
        }, metadataProvider: OTel.makeLoggingMetadataProvider())
    }
}
