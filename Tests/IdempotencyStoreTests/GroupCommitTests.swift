import CouponModel
import Foundation
import GRDB
@testable import IdempotencyStore
import Synchronization
import Testing

/// Group commit: many callers' statements in one transaction, each with its own answer.
///
/// The batches here are built by hand and handed to the driver's batch step, the one its
/// writer runs: which statements share a batch is then fixed, not left to timing. SQLite
/// only: PostgreSQL runs each statement alone (batching there measured slower, issue 18).
@Suite("Group commit")
struct GroupCommitTests {
    @Test("claims of one key from many callers in one batch grant exactly one lease", arguments: [StoreBackend.sqlite])
    func oneGrantPerKeyInABatch(backend: StoreBackend) async throws {
        try await BatchDriver.with(backend) { driver in
            let key = uniqueKey(prefix: "BATCH")
            let owners = (0..<8).map { "worker-\($0)" }
            var batch: [QueuedStatement.Work] = []
            for owner in owners { batch.append(try await driver.claimStatement(claimRequest(key, owner: owner))) }

            let answers = await driver.run(batch)

            let granted = try answers.map { try $0.get().records }
            #expect(granted.map(\.count) == [1, 0, 0, 0, 0, 0, 0, 0], "the first claimer wins, the others see no grant")
            #expect(granted[0].first?.claimKind == "claim")
            let stored = try #require(try await driver.store.record(for: key))
            #expect(stored.leaseOwner == owners[0], "the committed lease is the one its caller was told of")
            #expect(stored.fence == 1 && stored.takeovers == 0)
        }
    }

    @Test("a statement that fails in a batch leaves the others' answers as if each ran alone", arguments: [StoreBackend.sqlite])
    func failingStatementInABatch(backend: StoreBackend) async throws {
        try await BatchDriver.with(backend) { driver in
            let first = uniqueKey(prefix: "BATCH")
            let second = uniqueKey(prefix: "BATCH")
            // Version 1 is always there: a primary key violation when the statement runs.
            let failing = QueuedStatement.Work(
                statement: driver.dialect(SQLStatement(
                    sql: "INSERT INTO idempotency_schema_version (version, applied_at_ms) VALUES (1, 0) RETURNING version",
                    binds: [])),
                shape: .integers)
            let batch = [
                try await driver.claimStatement(claimRequest(first, owner: "worker-1")), failing,
                try await driver.claimStatement(claimRequest(second, owner: "worker-2")),
            ]

            let answers = await driver.run(batch)

            #expect(try answers[0].get().records.first?.owner == "worker-1")
            guard case .failure(.query) = answers[1] else {
                Issue.record("the failing statement's caller gets its own query error, got \(answers[1])")
                return
            }
            #expect(try answers[2].get().records.first?.owner == "worker-2")
            #expect(try await driver.store.record(for: first)?.leaseOwner == "worker-1")
            #expect(try await driver.store.record(for: second)?.leaseOwner == "worker-2")
        }
    }

    @Test("a batch whose transaction fails as a whole gives each caller the answer of its statement alone",
          arguments: [StoreBackend.sqlite])
    func batchThatFailsAsAWhole(backend: StoreBackend) async throws {
        try await BatchDriver.with(backend) { driver in
            let first = uniqueKey(prefix: "BATCH")
            let second = uniqueKey(prefix: "BATCH")
            // Makes the whole transaction fail: ROLLBACK ends it from inside, undoing the
            // statements before it; the commit then finds no transaction.
            let breakerSQL = "ROLLBACK"
            let breaker = QueuedStatement.Work(statement: SQLStatement(sql: breakerSQL, binds: []), shape: .integers)
            let batch = [
                try await driver.claimStatement(claimRequest(first, owner: "worker-1")), breaker,
                try await driver.claimStatement(claimRequest(second, owner: "worker-2")),
            ]

            let answers = await driver.run(batch)

            #expect(try answers[0].get().records.first?.owner == "worker-1")
            #expect((try? answers[1].get()) == nil, "ROLLBACK alone fails: no transaction")
            #expect(try answers[2].get().records.first?.owner == "worker-2")
            let firstStored = try #require(try await driver.store.record(for: first))
            #expect(firstStored.leaseOwner == "worker-1" && firstStored.fence == 1, "what its caller was told is committed")
            let secondStored = try #require(try await driver.store.record(for: second))
            #expect(secondStored.leaseOwner == "worker-2" && secondStored.fence == 1)
        }
    }

    @Test("a lone statement starts a writer at once; those that arrive while it writes go in its next batch")
    func naturalBatching() {
        let batcher = StatementBatcher<Int>(maximumWriters: 1)
        #expect(batcher.enqueue(1), "nobody writes: the first statement starts a writer")
        #expect(batcher.nextBatch() == [1], "and goes alone")
        #expect(!batcher.enqueue(2) && !batcher.enqueue(3), "the writer is busy: they wait")
        #expect(batcher.nextBatch() == [2, 3], "together, in arrival order")
        #expect(batcher.nextBatch() == nil, "nothing queued: the writer stops")
        #expect(batcher.enqueue(4), "so the next statement starts one again")
    }

    @Test("no more writers than the batcher allows")
    func writersAreBounded() {
        let batcher = StatementBatcher<Int>(maximumWriters: 2)
        #expect(batcher.enqueue(1) && batcher.enqueue(2))
        #expect(!batcher.enqueue(3))
        #expect(batcher.nextBatch() == [1, 2, 3], "the first writer free takes all three")
        #expect(batcher.nextBatch() == nil, "the second finds nothing and stops")
        #expect(batcher.enqueue(4), "one writer left: a slot is free")
        #expect(!batcher.enqueue(5))
    }
}

/// A driver's batch step and a store over the same database, for ``GroupCommitTests``.
private struct BatchDriver {
    let backend: StoreBackend
    let location: String
    let store: any IdempotencyStore
    let database: any RecordDatabase
    let run: @Sendable ([QueuedStatement.Work]) async -> [Result<StatementRows, StoreError>]

    /// The statement a claim sends first (its upsert), in the driver's placeholders.
    func claimStatement(_ request: ClaimRequest) async throws -> QueuedStatement.Work {
        let recorder = StatementRecorder(dialectOf: database)
        _ = try? await IdempotencyTable(database: recorder, clock: StoreClock()).claim(request)
        let upsert = try #require(recorder.statements.first)
        #expect(upsert.statement == .claim)
        return QueuedStatement.Work(
            statement: SQLStatement(sql: SQLiteRecordDatabase.texts[.claim], binds: upsert.binds), shape: .records)
    }

    /// `statement` as the driver runs it: SQLite's batch step takes `?n` placeholders.
    func dialect(_ statement: SQLStatement) -> SQLStatement {
        backend == .sqlite
            ? SQLStatement(sql: SQLiteRecordDatabase.numberedPlaceholders(statement.sql), binds: statement.binds)
            : statement
    }

    static func with(_ backend: StoreBackend, _ body: (BatchDriver) async throws -> Void) async throws {
        try await backend.withLocation { location in
            switch backend {
            case .sqlite:
                let path = String(location.dropFirst("sqlite:".count))
                let database = try await SQLiteRecordDatabase.open(path: path, callDeadline: IdempotencyStoreFactory.defaultCallDeadline, logger: testLogger)
                let store = IdempotencyTable(database: database, clock: StoreClock())
                try await store.migrate()
                // The batch step runs on a connection of the test's own to the same file.
                let connection = try DatabaseQueue(path: path)
                let driver = BatchDriver(backend: backend, location: location, store: store, database: database) { batch in
                    (try? await connection.writeWithoutTransaction { db in
                        SQLiteRecordDatabase.run(batch, in: db, path: path)
                    }) ?? []
                }
                do {
                    try await body(driver)
                } catch {
                    try? connection.close()
                    await store.close()
                    throw error
                }
                try? connection.close()
                await store.close()
            case .postgres:
                Issue.record("PostgreSQL runs statements alone: it has no batch step")
            }
        }
    }
}

/// Records the statements ``IdempotencyTable`` sends, runs none and returns no rows.
private final class StatementRecorder: RecordDatabase {
    let binaryColumnType: String
    private let recorded = Mutex<[(statement: RecordStatement, binds: [SQLValue])]>([])

    init(dialectOf database: any RecordDatabase) {
        binaryColumnType = database.binaryColumnType
    }

    var statements: [(statement: RecordStatement, binds: [SQLValue])] { recorded.withLock { $0 } }

    func recordRows(_ statement: RecordStatement, binds: [SQLValue]) async throws(StoreError) -> [StoredRow] {
        recorded.withLock { $0.append((statement, binds)) }
        return []
    }

    func integerRows(_ statement: RecordStatement, binds: [SQLValue]) async throws(StoreError) -> [Int64] {
        recorded.withLock { $0.append((statement, binds)) }
        return []
    }

    func withMigrationTransaction(
        _ body: (any MigrationTransaction) async throws(StoreError) -> Void
    ) async throws(StoreError) {
        throw .migrationFailed("a recorder does not migrate")
    }

    func close() async {}
}

extension StoredRow {
    fileprivate var owner: String? { leaseOwner }
}
