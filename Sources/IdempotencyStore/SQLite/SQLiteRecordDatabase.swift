import CouponModel
import Foundation
import GRDB
import Logging
import NIOPosix
import Synchronization

/// The SQLite driver: one connection to a database file, in WAL mode, on a thread of its own,
/// committing the statements of many callers together (group commit).
///
/// All statements of a store go through this one connection. Those that arrive while it is
/// busy queue in a ``StatementBatcher``; when the connection becomes free, it runs everything
/// queued in one `BEGIN IMMEDIATE … COMMIT` transaction and gives each caller its own rows or
/// its own error (``run(_:in:path:)``). A lone statement runs at once, on its own. Each
/// statement keeps its `WHERE`: in one transaction they run one after another, each seeing
/// the ones before it, exactly as if they had been committed one by one in that order.
/// Statements are prepared once and kept (GRDB's statement cache).
///
/// Other connections (other store instances, other processes) may open the same file;
/// `busy_timeout` makes them wait for each other's write locks. That wait blocks the thread
/// that runs the statement, so every connection gets a one-thread `NIOThreadPool` of its own
/// rather than sharing NIO's singleton pool: a store waiting for a lock can then never take
/// the thread the lock holder needs to finish (with a shared pool of two threads, two waiters
/// stall the holder until the timeout).
///
/// `synchronous = NORMAL` in WAL mode: a commit is in the WAL (the OS's page cache) when the
/// statement returns, so it survives the process being killed at any point; only a power loss
/// or kernel crash can lose the last commits, which then look like expired leases and go
/// through the takeover path.
final class SQLiteRecordDatabase: RecordDatabase {
    let binaryColumnType = "BLOB"
    /// The host's clock: SQLite reads `'now'` once per statement step, so every use in one
    /// statement sees the same instant.
    static let clockMilliseconds = "CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER)"
    /// Each ``RecordStatement``'s text in SQLite's placeholders, built once.
    static let texts = RecordStatementTexts(clock: clockMilliseconds, placeholders: numberedPlaceholders)
    /// How long a statement waits for another connection's write lock before failing.
    static let busyTimeoutMilliseconds = 5_000
    /// How long a migration waits for the write lock: instances that start together queue
    /// behind each other's migrations, which is the point of the lock, not a fault. On a
    /// loaded 2-core machine four starters were seen to wait more than 5 s.
    static let migrationBusyTimeoutMilliseconds = 60_000

    let path: String
    private let connection: DatabaseQueue
    /// The connection's thread: every use of `connection` runs on it.
    private let thread: NIOThreadPool
    private let logger: Logger
    private let batcher = StatementBatcher<QueuedStatement>(maximumWriters: 1)
    /// Every statement's deadline: past it the caller gets `unreachable` (a lock held elsewhere
    /// past the busy timeout's retries, a hung disk) while the statement finishes on its own.
    private let callDeadlines: DeadlineQueue<ContinuousClock>
    /// The database as errors name it.
    private let name: String
    /// Set by `close()`: statements after close fail as a typed error, not on a closed handle.
    private let isClosed = Mutex(false)

    private init(
        path: String, connection: DatabaseQueue, thread: NIOThreadPool, callDeadline: Duration, logger: Logger
    ) {
        self.path = path
        self.callDeadlines = DeadlineQueue(length: callDeadline, clock: ContinuousClock())
        self.name = "SQLite database at \(path)"
        self.connection = connection
        self.thread = thread
        self.logger = logger
    }

    /// Opens (creating if needed) the database file at `path` and switches it to WAL.
    static func open(path: String, callDeadline: Duration, logger: Logger) async throws(StoreError) -> SQLiteRecordDatabase {
        guard !path.isEmpty, !path.utf8.contains(0) else { throw .invalidInput("SQLite path is empty or contains NUL") }
        let thread = NIOThreadPool(numberOfThreads: 1)
        thread.start()
        do {
            let connection = try await run(on: thread, path: path) {
                let connection = try openConnection(path: path, forMigration: false)
                let mode = try connection.inDatabase { db in
                    let mode = try String.fetchOne(db, sql: "PRAGMA journal_mode = WAL")
                    try db.execute(sql: "PRAGMA synchronous = NORMAL")
                    return mode
                }
                guard mode?.lowercased() == "wal" else {
                    try? connection.close()
                    throw StoreError.unreachable(
                        "SQLite database at \(path) cannot use WAL (journal mode \(mode ?? "unknown"))")
                }
                return connection
            }
            return SQLiteRecordDatabase(
                path: path, connection: connection, thread: thread, callDeadline: callDeadline, logger: logger)
        } catch {
            try? await thread.shutdownGracefully()
            throw error
        }
    }

    /// A connection for statements, or (`forMigration`) one whose transaction stays open
    /// between two accesses (the migration awaits between its statements) and that waits
    /// longer for the write lock.
    private static func openConnection(path: String, forMigration: Bool) throws -> DatabaseQueue {
        var configuration = Configuration()
        let busyTimeout = forMigration ? migrationBusyTimeoutMilliseconds : busyTimeoutMilliseconds
        configuration.busyMode = .timeout(TimeInterval(busyTimeout) / 1000)
        configuration.allowsUnsafeTransactions = forMigration
        return try DatabaseQueue(path: path, configuration: configuration)
    }

    func recordRows(_ statement: RecordStatement, binds: [SQLValue]) async throws(StoreError) -> [StoredRow] {
        try await perform(statement, binds: binds, shape: .records).records
    }

    func integerRows(_ statement: RecordStatement, binds: [SQLValue]) async throws(StoreError) -> [Int64] {
        try await perform(statement, binds: binds, shape: .integers).integers
    }

    private func perform(
        _ statement: RecordStatement, binds: [SQLValue], shape: QueuedStatement.Shape
    ) async throws(StoreError) -> StatementRows {
        if isClosed.withLock({ $0 }) { throw closedError }
        let sqlite = SQLStatement(sql: Self.texts[statement], binds: binds)
        return try await QueuedStatement.run(
            sqlite, shape: shape, in: batcher, deadlines: callDeadlines, what: name
        ) { startWriter() }
    }

    /// Runs batches on the connection's thread until nothing is queued.
    private func startWriter() {
        thread.submit { [self] state in
            while let batch = batcher.nextBatch() {
                let answers: [Result<StatementRows, StoreError>]
                if case .active = state, !isClosed.withLock({ $0 }) {
                    answers = connection.inDatabase { db in Self.run(batch.map(\.work), in: db, path: path) }
                } else {
                    answers = Array(repeating: .failure(closedError), count: batch.count)
                }
                for (request, answer) in zip(batch, answers) { request.answer.resolve(answer) }
            }
        }
    }

    /// One batch: alone in autocommit when it is one statement, else in one transaction.
    ///
    /// A statement that fails inside the transaction rolls back only itself (SQLite's default
    /// `ABORT`): its caller gets its error, the others go on. When the transaction as a whole
    /// is gone (SQLite rolls it back on `SQLITE_FULL`, `IOERR`, `BUSY`, `NOMEM`) or the commit
    /// fails, nothing of the batch is committed, so each statement runs again alone and its
    /// caller gets that answer: no caller is ever told of a change that was not committed.
    static func run(_ batch: [QueuedStatement.Work], in db: Database, path: String) -> [Result<StatementRows, StoreError>] {
        if batch.count == 1 { return [execute(batch[0], in: db, path: path)] }
        do {
            try db.beginTransaction(.immediate)
        } catch {
            // No lock within the busy timeout: each statement alone would wait as long again.
            return Array(repeating: .failure(SQLiteErrorMapping.map(error, path: path)), count: batch.count)
        }
        var answers: [Result<StatementRows, StoreError>] = []
        answers.reserveCapacity(batch.count)
        for work in batch {
            answers.append(execute(work, in: db, path: path))
            guard db.isInsideTransaction else { return batch.map { execute($0, in: db, path: path) } }
        }
        do {
            try db.commit()
        } catch {
            if db.isInsideTransaction { try? db.rollback() }
            return batch.map { execute($0, in: db, path: path) }
        }
        return answers
    }

    /// Runs one statement and decodes its rows, or its error.
    private static func execute(_ work: QueuedStatement.Work, in db: Database, path: String) -> Result<StatementRows, StoreError> {
        execute(work.statement, shape: work.shape, in: db, path: path)
    }

    /// Runs `statement` (SQLite's placeholders) and decodes its rows in `shape`, or its error.
    fileprivate static func execute(
        _ sqlStatement: SQLStatement, shape: QueuedStatement.Shape, in db: Database, path: String
    ) -> Result<StatementRows, StoreError> {
        do {
            let statement = try db.cachedStatement(sql: sqlStatement.sql)
            // Straight through SQLite's C API. Nothing checks the count again: each statement
            // text comes with its own binds (`RecordStatement`). A statement that failed leaves
            // GRDB's cache, so the one here always resets cleanly.
            try SQLiteBindings.bind(sqlStatement.binds, to: statement)
            switch shape {
            case .records:
                // Column values straight from the statement: GRDB's `Row` would index the
                // columns by name on every run. Decoded once the statement is done.
                let cursor = ColumnValuesCursor(statement: statement)
                var rows: [[DatabaseValue]] = []
                while let row = try cursor.next() { rows.append(row) }
                return .success(.records(try rows.map(storedRow)))
            case .integers:
                guard statement.columnCount > 0 else {  // a migration's DDL: no rows
                    try statement.execute()
                    return .success(.integers([]))
                }
                // Straight from the statement's first column, without a `Row` per row.
                return .success(.integers(try Int64.fetchAll(statement)))
            }
        } catch {
            return .failure(SQLiteErrorMapping.map(error, path: path))
        }
    }

    /// Migrations run on a connection of their own inside `BEGIN IMMEDIATE`, which takes the
    /// database's write lock up front: concurrent migrators (in this process or others) queue
    /// on it, and the store's shared connection is never left inside a transaction that
    /// unrelated statements would join.
    func withMigrationTransaction(
        _ body: (any MigrationTransaction) async throws(StoreError) -> Void
    ) async throws(StoreError) {
        let migrationThread = NIOThreadPool(numberOfThreads: 1)
        migrationThread.start()
        defer { migrationThread.shutdownGracefully { _ in } }
        let path = self.path
        let migrationConnection = try await Self.run(on: migrationThread, path: path) {
            try Self.openConnection(path: path, forMigration: true)
        }
        let transaction = SQLiteMigrationTransaction(connection: migrationConnection, thread: migrationThread, path: path)
        let result: Result<Void, StoreError>
        do throws(StoreError) {
            try await Self.run(on: migrationThread, path: path) {
                try migrationConnection.inDatabase { try $0.beginTransaction(.immediate) }
            }
            do throws(StoreError) {
                try await body(transaction)
                try await Self.run(on: migrationThread, path: path) { try migrationConnection.inDatabase { try $0.commit() } }
                result = .success(())
            } catch {
                try? await Self.run(on: migrationThread, path: path) {
                    try migrationConnection.inDatabase { db in if db.isInsideTransaction { try db.rollback() } }
                }
                result = .failure(error)
            }
        } catch {
            result = .failure(error)
        }
        try? await Self.run(on: migrationThread, path: path) { try migrationConnection.close() }
        try result.get()
    }

    func close() async {
        let alreadyClosed = isClosed.withLock { closed in
            defer { closed = true }
            return closed
        }
        if alreadyClosed { return }
        // After every batch already on the thread: the thread runs its work in order.
        let connection = self.connection
        do {
            try await thread.runIfActive { try connection.close() }
        } catch {
            logger.warning("closing the SQLite idempotency store failed", metadata: ["path": "\(path)", "error": "\(error)"])
        }
        try? await thread.shutdownGracefully()
    }

    private var closedError: StoreError { .unreachable("\(name): the store is closed") }

    /// Runs `body` on `thread`, its errors mapped.
    fileprivate static func run<T: Sendable>(
        on thread: NIOThreadPool, path: String, _ body: @escaping @Sendable () throws -> T
    ) async throws(StoreError) -> T {
        do {
            return try await thread.runIfActive(body)
        } catch {
            throw SQLiteErrorMapping.map(error, path: path)
        }
    }

    /// `$1` → `?1`: the shared SQL uses PostgreSQL's placeholders; SQLite's numbered form binds
    /// the n-th value to `?n` wherever it appears, exactly as PostgreSQL does for `$n`.
    static func numberedPlaceholders(_ sql: String) -> String {
        var bytes = Array(sql.utf8)
        for i in bytes.indices.dropLast()
        where bytes[i] == UInt8(ascii: "$") && (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[i + 1]) {
            bytes[i] = UInt8(ascii: "?")
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The row of ``StoredRow/columns``, read by position (the order the statements ask for).
    private static func storedRow(_ row: [DatabaseValue]) throws(StoreError) -> StoredRow {
        guard row.count == 18 else { throw .corrupted("a record row has \(row.count) columns, not 18") }
        func value(_ index: Int) -> DatabaseValue.Storage { row[index].storage }
        func text(_ index: Int) throws(StoreError) -> String {
            guard case .string(let value) = value(index) else { throw .corrupted("column \(index) is not text") }
            return value
        }
        func optionalText(_ index: Int) throws(StoreError) -> String? {
            switch value(index) {
            case .string(let value): return value
            case .null: return nil
            default: throw .corrupted("column \(index) is not text or null")
            }
        }
        func integer(_ index: Int) throws(StoreError) -> Int64 {
            guard case .int64(let value) = value(index) else { throw .corrupted("column \(index) is not an integer") }
            return value
        }
        func optionalInteger(_ index: Int) throws(StoreError) -> Int64? {
            switch value(index) {
            case .int64(let value): return value
            case .null: return nil
            default: throw .corrupted("column \(index) is not an integer or null")
            }
        }
        func optionalBytes(_ index: Int) throws(StoreError) -> [UInt8]? {
            switch value(index) {
            case .blob(let data): return [UInt8](data)
            case .null: return nil
            default: throw .corrupted("column \(index) is not a blob or null")
            }
        }
        return StoredRow(
            provider: try text(0),
            merchant: try text(1),
            outRequestNo: try text(2),
            fingerprint: try text(3),
            state: try text(4),
            leaseOwner: try optionalText(5),
            leaseUntilMs: try optionalInteger(6),
            attempts: try integer(7),
            takeovers: try integer(8),
            resultStatus: try optionalText(9),
            resultEvent: try optionalBytes(10),
            createdAtMs: try integer(11),
            updatedAtMs: try integer(12),
            fence: try integer(13),
            inDoubt: try integer(14),
            source: try optionalText(15),
            reopenable: try integer(16),
            claimKind: try optionalText(17)
        )
    }
}

/// The rows of a statement as its column values, read without GRDB's `Row`.
private final class ColumnValuesCursor: DatabaseCursor {
    typealias Element = [DatabaseValue]
    let _statement: Statement
    var _isDone = false

    /// `statement` has its arguments set and is reset (`setUncheckedArguments` does both).
    init(statement: Statement) {
        self._statement = statement
    }

    func _element(sqliteStatement: SQLiteStatement) -> [DatabaseValue] {
        (0..<Int32(_statement.columnCount)).map { DatabaseValue(sqliteStatement: sqliteStatement, index: $0) }
    }
}

/// Statements of a migration, on the migration's own connection and thread.
private struct SQLiteMigrationTransaction: MigrationTransaction {
    let connection: DatabaseQueue
    let thread: NIOThreadPool
    let path: String

    func integerRows(_ statement: SQLStatement) async throws(StoreError) -> [Int64] {
        let connection = self.connection
        let path = self.path
        let sqlite = SQLStatement(sql: SQLiteRecordDatabase.numberedPlaceholders(statement.sql), binds: statement.binds)
        return try await SQLiteRecordDatabase.run(on: thread, path: path) {
            try connection.inDatabase { db in
                try SQLiteRecordDatabase.execute(sqlite, shape: .integers, in: db, path: path).get().integers
            }
        }
    }
}
