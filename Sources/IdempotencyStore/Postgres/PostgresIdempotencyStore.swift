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
    public init(
        url: String, clock: StoreClock = StoreClock(), logger: Logger, maximumConnections: Int = 20
    ) async throws(StoreError) {
        let location = try PostgresLocation(url: url)
        guard maximumConnections > 0 else { throw .invalidInput("maximumConnections must be positive") }
        table = IdempotencyTable(database: try await PostgresRecordDatabase(
            location: location, maximumConnections: maximumConnections, logger: logger), clock: clock)
    }

    public func migrate() async throws(StoreError) { try await table.migrate() }

    public func claim(_ request: ClaimRequest) async throws(StoreError) -> ClaimOutcome {
        try await table.claim(request)
    }

    public func extendLease(_ lease: Lease, for duration: Duration) async throws(StoreError) -> Bool {
        try await table.extendLease(lease, for: duration)
    }

    public func recordAttempt(_ lease: Lease, renewingFor duration: Duration) async throws(StoreError) -> Int? {
        try await table.recordAttempt(lease, renewingFor: duration)
    }

    public func recordNoEffect(_ lease: Lease) async throws(StoreError) -> Bool {
        try await table.recordNoEffect(lease)
    }

    public func complete(_ lease: Lease, outcome: StoredOutcome) async throws(StoreError) -> Bool {
        try await table.complete(lease, outcome: outcome)
    }

    public func record(for key: IdempotencyKey) async throws(StoreError) -> IdempotencyRecord? {
        try await table.record(for: key)
    }

    public func records(outRequestNo: String) async throws(StoreError) -> [IdempotencyRecord] {
        try await table.records(outRequestNo: outRequestNo)
    }

    public func purge(retaining retention: Duration) async throws(StoreError) -> Int {
        try await table.purge(retaining: retention)
    }

    public func close() async { await table.database.close() }
}
