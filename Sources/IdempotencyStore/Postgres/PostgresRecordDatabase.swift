import CouponModel
import Logging
import PostgresNIO

/// The PostgreSQL driver: a `PostgresClient` connection pool whose `run()` this driver owns.
///
/// Every ``RecordStatement`` is prepared once per connection, under its
/// ``RecordStatement/preparedName``, and then only bound and executed: parsing and planning the
/// claim's upsert was most of the server's work per statement (pgbench on this schema: 3,100
/// claim+complete pairs/s unprepared, 8,700 prepared). Values are always bound as parameters.
/// Behind a connection pooler in transaction mode, named statements need one that keeps them
/// per client (PgBouncer ≥ 1.21 with `max_prepared_statements`) or session pooling.
///
/// In PostgreSQL's default
/// READ COMMITTED isolation, `INSERT … ON CONFLICT DO UPDATE … WHERE` locks the conflicting
/// row and re-checks the `WHERE` on its newest version, so of many concurrent claimers on
/// different connections exactly one inserts, and exactly one takes over an expired lease.
final class PostgresRecordDatabase: RecordDatabase {
    let binaryColumnType = "BYTEA"
    /// The server's clock at the start of the statement: the same value everywhere in it.
    static let clockMilliseconds = "CAST(EXTRACT(EPOCH FROM statement_timestamp()) * 1000 AS BIGINT)"
    /// Each ``RecordStatement``'s text, built once.
    static let texts = RecordStatementTexts(clock: clockMilliseconds)
    /// Held (per transaction) by migrators, so instances that start together do not race.
    static let migrationLockID: Int64 = 0x636F_7570_6F6E_6964  // "couponid"

    let location: PostgresLocation
    private let client: PostgresClient
    private let logger: Logger
    /// The pool's `run()`: cancelled and awaited by `close()`, so no work outlives the store.
    private let runTask: Task<Void, Never>
    /// Every statement's deadline (``CallAnswer``).
    private let callDeadlines: DeadlineQueue<ContinuousClock>
    /// The database as errors name it (password redacted).
    private let name: String

    /// Checks that the server answers and accepts the credentials, then starts the pool.
    ///
    /// The check uses one plain connection because the pool only reports a server it cannot
    /// reach after its circuit breaker trips (a minute): an unreachable or misconfigured
    /// database must fail at start, fast and typed.
    init(
        location: PostgresLocation, maximumConnections: Int, callDeadline: Duration, logger: Logger
    ) async throws(StoreError) {
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
        self.callDeadlines = DeadlineQueue(length: callDeadline, clock: ContinuousClock())
        self.name = "PostgreSQL at \(location)"
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

    func recordRows(_ statement: RecordStatement, binds: [SQLValue]) async throws(StoreError) -> [StoredRow] {
        let rows = try await rows(statement, binds: binds)
        do {
            return try rows.map(Self.storedRow)
        } catch {
            throw PostgresErrorMapping.map(error, location: location)
        }
    }

    func integerRows(_ statement: RecordStatement, binds: [SQLValue]) async throws(StoreError) -> [Int64] {
        let rows = try await rows(statement, binds: binds)
        do {
            return try rows.map { try $0.makeRandomAccess()[0].decode(Int64.self) }
        } catch {
            throw PostgresErrorMapping.map(error, location: location)
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

    /// Runs `statement` in a task of its own, so that its caller can stop waiting at the
    /// deadline (or when cancelled) even though the query cannot be interrupted.
    private func rows(_ statement: RecordStatement, binds: [SQLValue]) async throws(StoreError) -> [PostgresRow] {
        let answer = CallAnswer<[PostgresRow]>()
        let call = Task {
            do throws(StoreError) {
                answer.resolve(.success(try await self.run(statement, binds: binds)))
            } catch {
                answer.resolve(.failure(error))
            }
        }
        return try await answer.value(within: callDeadlines, what: name) { call.cancel() }
    }

    private func run(_ statement: RecordStatement, binds: [SQLValue]) async throws(StoreError) -> [PostgresRow] {
        let bindings = Self.bindings(binds)
        do {
            switch statement {
            case .claim: return try await execute(PreparedRecordStatement<Claim>(bindings: bindings))
            case .extendLease: return try await execute(PreparedRecordStatement<ExtendLease>(bindings: bindings))
            case .recordAttempt: return try await execute(PreparedRecordStatement<RecordAttempt>(bindings: bindings))
            case .recordNoEffect: return try await execute(PreparedRecordStatement<RecordNoEffect>(bindings: bindings))
            case .complete: return try await execute(PreparedRecordStatement<Complete>(bindings: bindings))
            case .fetch: return try await execute(PreparedRecordStatement<Fetch>(bindings: bindings))
            case .recordsOfOutRequestNo:
                return try await execute(PreparedRecordStatement<RecordsOfOutRequestNo>(bindings: bindings))
            case .purge: return try await execute(PreparedRecordStatement<Purge>(bindings: bindings))
            }
        } catch {
            throw PostgresErrorMapping.map(error, location: location)
        }
    }

    private func execute<Name>(_ statement: PreparedRecordStatement<Name>) async throws -> [PostgresRow] {
        var rows: [PostgresRow] = []
        for try await row in try await client.execute(statement, logger: logger) { rows.append(row) }
        return rows
    }

    /// `values` as postgres-nio's bound parameters.
    fileprivate static func bindings(_ values: [SQLValue]) -> PostgresBindings {
        var bindings = PostgresBindings(capacity: values.count)
        for value in values {
            switch value {
            case .text(let text): bindings.append(text)
            case .integer(let integer): bindings.append(integer)
            case .bytes(let bytes): bindings.append(ByteBuffer(bytes: bytes))
            }
        }
        return bindings
    }

    /// A migration's statement with its values as bound parameters (migrations run once:
    /// they are not prepared).
    fileprivate static func query(_ statement: SQLStatement) -> PostgresQuery {
        PostgresQuery(unsafeSQL: statement.sql, binds: bindings(statement.binds))
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
            var values: [Int64] = []
            for try await row in try await connection.query(PostgresRecordDatabase.query(statement), logger: logger) {
                values.append(try row.makeRandomAccess()[0].decode(Int64.self))
            }
            return values
        } catch {
            throw PostgresErrorMapping.map(error, location: location)
        }
    }
}

/// A ``RecordStatement`` that postgres-nio prepares once per connection: it names and prepares
/// statements by type, so each statement is a type (`Name`).
private struct PreparedRecordStatement<Name: RecordStatementName>: PostgresPreparedStatement {
    typealias Row = PostgresRow
    static var name: String { Name.statement.preparedName }
    static var sql: String { PostgresRecordDatabase.texts[Name.statement] }

    let bindings: PostgresBindings

    func makeBindings() -> PostgresBindings { bindings }
    func decodeRow(_ row: PostgresRow) -> PostgresRow { row }
}

/// One ``RecordStatement`` as a type, for ``PreparedRecordStatement``.
private protocol RecordStatementName: Sendable {
    static var statement: RecordStatement { get }
}

private enum Claim: RecordStatementName { static let statement = RecordStatement.claim }
private enum ExtendLease: RecordStatementName { static let statement = RecordStatement.extendLease }
private enum RecordAttempt: RecordStatementName { static let statement = RecordStatement.recordAttempt }
private enum RecordNoEffect: RecordStatementName { static let statement = RecordStatement.recordNoEffect }
private enum Complete: RecordStatementName { static let statement = RecordStatement.complete }
private enum Fetch: RecordStatementName { static let statement = RecordStatement.fetch }
private enum RecordsOfOutRequestNo: RecordStatementName { static let statement = RecordStatement.recordsOfOutRequestNo }
private enum Purge: RecordStatementName { static let statement = RecordStatement.purge }
