import CouponModel
import Foundation
import Logging

/// The shared idempotency store: PostgreSQL, for many worker instances on many machines.
///
/// Holds a connection pool (postgres-nio's `PostgresClient`) whose background `run()` it owns:
/// ``close()`` stops it. Opening checks that the server answers and accepts the credentials
/// (``StoreError/unreachable(_:)`` otherwise, with the password redacted); it does not
/// migrate: call ``migrate()`` (``IdempotencyStoreFactory/open(_:logger:)`` does).
public final class PostgresIdempotencyStore: IdempotencyStore {
    private let table: IdempotencyTable<PostgresRecordDatabase>

    /// The database, with the password redacted.
    public var location: String { table.database.location.description }

    /// Connects to `url` (`postgres://user:password@host:port/database?sslmode=disable|prefer|require`).
    ///
    /// - Parameter maximumConnections: the pool's size; statements beyond it queue.
    public init(url: String, logger: Logger, maximumConnections: Int = 20) async throws(StoreError) {
        let location = try PostgresLocation(url: url)
        guard maximumConnections > 0 else { throw .invalidInput("maximumConnections must be positive") }
        table = IdempotencyTable(database: try await PostgresRecordDatabase(
            location: location, maximumConnections: maximumConnections, logger: logger))
    }

    public func migrate() async throws(StoreError) { try await table.migrate() }

    public func claim(_ request: ClaimRequest) async throws(StoreError) -> ClaimOutcome {
        try await table.claim(request)
    }

    public func extendLease(key: IdempotencyKey, owner: String, until: Date) async throws(StoreError) -> Bool {
        try await table.extendLease(key: key, owner: owner, until: until)
    }

    public func recordAttempt(key: IdempotencyKey, owner: String, leaseUntil: Date) async throws(StoreError) -> Int? {
        try await table.recordAttempt(key: key, owner: owner, leaseUntil: leaseUntil)
    }

    public func complete(key: IdempotencyKey, owner: String, outcome: StoredOutcome) async throws(StoreError) -> Bool {
        try await table.complete(key: key, owner: owner, outcome: outcome)
    }

    public func record(for key: IdempotencyKey) async throws(StoreError) -> IdempotencyRecord? {
        try await table.record(for: key)
    }

    public func records(outRequestNo: String) async throws(StoreError) -> [IdempotencyRecord] {
        try await table.records(outRequestNo: outRequestNo)
    }

    public func purge(olderThan cutoff: Date) async throws(StoreError) -> Int {
        try await table.purge(olderThan: cutoff)
    }

    public func close() async { await table.database.close() }
}
