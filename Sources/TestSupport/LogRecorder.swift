import Logging
import Synchronization

/// Captures log records so a test can wait for something a component reported (librdkafka,
/// the worker): an explicit event instead of a sleep.
public final class LogRecorder: Sendable {
    public struct Record: Sendable {
        public var level: Logger.Level
        public var message: String
        public var facility: String
        /// The record's metadata, the logger's merged with the call's.
        public var metadata: Logger.Metadata = [:]
    }

    private struct Waiter {
        var predicate: @Sendable (Record) -> Bool
        var continuation: CheckedContinuation<Record, Never>
    }

    private struct State {
        var records: [Record] = []
        var waiters: [Waiter] = []
    }

    private let state = Mutex(State())

    public init() {}

    /// A logger whose records go to this recorder.
    public func logger(label: String) -> Logger {
        var logger = Logger(label: label) { _ in Handler(recorder: self) }
        logger.logLevel = .debug
        return logger
    }

    /// Every record so far.
    public var records: [Record] { state.withLock { $0.records } }

    /// Waits for the first record (past or future) matching `predicate`.
    public func first(where predicate: @escaping @Sendable (Record) -> Bool) async -> Record {
        await withCheckedContinuation { continuation in
            let found = state.withLock { state -> Record? in
                if let record = state.records.first(where: predicate) { return record }
                state.waiters.append(Waiter(predicate: predicate, continuation: continuation))
                return nil
            }
            if let found { continuation.resume(returning: found) }
        }
    }

    fileprivate func append(_ record: Record) {
        let ready = state.withLock { state -> [CheckedContinuation<Record, Never>] in
            state.records.append(record)
            let matching = state.waiters.filter { $0.predicate(record) }
            state.waiters.removeAll { $0.predicate(record) }
            return matching.map(\.continuation)
        }
        for continuation in ready {
            continuation.resume(returning: record)
        }
    }

    private struct Handler: LogHandler {
        let recorder: LogRecorder
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .debug

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            let facility = event.metadata?["kafka.facility"].map { "\($0)" } ?? ""
            let merged = metadata.merging(event.metadata ?? [:]) { _, call in call }
            recorder.append(Record(level: event.level, message: "\(event.message)", facility: facility, metadata: merged))
        }
    }
}
