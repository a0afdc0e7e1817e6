import CouponModel
import Foundation

/// The `idempotency_records` table: every store operation as SQL that SQLite and PostgreSQL
/// both run, over a ``RecordDatabase`` driver.
///
/// Each operation that changes a record is ONE statement whose `WHERE` states the condition
/// under which it may change it (same fingerprint and expired lease for a takeover, lease held
/// by the caller for everything else). The database evaluates the condition and the change
/// atomically, so there is nothing to lock in Swift and no window between check and write.
struct IdempotencyTable<Database: RecordDatabase>: Sendable {
    let database: Database

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
        let now = request.now.epochMilliseconds
        let upsert = SQLStatement(
            sql: """
                INSERT INTO idempotency_records
                    (provider, merchant, out_request_no, fingerprint, state, lease_owner, lease_until_ms,
                     attempts, takeovers, created_at_ms, updated_at_ms)
                VALUES ($1, $2, $3, $4, 'in_progress', $5, $6, 0, 0, $7, $7)
                ON CONFLICT (provider, merchant, out_request_no) DO UPDATE SET
                    lease_owner = excluded.lease_owner,
                    lease_until_ms = excluded.lease_until_ms,
                    takeovers = idempotency_records.takeovers + 1,
                    updated_at_ms = excluded.updated_at_ms
                WHERE idempotency_records.state = 'in_progress'
                  AND idempotency_records.fingerprint = excluded.fingerprint
                  AND (idempotency_records.lease_until_ms IS NULL
                       OR idempotency_records.lease_until_ms < excluded.updated_at_ms)
                RETURNING \(StoredRow.columns)
                """,
            binds: Self.keyBinds(request.key) + [
                .text(request.fingerprint.hex), .text(request.owner),
                .integer(request.leaseUntil.epochMilliseconds), .integer(now),
            ]
        )
        return try await ClaimResolution.resolve(
            request,
            upsert: { () async throws(StoreError) -> IdempotencyRecord? in
                try await database.recordRows(upsert).first?.record()
            },
            inspect: { () async throws(StoreError) -> IdempotencyRecord? in
                try await fetch(request.key)
            }
        )
    }

    func extendLease(key: IdempotencyKey, owner: String, until: Date) async throws(StoreError) -> Bool {
        try StoreInput.check(key)
        try StoreInput.checkOwner(owner)
        let rows = try await database.integerRows(SQLStatement(
            sql: """
                UPDATE idempotency_records SET lease_until_ms = $4, updated_at_ms = $5
                WHERE provider = $1 AND merchant = $2 AND out_request_no = $3
                  AND state = 'in_progress' AND lease_owner = $6
                RETURNING attempts
                """,
            binds: Self.keyBinds(key) + [.integer(until.epochMilliseconds), .integer(Date().epochMilliseconds), .text(owner)]
        ))
        return !rows.isEmpty
    }

    func recordAttempt(key: IdempotencyKey, owner: String, leaseUntil: Date) async throws(StoreError) -> Int? {
        try StoreInput.check(key)
        try StoreInput.checkOwner(owner)
        let rows = try await database.integerRows(SQLStatement(
            sql: """
                UPDATE idempotency_records
                SET attempts = attempts + 1, lease_until_ms = $4, updated_at_ms = $5
                WHERE provider = $1 AND merchant = $2 AND out_request_no = $3
                  AND state = 'in_progress' AND lease_owner = $6
                RETURNING attempts
                """,
            binds: Self.keyBinds(key) + [
                .integer(leaseUntil.epochMilliseconds), .integer(Date().epochMilliseconds), .text(owner),
            ]
        ))
        return rows.first.map(Int.init)
    }

    func complete(key: IdempotencyKey, owner: String, outcome: StoredOutcome) async throws(StoreError) -> Bool {
        try StoreInput.check(key)
        try StoreInput.checkOwner(owner)
        let rows = try await database.integerRows(SQLStatement(
            sql: """
                UPDATE idempotency_records
                SET state = 'final', result_status = $4, result_event = $5, lease_until_ms = NULL, updated_at_ms = $6
                WHERE provider = $1 AND merchant = $2 AND out_request_no = $3
                  AND state = 'in_progress' AND lease_owner = $7
                RETURNING attempts
                """,
            binds: Self.keyBinds(key) + [
                .text(outcome.status.rawValue), .bytes(outcome.resultEvent), .integer(Date().epochMilliseconds),
                .text(owner),
            ]
        ))
        return !rows.isEmpty
    }

    func record(for key: IdempotencyKey) async throws(StoreError) -> IdempotencyRecord? {
        try StoreInput.check(key)
        return try await fetch(key)
    }

    func records(outRequestNo: String) async throws(StoreError) -> [IdempotencyRecord] {
        try StoreInput.checkOutRequestNo(outRequestNo)
        let rows = try await database.recordRows(SQLStatement(
            sql: """
                SELECT \(StoredRow.columns) FROM idempotency_records
                WHERE out_request_no = $1
                ORDER BY created_at_ms, provider, merchant
                """,
            binds: [.text(outRequestNo)]
        ))
        var records: [IdempotencyRecord] = []
        for row in rows { records.append(try row.record()) }
        return records
    }

    func purge(olderThan cutoff: Date) async throws(StoreError) -> Int {
        let rows = try await database.integerRows(SQLStatement(
            sql: "DELETE FROM idempotency_records WHERE updated_at_ms < $1 RETURNING attempts",
            binds: [.integer(cutoff.epochMilliseconds)]
        ))
        return rows.count
    }

    private func fetch(_ key: IdempotencyKey) async throws(StoreError) -> IdempotencyRecord? {
        try await database.recordRows(SQLStatement(
            sql: """
                SELECT \(StoredRow.columns) FROM idempotency_records
                WHERE provider = $1 AND merchant = $2 AND out_request_no = $3
                """,
            binds: Self.keyBinds(key)
        )).first?.record()
    }

    /// `$1, $2, $3`: the key columns, first in every keyed statement.
    private static func keyBinds(_ key: IdempotencyKey) -> [SQLValue] {
        [.text(key.provider.rawValue), .text(key.merchant), .text(key.outRequestNo)]
    }
}
