import Foundation
import Logging
import Synchronization

/// One JSON object per line on standard error: what log shippers read without parsing rules.
///
/// Fields: `ts`, `level`, `logger`, `msg`, then the metadata. librdkafka's logs arrive
/// through the Kafka module's logger and come out the same way.
struct JSONLogHandler: LogHandler {
    private static let output = Mutex(())

    let label: String
    var logLevel: Logger.Level = .info
    var metadata: Logger.Metadata = [:]
    /// Metadata of the moment (the active span's trace_id and span_id).
    var metadataProvider: Logger.MetadataProvider?

    init(label: String, metadataProvider: Logger.MetadataProvider? = nil) {
        self.label = label
        self.metadataProvider = metadataProvider
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var object: [String: String] = [
            "ts": ISO8601DateFormatter().string(from: Date()),
            "level": event.level.rawValue,
            "logger": label,
            "msg": "\(event.message)",
        ]
        let current = metadata.merging(metadataProvider?.get() ?? [:], uniquingKeysWith: { _, new in new })
        for (k, v) in current.merging(event.metadata ?? [:], uniquingKeysWith: { _, new in new }) {
            object[k] = "\(v)"
        }
        guard var line = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]) else { return }
        line.append(UInt8(ascii: "\n"))
        Self.output.withLock { _ in FileHandle.standardError.write(line) }
    }
}
