import CouponModel
import Foundation
import Logging

/// The embedded idempotency store: one SQLite file in WAL mode.
///
/// The default for a single instance, or one instance per node with sticky partitions.
/// Several processes may share the file on one machine (SQLite's locks serialise their
/// writes), but not across machines: use ``PostgresIdempotencyStore`` for that.
///
/// Opening does not migrate: call ``migrate()`` (``IdempotencyStoreFactory/open(_:logger:)``
/// does). Call ``close()`` before dropping the store.
public struct SQLiteIdempotencyStore: IdempotencyStore {
    private let table: IdempotencyTable<SQLiteRecordDatabase>

    /// The database file.
    public var path: String { table.database.path }

    /// Opens (creating if needed) the database file at `path`. Throws
    /// ``StoreError/unreachable(_:)`` when the file cannot be opened or created.
    public init(path: String, clock: StoreClock = StoreClock(), logger: Logger) async throws(StoreError) {
        table = IdempotencyTable(
            database: try await SQLiteRecordDatabase.open(path: path, logger: logger), clock: clock)
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
