import Logging
import NIOCore
import SQLiteNIO
import Synchronization

/// The SQLite driver: one connection to a database file, in WAL mode, on a thread of its own.
///
/// All statements of a store go through this one connection, which SQLite serialises
/// (sqlite-nio opens it `FULLMUTEX`): each statement is atomic on its own, which is all
/// ``IdempotencyTable`` needs. Other connections (other store instances, other processes) may
/// open the same file; `busy_timeout` makes them wait for each other's write locks.
///
/// That wait blocks the thread that runs the statement, so every connection gets a
/// one-thread `NIOThreadPool` of its own rather than sharing NIO's singleton pool: a store
/// waiting for a lock can then never take the thread the lock holder needs to finish (with a
/// shared pool of two threads, two waiters stall the holder until the timeout).
///
/// `synchronous = NORMAL` in WAL mode: a commit is in the WAL (the OS's page cache) when the
/// statement returns, so it survives the process being killed at any point; only a power loss
/// or kernel crash can lose the last commits, which then look like expired leases and go
/// through the takeover path.
final class SQLiteRecordDatabase: RecordDatabase {
    let binaryColumnType = "BLOB"
    /// The host's clock: SQLite reads `'now'` once per statement step, so every use in one
    /// statement sees the same instant.
    let clockMilliseconds = "CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER)"
    /// How long a statement waits for another connection's write lock before failing.
    static let busyTimeoutMilliseconds = 5_000

    let path: String
    private let connection: SQLiteConnection
    private let threadPool: NIOThreadPool
    private let logger: Logger
    /// Set by `close()`: sqlite-nio does not guard a closed handle in release builds, so
    /// statements after close must be stopped here, as a typed error.
    private let isClosed = Mutex(false)

    private init(path: String, connection: SQLiteConnection, threadPool: NIOThreadPool, logger: Logger) {
        self.path = path
        self.connection = connection
        self.threadPool = threadPool
        self.logger = logger
    }

    /// Opens (creating if needed) the database file at `path` and switches it to WAL.
    static func open(path: String, logger: Logger) async throws(StoreError) -> SQLiteRecordDatabase {
        guard !path.isEmpty, !path.utf8.contains(0) else { throw .invalidInput("SQLite path is empty or contains NUL") }
        let threadPool = NIOThreadPool(numberOfThreads: 1)
        threadPool.start()
        let connection: SQLiteConnection
        do {
            connection = try await openConnection(path: path, threadPool: threadPool, logger: logger)
        } catch {
            try? await threadPool.shutdownGracefully()
            throw error
        }
        do {
            let mode = try await connection.query("PRAGMA journal_mode = WAL").first?.column("journal_mode")?.string
            guard mode?.lowercased() == "wal" else {
                throw StoreError.unreachable("SQLite database at \(path) cannot use WAL (journal mode \(mode ?? "unknown"))")
            }
            _ = try await connection.query("PRAGMA synchronous = NORMAL")
        } catch {
            try? await connection.close()
            try? await threadPool.shutdownGracefully()
            throw SQLiteErrorMapping.map(error, path: path)
        }
        return SQLiteRecordDatabase(path: path, connection: connection, threadPool: threadPool, logger: logger)
    }

    private static func openConnection(
        path: String, threadPool: NIOThreadPool, logger: Logger
    ) async throws(StoreError) -> SQLiteConnection {
        let connection: SQLiteConnection
        do {
            connection = try await SQLiteConnection.open(
                storage: .file(path: path), threadPool: threadPool, logger: logger,
                on: MultiThreadedEventLoopGroup.singleton.any())
        } catch {
            throw SQLiteErrorMapping.map(error, path: path)
        }
        do {
            _ = try await connection.query("PRAGMA busy_timeout = \(busyTimeoutMilliseconds)")
        } catch {
            try? await connection.close()
            throw SQLiteErrorMapping.map(error, path: path)
        }
        return connection
    }

    func recordRows(_ statement: SQLStatement) async throws(StoreError) -> [StoredRow] {
        let rows = try await run(statement, on: connection)
        var records: [StoredRow] = []
        records.reserveCapacity(rows.count)
        for row in rows { records.append(try Self.storedRow(row)) }
        return records
    }

    func integerRows(_ statement: SQLStatement) async throws(StoreError) -> [Int64] {
        try Self.integers(try await run(statement, on: connection))
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
        let migrationConnection = try await Self.openConnection(path: path, threadPool: migrationThread, logger: logger)
        let result: Result<Void, StoreError>
        do throws(StoreError) {
            _ = try await run(SQLStatement(sql: "BEGIN IMMEDIATE", binds: []), on: migrationConnection)
            do throws(StoreError) {
                try await body(SQLiteMigrationTransaction(database: self, connection: migrationConnection))
                _ = try await run(SQLStatement(sql: "COMMIT", binds: []), on: migrationConnection)
                result = .success(())
            } catch {
                _ = try? await run(SQLStatement(sql: "ROLLBACK", binds: []), on: migrationConnection)
                result = .failure(error)
            }
        } catch {
            result = .failure(error)
        }
        try? await migrationConnection.close()
        try result.get()
    }

    func close() async {
        let alreadyClosed = isClosed.withLock { closed in
            defer { closed = true }
            return closed
        }
        if alreadyClosed { return }
        do {
            try await connection.close()
        } catch {
            logger.warning("closing the SQLite idempotency store failed", metadata: ["path": "\(path)", "error": "\(error)"])
        }
        try? await threadPool.shutdownGracefully()
    }

    fileprivate func run(_ statement: SQLStatement, on connection: SQLiteConnection) async throws(StoreError) -> [SQLiteRow] {
        if isClosed.withLock({ $0 }) { throw .unreachable("SQLite database at \(path): the store is closed") }
        do {
            return try await connection.query(Self.numberedPlaceholders(statement.sql), statement.binds.map(Self.data))
        } catch {
            throw SQLiteErrorMapping.map(error, path: path)
        }
    }

    fileprivate static func integers(_ rows: [SQLiteRow]) throws(StoreError) -> [Int64] {
        var values: [Int64] = []
        values.reserveCapacity(rows.count)
        for row in rows {
            guard case .integer(let value)? = row.columns.first?.data else {
                throw .corrupted("expected an integer, got \(row.columns.first?.data.description ?? "no column")")
            }
            values.append(Int64(value))
        }
        return values
    }

    /// `$1` → `?1`: the shared SQL uses PostgreSQL's placeholders; SQLite's numbered form binds
    /// the n-th value to `?n` wherever it appears, exactly as PostgreSQL does for `$n`.
    private static func numberedPlaceholders(_ sql: String) -> String {
        // Byte-wise: this runs for every statement (a Character walk showed up at 5 % of CPU).
        var bytes = Array(sql.utf8)
        for i in bytes.indices.dropLast()
        where bytes[i] == UInt8(ascii: "$") && (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[i + 1]) {
            bytes[i] = UInt8(ascii: "?")
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func data(_ value: SQLValue) -> SQLiteData {
        switch value {
        case .text(let text): .text(text)
        case .integer(let integer): .integer(SQLiteInt64(integer))
        case .bytes(let bytes): .blob(ByteBuffer(bytes: bytes))
        }
    }

    private static func storedRow(_ row: SQLiteRow) throws(StoreError) -> StoredRow {
        func text(_ name: String) throws(StoreError) -> String {
            guard case .text(let value)? = row.column(name) else { throw .corrupted("column \(name) is not text") }
            return value
        }
        func optionalText(_ name: String) throws(StoreError) -> String? {
            switch row.column(name) {
            case .text(let value)?: return value
            case .null?: return nil
            default: throw .corrupted("column \(name) is not text or null")
            }
        }
        func integer(_ name: String) throws(StoreError) -> Int64 {
            guard case .integer(let value)? = row.column(name) else { throw .corrupted("column \(name) is not an integer") }
            return Int64(value)
        }
        func optionalInteger(_ name: String) throws(StoreError) -> Int64? {
            switch row.column(name) {
            case .integer(let value)?: return Int64(value)
            case .null?: return nil
            default: throw .corrupted("column \(name) is not an integer or null")
            }
        }
        func optionalBytes(_ name: String) throws(StoreError) -> [UInt8]? {
            switch row.column(name) {
            case .blob(let buffer)?: return Array(buffer.readableBytesView)
            case .null?: return nil
            default: throw .corrupted("column \(name) is not a blob or null")
            }
        }
        return StoredRow(
            provider: try text("provider"),
            merchant: try text("merchant"),
            outRequestNo: try text("out_request_no"),
            fingerprint: try text("fingerprint"),
            state: try text("state"),
            leaseOwner: try optionalText("lease_owner"),
            leaseUntilMs: try optionalInteger("lease_until_ms"),
            attempts: try integer("attempts"),
            takeovers: try integer("takeovers"),
            resultStatus: try optionalText("result_status"),
            resultEvent: try optionalBytes("result_event"),
            createdAtMs: try integer("created_at_ms"),
            updatedAtMs: try integer("updated_at_ms"),
            fence: try integer("fence"),
            inDoubt: try integer("in_doubt"),
            source: try optionalText("source"),
            reopenable: try integer("reopenable"),
            claimKind: try optionalText("claim_kind")
        )
    }
}

/// Statements of a migration, on the migration's own connection.
private struct SQLiteMigrationTransaction: MigrationTransaction {
    let database: SQLiteRecordDatabase
    let connection: SQLiteConnection

    func integerRows(_ statement: SQLStatement) async throws(StoreError) -> [Int64] {
        try SQLiteRecordDatabase.integers(try await database.run(statement, on: connection))
    }
}
