import Foundation
import GRDB
import IdempotencyStore
import PostgresNIO
import Testing
import TestSupport

/// Every store call answers within the store's call deadline: a statement that cannot finish
/// (a lock held elsewhere, a connection that will never answer) makes its caller's call fail
/// as `unreachable` at the deadline instead of waiting with it. The lock here is held until
/// the test has seen the answer, so only the deadline can end the wait.
@Suite("Store call deadline", .timeLimit(.minutes(1)))
struct CallDeadlineTests {
    static let deadline = Duration.milliseconds(200)

    @Test("an SQLite statement stuck behind another connection's write lock fails as unreachable at the deadline")
    func sqliteLockedStatement() async throws {
        try await StoreBackend.sqlite.withLocation { location in
            let path = String(location.dropFirst("sqlite:".count))
            let store = try await IdempotencyStoreFactory.open(location, callDeadline: Self.deadline, logger: testLogger)
            var configuration = Configuration()
            configuration.allowsUnsafeTransactions = true
            let locker = try DatabaseQueue(path: path, configuration: configuration)
            try await locker.writeWithoutTransaction { try $0.execute(sql: "BEGIN IMMEDIATE") }

            let answer = await Self.answer { () async throws(StoreError) in try await store.claim(claimRequest(uniqueKey())) }

            try await locker.writeWithoutTransaction { try $0.execute(sql: "ROLLBACK") }
            try locker.close()
            await store.close()
            #expect(answer.contains("no answer within"), "got \(answer)")
        }
    }

    @Test("a PostgreSQL statement waiting for a row lock fails as unreachable at the deadline")
    func postgresLockedRow() async throws {
        let location = try await PostgresFixture.databaseURL()
        let store = try await IdempotencyStoreFactory.open(location, callDeadline: Self.deadline, logger: testLogger)
        let key = uniqueKey()
        let lease = try await store.claim(claimRequest(key)).lease
        let answer = try await RawDatabase.with(location: location) { raw in
            guard case .postgres(let locker) = raw, let lease else { return "no lease or no PostgreSQL connection" }
            _ = try await locker.query("BEGIN", logger: testLogger)
            _ = try await locker.query(
                "SELECT 1 FROM idempotency_records WHERE out_request_no = \(key.outRequestNo) FOR UPDATE",
                logger: testLogger)

            let answer = await Self.answer { () async throws(StoreError) in try await store.complete(lease, outcome: sampleOutcome) }

            _ = try await locker.query("ROLLBACK", logger: testLogger)
            return answer
        }
        await store.close()
        #expect(answer.contains("no answer within"), "got \(answer)")
    }

    /// The call's `unreachable` message, or a description of what else it did.
    private static func answer<T>(_ call: () async throws(StoreError) -> T) async -> String {
        do {
            let value = try await call()
            return "an answer: \(value)"
        } catch {
            guard case .unreachable(let message) = error else { return "another error: \(error)" }
            return message
        }
    }
}
