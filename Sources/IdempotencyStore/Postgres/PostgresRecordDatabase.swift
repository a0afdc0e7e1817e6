import Logging
import PostgresNIO

/// The PostgreSQL driver: a `PostgresClient` connection pool whose `run()` this driver owns.
///
/// Every statement is sent with its values bound as parameters (`PostgresQuery(unsafeSQL:)`
/// is given only the constant SQL text of ``IdempotencyTable``). In PostgreSQL's default
/// READ COMMITTED isolation, `INSERT … ON CONFLICT DO UPDATE … WHERE` locks the conflicting
/// row and re-checks the `WHERE` on its newest version, so of many concurrent claimers on
/// different connections exactly one inserts, and exactly one takes over an expired lease.
///
/// Group commit: statements that arrive while every connection is busy queue in a
/// ``StatementBatcher``; a connection that becomes free runs everything queued in one
/// transaction and gives each caller its own rows or error (``run(_:)``). One commit (one WAL
/// flush) then serves many callers. A lone statement runs at once, in autocommit.
final class PostgresRecordDatabase: RecordDatabase {
    let binaryColumnType = "BYTEA"
    /// The server's clock at the start of the statement: the same value everywhere in it.
    let clockMilliseconds = "CAST(EXTRACT(EPOCH FROM statement_timestamp()) * 1000 AS BIGINT)"
    /// Held (per transaction) by migrators, so instances that start together do not race.
    static let migrationLockID: Int64 = 0x636F_7570_6F6E_6964  // "couponid"

    let location: PostgresLocation
    private let client: PostgresClient
    private let logger: Logger
    /// The pool's `run()`: cancelled and awaited by `close()`, so no work outlives the store.
    private let runTask: Task<Void, Never>
    /// One writer per pooled connection.
    private let batcher: StatementBatcher<QueuedStatement>

    /// Checks that the server answers and accepts the credentials, then starts the pool.
    ///
    /// The check uses one plain connection because the pool only reports a server it cannot
    /// reach after its circuit breaker trips (a minute): an unreachable or misconfigured
    /// database must fail at start, fast and typed.
    init(location: PostgresLocation, maximumConnections: Int, logger: Logger) async throws(StoreError) {
        try await Self.probe(location, logger: logger)
        var configuration = PostgresClient.Configuration(
            host: location.host, port: location.port, username: location.username, password: location.password,
            database: location.database, tls: Self.clientTLS(location.tlsMode)
        )
        configuration.options.maximumConnections = maximumConnections
        configuration.options.connectTimeout = .seconds(10)
        let client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        self.location = location
        self.client = client
        self.logger = logger
        self.runTask = Task { await client.run() }
        self.batcher = StatementBatcher(maximumWriters: maximumConnections)
    }

    deinit {
        runTask.cancel()  // a store dropped without close() still stops its pool
    }

    private static func probe(_ location: PostgresLocation, logger: Logger) async throws(StoreError) {
        do {
            var configuration = PostgresConnection.Configuration(
                host: location.host, port: location.port, username: location.username, password: location.password,
                database: location.database, tls: try connectionTLS(location.tlsMode)
            )
            configuration.options.connectTimeout = .seconds(10)
            let connection = try await PostgresConnection.connect(configuration: configuration, id: 0, logger: logger)
            try await connection.close()
        } catch {
            throw PostgresErrorMapping.map(error, location: location)
        }
    }

    private static func clientTLS(_ mode: PostgresLocation.TLSMode) -> PostgresClient.Configuration.TLS {
        switch mode {
        case .disable: .disable
        case .prefer: .prefer(.makeClientConfiguration())
        case .require: .require(.makeClientConfiguration())
        }
    }

    private static func connectionTLS(_ mode: PostgresLocation.TLSMode) throws -> PostgresConnection.Configuration.TLS {
        switch mode {
        case .disable: .disable
        case .prefer: .prefer(try NIOSSLContext(configuration: .makeClientConfiguration()))
        case .require: .require(try NIOSSLContext(configuration: .makeClientConfiguration()))
        }
    }

    func recordRows(_ statement: SQLStatement) async throws(StoreError) -> [StoredRow] {
        try await QueuedStatement.run(statement, shape: .records, in: batcher) { startWriter() }.records
    }

    func integerRows(_ statement: SQLStatement) async throws(StoreError) -> [Int64] {
        try await QueuedStatement.run(statement, shape: .integers, in: batcher) { startWriter() }.integers
    }

    /// A writer runs batches until nothing is queued, then ends. It is not detached from an
    /// owner: every statement it takes has a caller suspended until the writer answers it.
    private func startWriter() {
        Task { await write() }
    }

    private func write() async {
        while let batch = batcher.nextBatch() {
            let answers = await run(batch.map(\.work))
            for (request, answer) in zip(batch, answers) { request.answer.resume(returning: answer) }
        }
    }

    /// What became of a batch's transaction.
    private enum BatchOutcome: Sendable {
        /// Committed: these are the answers.
        case committed([Result<StatementRows, StoreError>])
        /// Nothing of it was committed (a statement failed and aborted the transaction, a
        /// deadlock with another batch, the connection lost before `COMMIT`).
        case rolledBack
        /// `COMMIT` got no answer: the batch may or may not be committed.
        case unknown(StoreError)
    }

    /// One batch: alone in autocommit when it is one statement, else in one transaction on one
    /// pooled connection.
    ///
    /// A statement that fails aborts the whole transaction in PostgreSQL, so then nothing of
    /// the batch is committed and each statement runs again alone (in autocommit, in batch
    /// order): its caller gets that answer, never one from the rolled-back transaction. When
    /// `COMMIT` itself goes unanswered, the batch's fate is unknown and every caller gets the
    /// error, as a lone statement's caller would.
    func run(_ batch: [QueuedStatement.Work]) async -> [Result<StatementRows, StoreError>] {
        if batch.count == 1 { return [await alone(batch[0])] }
        let outcome: BatchOutcome
        do {
            // Row locks in key order, as every other batch takes them: two batches on different
            // connections then wait for each other but never deadlock over keyed rows. Any order
            // is a correct one: the callers are concurrent, none waits on another's statement.
            let order = batch.indices.sorted { Self.precedes(batch[$0].statement, batch[$1].statement) }
            outcome = try await client.withConnection { connection in
                switch await self.transaction(order.map { batch[$0] }, on: connection) {
                case .committed(let sorted):
                    var answers = sorted
                    for (position, index) in order.enumerated() { answers[index] = sorted[position] }
                    return .committed(answers)
                case let other:
                    return other
                }
            }
        } catch {
            // No connection from the pool: each statement alone would find none either.
            return Array(repeating: .failure(PostgresErrorMapping.map(error, location: location)), count: batch.count)
        }
        switch outcome {
        case .committed(let answers):
            return answers
        case .rolledBack:
            var answers: [Result<StatementRows, StoreError>] = []
            for work in batch { answers.append(await alone(work)) }
            return answers
        case .unknown(let error):
            return Array(repeating: .failure(error), count: batch.count)
        }
    }

    private func transaction(_ batch: [QueuedStatement.Work], on connection: PostgresConnection) async -> BatchOutcome {
        var answers: [Result<StatementRows, StoreError>] = []
        answers.reserveCapacity(batch.count)
        do {
            try await connection.query("BEGIN", logger: logger)
            for work in batch {
                answers.append(.success(try await Self.rows(
                    connection.query(Self.query(work.statement), logger: logger), shape: work.shape)))
            }
        } catch {
            _ = try? await connection.query("ROLLBACK", logger: logger)
            return .rolledBack
        }
        do {
            try await connection.query("COMMIT", logger: logger)
        } catch let error as PSQLError where error.code == .server {
            return .rolledBack  // the server answered: it refused the commit and rolled back
        } catch {
            return .unknown(PostgresErrorMapping.map(error, location: location))
        }
        return .committed(answers)
    }

    /// One statement in autocommit. A deadlock victim or a serialization failure was rolled
    /// back whole, so it runs again, a bounded number of times.
    private func alone(_ work: QueuedStatement.Work) async -> Result<StatementRows, StoreError> {
        var attempt = 1
        while true {
            do {
                return .success(try await Self.rows(client.query(Self.query(work.statement), logger: logger), shape: work.shape))
            } catch let error as PSQLError where attempt < Self.rolledBackAttempts && Self.wasRolledBack(error) {
                attempt += 1
            } catch {
                return .failure(PostgresErrorMapping.map(error, location: location))
            }
        }
    }

    /// Runs of a statement that the server rolled back as a deadlock victim.
    static let rolledBackAttempts = 3

    private static func wasRolledBack(_ error: PSQLError) -> Bool {
        guard error.code == .server, let state = error.serverInfo?[.sqlState] else { return false }
        return state == "40P01" || state == "40001"  // deadlock_detected, serialization_failure
    }

    /// Batch order: by the first three bound values (the key, in every keyed statement).
    private static func precedes(_ first: SQLStatement, _ second: SQLStatement) -> Bool {
        for (a, b) in zip(first.binds.prefix(3), second.binds.prefix(3)) where a != b {
            switch (a, b) {
            case (.text(let x), .text(let y)): return x < y
            case (.integer(let x), .integer(let y)): return x < y
            case (.bytes(let x), .bytes(let y)): return x.lexicographicallyPrecedes(y)
            case (.text, _), (.integer, .bytes): return true
            default: return false
            }
        }
        return first.binds.count < second.binds.count
    }

    fileprivate static func rows(_ sequence: PostgresRowSequence, shape: QueuedStatement.Shape) async throws -> StatementRows {
        switch shape {
        case .records:
            var records: [StoredRow] = []
            for try await row in sequence { records.append(try storedRow(row)) }
            return .records(records)
        case .integers:
            var values: [Int64] = []
            for try await row in sequence { values.append(try row.makeRandomAccess()[0].decode(Int64.self)) }
            return .integers(values)
        }
    }

    func withMigrationTransaction(
        _ body: (any MigrationTransaction) async throws(StoreError) -> Void
    ) async throws(StoreError) {
        do {
            try await client.withTransaction(logger: logger) { connection in
                try await connection.query(
                    "SELECT pg_advisory_xact_lock(\(Self.migrationLockID))", logger: logger)
                try await body(PostgresMigrationTransaction(connection: connection, location: location, logger: logger))
            }
        } catch {
            throw PostgresErrorMapping.map(error, location: location)
        }
    }

    func close() async {
        runTask.cancel()
        await runTask.value
    }

    /// The statement with its values as bound parameters.
    fileprivate static func query(_ statement: SQLStatement) -> PostgresQuery {
        var bindings = PostgresBindings(capacity: statement.binds.count)
        for value in statement.binds {
            switch value {
            case .text(let text): bindings.append(text)
            case .integer(let integer): bindings.append(integer)
            case .bytes(let bytes): bindings.append(ByteBuffer(bytes: bytes))
            }
        }
        return PostgresQuery(unsafeSQL: statement.sql, binds: bindings)
    }

    private static func storedRow(_ row: PostgresRow) throws -> StoredRow {
        let columns = row.makeRandomAccess()
        return StoredRow(
            provider: try columns["provider"].decode(String.self),
            merchant: try columns["merchant"].decode(String.self),
            outRequestNo: try columns["out_request_no"].decode(String.self),
            fingerprint: try columns["fingerprint"].decode(String.self),
            state: try columns["state"].decode(String.self),
            leaseOwner: try columns["lease_owner"].decode(String?.self),
            leaseUntilMs: try columns["lease_until_ms"].decode(Int64?.self),
            attempts: try columns["attempts"].decode(Int64.self),
            takeovers: try columns["takeovers"].decode(Int64.self),
            resultStatus: try columns["result_status"].decode(String?.self),
            resultEvent: try columns["result_event"].decode(ByteBuffer?.self).map { Array($0.readableBytesView) },
            createdAtMs: try columns["created_at_ms"].decode(Int64.self),
            updatedAtMs: try columns["updated_at_ms"].decode(Int64.self),
            fence: try columns["fence"].decode(Int64.self),
            inDoubt: try columns["in_doubt"].decode(Int64.self),
            source: try columns["source"].decode(String?.self),
            reopenable: try columns["reopenable"].decode(Int64.self),
            claimKind: try columns["claim_kind"].decode(String?.self)
        )
    }
}

/// Statements of a migration, on the transaction's connection.
private struct PostgresMigrationTransaction: MigrationTransaction {
    let connection: PostgresConnection
    let location: PostgresLocation
    let logger: Logger

    func integerRows(_ statement: SQLStatement) async throws(StoreError) -> [Int64] {
        do {
            return try await PostgresRecordDatabase.rows(
                connection.query(PostgresRecordDatabase.query(statement), logger: logger), shape: .integers
            ).integers
        } catch {
            throw PostgresErrorMapping.map(error, location: location)
        }
    }
}
