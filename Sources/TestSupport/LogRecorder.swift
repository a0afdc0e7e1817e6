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
        var id: Int
        var predicate: @Sendable (Record) -> Bool
        var continuation: CheckedContinuation<Record, any Error>
    }

    private struct State {
        var records: [Record] = []
        var waiters: [Waiter] = []
        var nextWaiterID = 0
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

    /// Waits for the first record (past or future) matching `predicate`; throws
    /// `CancellationError` when the waiting task is cancelled (e.g. by a test's time limit), so
    /// a record that never comes fails the test instead of hanging it.
    public func first(where predicate: @escaping @Sendable (Record) -> Bool) async throws -> Record {
        let id = state.withLock { state in
            defer { state.nextWaiterID += 1 }
            return state.nextWaiterID
        }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                let found = state.withLock { state -> Result<Record, any Error>? in
                    if let record = state.records.first(where: predicate) { return .success(record) }
                    if Task.isCancelled { return .failure(CancellationError()) }
                    state.waiters.append(Waiter(id: id, predicate: predicate, continuation: continuation))
                    return nil
                }
                if let found { continuation.resume(with: found) }
            }
        } onCancel: {
            let cancelled = state.withLock { state -> CheckedContinuation<Record, any Error>? in
                guard let index = state.waiters.firstIndex(where: { $0.id == id }) else { return nil }
                return state.waiters.remove(at: index).continuation
            }
            cancelled?.resume(throwing: CancellationError())
        }
    }

    fileprivate func append(_ record: Record) {
        let ready = state.withLock { state -> [CheckedContinuation<Record, any Error>] in
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
