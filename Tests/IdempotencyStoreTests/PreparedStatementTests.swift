@testable import IdempotencyStore
import Testing
import TestSupport

/// PostgreSQL parses and plans each record statement once per connection (issue 18: parsing
/// the claim's upsert every time was most of the server's work).
@Suite("PostgreSQL prepared statements")
struct PreparedStatementTests {
    @Test("a record statement is prepared once per connection and then only executed")
    func preparedOncePerConnection() async throws {
        let location = try PostgresLocation(url: try await PostgresFixture.databaseURL())
        // One connection: the session whose prepared statements the query below sees.
        let database = try await PostgresRecordDatabase(
            location: location, maximumConnections: 1, callDeadline: IdempotencyStoreFactory.defaultCallDeadline, logger: testLogger)
        let store = IdempotencyTable(database: database, clock: StoreClock())
        let executions = try await Self.claimingThrice(store, database: database)
        await store.close()
        #expect(executions == [3], "one prepared claim on the connection, run three times")
    }

    /// Claims one key three times, then reads how often the connection ran its prepared claim.
    private static func claimingThrice(
        _ store: IdempotencyTable<PostgresRecordDatabase>, database: PostgresRecordDatabase
    ) async throws -> [Int64] {
        try await store.migrate()
        let key = uniqueKey()

        _ = try await store.claim(claimRequest(key, owner: "worker-1"))
        _ = try await store.claim(claimRequest(key, owner: "worker-2"))
        _ = try await store.claim(claimRequest(key, owner: "worker-3"))

        var executions: [Int64] = []
        try await database.withMigrationTransaction { transaction throws(StoreError) in
            executions = try await transaction.integerRows(SQLStatement(
                sql: "SELECT generic_plans + custom_plans FROM pg_prepared_statements WHERE name = $1",
                binds: [.text(RecordStatement.claim.preparedName)]))
        }
        return executions
    }
}
