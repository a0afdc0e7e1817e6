import Logging

/// Installs the process-wide log handler: text (default) or JSON lines. Every command calls
/// it once, first; the level is a `Logger.Level` name (`info` when unknown).
public enum LoggingSetup {
    public static func bootstrap(format: String?, level: String?) {
        let logLevel = level.flatMap(Logger.Level.init(rawValue:)) ?? .info
        let json = format?.lowercased() == "json"
        LoggingSystem.bootstrap { label in
            var handler: any LogHandler = json ? JSONLogHandler(label: label) : StreamLogHandler.standardError(label: label)
            handler.logLevel = logLevel
            return handler
        }
    }
}
