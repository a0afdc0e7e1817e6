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
    public init(path: String, logger: Logger) async throws(StoreError) {
        table = IdempotencyTable(database: try await SQLiteRecordDatabase.open(path: path, logger: logger))
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
