import CouponModel
import Foundation

/// The `idempotency_records` table: every store operation as one of the ``RecordStatement``s
/// that SQLite and PostgreSQL both run, over a ``RecordDatabase`` driver.
///
/// Each operation that changes a record is ONE statement whose `WHERE` states the condition
/// under which it may change it (``RecordStatement``), so there is nothing to lock in Swift
/// and no window between check and write.
///
/// It is the one implementation of ``IdempotencyStore``; ``SQLiteIdempotencyStore`` and
/// ``PostgresIdempotencyStore`` open it over their database.
struct IdempotencyTable<Database: RecordDatabase>: IdempotencyStore {
    let database: Database
    let clock: StoreClock

    func migrate() async throws(StoreError) {
        try await database.withMigrationTransaction { (transaction) async throws(StoreError) -> Void in
            _ = try await transaction.integerRows(SQLStatement(sql: RecordSchema.versionTable, binds: []))
            let current = try await transaction.integerRows(
                SQLStatement(sql: RecordSchema.currentVersion, binds: [])
            ).first ?? 0
            guard current <= RecordSchema.latestVersion else {
                throw .migrationFailed(
                    "the database has schema version \(current), newer than this build's \(RecordSchema.latestVersion)")
            }
            let pending = RecordSchema.migrations(binaryType: database.binaryColumnType).filter { $0.version > current }
            for migration in pending {
                for sql in migration.statements {
                    _ = try await transaction.integerRows(SQLStatement(sql: sql, binds: []))
                }
                _ = try await transaction.integerRows(SQLStatement(
                    sql: "INSERT INTO idempotency_schema_version (version, applied_at_ms) VALUES ($1, $2)",
                    binds: [.integer(Int64(migration.version)), .integer(Date().epochMilliseconds)]
                ))
            }
        }
    }

    func claim(_ request: ClaimRequest) async throws(StoreError) -> ClaimOutcome {
        try StoreInput.check(request)
        let binds = Self.keyBinds(request.key) + [
            .text(request.fingerprint.hex), .text(request.owner),
            .integer(request.leaseDuration.wholeMilliseconds), .text(request.source), .integer(clock.offsetMilliseconds),
        ]
        return try await ClaimResolution.resolve(
            request,
            upsert: { () async throws(StoreError) -> ClaimResolution.Grant? in
                guard let row = try await database.recordRows(.claim, binds: binds).first else { return nil }
                return ClaimResolution.Grant(kind: row.claimKind, record: try row.record())
            },
            inspect: { () async throws(StoreError) -> IdempotencyRecord? in
                try await fetch(request.key)
            }
        )
    }

    func extendLease(_ lease: Lease, for duration: Duration) async throws(StoreError) -> Bool {
        try StoreInput.check(lease, duration: duration)
        let rows = try await database.integerRows(.extendLease, binds: Self.keyBinds(lease.key) + [
            .integer(duration.wholeMilliseconds), .integer(lease.token), .integer(clock.offsetMilliseconds),
        ])
        return !rows.isEmpty
    }

    func recordAttempt(_ lease: Lease, renewingFor duration: Duration) async throws(StoreError) -> Int? {
        try StoreInput.check(lease, duration: duration)
        let rows = try await database.integerRows(.recordAttempt, binds: Self.keyBinds(lease.key) + [
            .integer(duration.wholeMilliseconds), .integer(lease.token), .integer(clock.offsetMilliseconds),
        ])
        return rows.first.map(Int.init)
    }

    func recordNoEffect(_ lease: Lease) async throws(StoreError) -> Bool {
        try StoreInput.check(lease.key)
        let rows = try await database.integerRows(.recordNoEffect, binds: Self.keyBinds(lease.key) + [.integer(lease.token)])
        return !rows.isEmpty
    }

    func complete(_ lease: Lease, outcome: StoredOutcome) async throws(StoreError) -> Bool {
        try StoreInput.check(lease.key)
        let rows = try await database.integerRows(.complete, binds: Self.keyBinds(lease.key) + [
            .text(outcome.status.rawValue), .bytes(outcome.resultEvent), .integer(outcome.reopenable ? 1 : 0),
            .integer(lease.token), .integer(clock.offsetMilliseconds),
        ])
        return !rows.isEmpty
    }

    func record(for key: IdempotencyKey) async throws(StoreError) -> IdempotencyRecord? {
        try StoreInput.check(key)
        return try await fetch(key)
    }

    func records(outRequestNo: String) async throws(StoreError) -> [IdempotencyRecord] {
        try StoreInput.checkOutRequestNo(outRequestNo)
        let rows = try await database.recordRows(.recordsOfOutRequestNo, binds: [.text(outRequestNo)])
        var records: [IdempotencyRecord] = []
        for row in rows { records.append(try row.record()) }
        return records
    }

    func purge(retaining retention: Duration) async throws(StoreError) -> Int {
        guard retention > .zero else { throw .invalidInput("retention must be positive") }
        let rows = try await database.integerRows(
            .purge, binds: [.integer(retention.wholeMilliseconds), .integer(clock.offsetMilliseconds)])
        return rows.count
    }

    private func fetch(_ key: IdempotencyKey) async throws(StoreError) -> IdempotencyRecord? {
        try await database.recordRows(.fetch, binds: Self.keyBinds(key)).first?.record()
    }

    /// `$1, $2, $3`: the key columns, first in every keyed statement.
    private static func keyBinds(_ key: IdempotencyKey) -> [SQLValue] {
        [.text(key.provider.rawValue), .text(key.merchant), .text(key.outRequestNo)]
    }

    func close() async { await database.close() }
}
