import CouponModel
import Foundation

/// The `idempotency_records` table: every store operation as SQL that SQLite and PostgreSQL
/// both run, over a ``RecordDatabase`` driver.
///
/// Each operation that changes a record is ONE statement whose `WHERE` states the condition
/// under which it may change it: for a takeover, the same fingerprint and a lease expired by
/// the database's own clock; for everything a holder writes afterwards, the holder's fencing
/// token. The database evaluates the condition and the change atomically, so there is nothing
/// to lock in Swift and no window between check and write.
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
        let now = now(bind: 8)
        let upsert = SQLStatement(
            sql: """
                INSERT INTO idempotency_records
                    (provider, merchant, out_request_no, fingerprint, state, lease_owner, lease_until_ms,
                     attempts, takeovers, created_at_ms, updated_at_ms, fence, in_doubt, source, reopenable, claim_kind)
                VALUES ($1, $2, $3, $4, 'in_progress', $5, \(now) + $6, 0, 0, \(now), \(now), 1, 0, $7, 0, 'claim')
                ON CONFLICT (provider, merchant, out_request_no) DO UPDATE SET
                    state = 'in_progress',
                    lease_owner = excluded.lease_owner,
                    lease_until_ms = excluded.lease_until_ms,
                    takeovers = idempotency_records.takeovers
                        + CASE WHEN idempotency_records.state = 'in_progress' THEN 1 ELSE 0 END,
                    claim_kind = CASE WHEN idempotency_records.state = 'in_progress' THEN 'takeover' ELSE 'reopen' END,
                    fence = idempotency_records.fence + 1,
                    source = excluded.source,
                    result_status = NULL,
                    result_event = NULL,
                    reopenable = 0,
                    updated_at_ms = excluded.updated_at_ms
                WHERE idempotency_records.fingerprint = excluded.fingerprint
                  AND ((idempotency_records.state = 'in_progress'
                        AND (idempotency_records.lease_until_ms IS NULL
                             OR idempotency_records.lease_until_ms < excluded.updated_at_ms))
                    OR (idempotency_records.state = 'final' AND idempotency_records.reopenable = 1
                        AND COALESCE(idempotency_records.source, '') <> excluded.source))
                RETURNING \(StoredRow.columns)
                """,
            binds: Self.keyBinds(request.key) + [
                .text(request.fingerprint.hex), .text(request.owner),
                .integer(request.leaseDuration.wholeMilliseconds), .text(request.source), .integer(clock.offsetMilliseconds),
            ]
        )
        return try await ClaimResolution.resolve(
            request,
            upsert: { () async throws(StoreError) -> ClaimResolution.Grant? in
                guard let row = try await database.recordRows(upsert).first else { return nil }
                return ClaimResolution.Grant(kind: row.claimKind, record: try row.record())
            },
            inspect: { () async throws(StoreError) -> IdempotencyRecord? in
                try await fetch(request.key)
            }
        )
    }

    func extendLease(_ lease: Lease, for duration: Duration) async throws(StoreError) -> Bool {
        try StoreInput.check(lease, duration: duration)
        let now = now(bind: 6)
        let rows = try await database.integerRows(SQLStatement(
            sql: """
                UPDATE idempotency_records SET lease_until_ms = \(Self.renewed(now)), updated_at_ms = \(now)
                WHERE provider = $1 AND merchant = $2 AND out_request_no = $3
                  AND state = 'in_progress' AND fence = $5
                RETURNING attempts
                """,
            binds: Self.keyBinds(lease.key) + [
                .integer(duration.wholeMilliseconds), .integer(lease.token), .integer(clock.offsetMilliseconds),
            ]
        ))
        return !rows.isEmpty
    }

    func recordAttempt(_ lease: Lease, renewingFor duration: Duration) async throws(StoreError) -> Int? {
        try StoreInput.check(lease, duration: duration)
        let now = now(bind: 6)
        let rows = try await database.integerRows(SQLStatement(
            sql: """
                UPDATE idempotency_records
                SET attempts = attempts + 1, in_doubt = 1, lease_until_ms = \(Self.renewed(now)),
                    updated_at_ms = \(now)
                WHERE provider = $1 AND merchant = $2 AND out_request_no = $3
                  AND state = 'in_progress' AND fence = $5
                RETURNING attempts
                """,
            binds: Self.keyBinds(lease.key) + [
                .integer(duration.wholeMilliseconds), .integer(lease.token), .integer(clock.offsetMilliseconds),
            ]
        ))
        return rows.first.map(Int.init)
    }

    func recordNoEffect(_ lease: Lease) async throws(StoreError) -> Bool {
        try StoreInput.check(lease.key)
        let rows = try await database.integerRows(SQLStatement(
            sql: """
                UPDATE idempotency_records SET in_doubt = 0
                WHERE provider = $1 AND merchant = $2 AND out_request_no = $3
                  AND state = 'in_progress' AND fence = $4
                RETURNING attempts
                """,
            binds: Self.keyBinds(lease.key) + [.integer(lease.token)]
        ))
        return !rows.isEmpty
    }

    func complete(_ lease: Lease, outcome: StoredOutcome) async throws(StoreError) -> Bool {
        try StoreInput.check(lease.key)
        let now = now(bind: 8)
        let rows = try await database.integerRows(SQLStatement(
            sql: """
                UPDATE idempotency_records
                SET state = 'final', result_status = $4, result_event = $5, reopenable = $6, lease_until_ms = NULL,
                    updated_at_ms = \(now)
                WHERE provider = $1 AND merchant = $2 AND out_request_no = $3
                  AND state = 'in_progress' AND fence = $7
                RETURNING attempts
                """,
            binds: Self.keyBinds(lease.key) + [
                .text(outcome.status.rawValue), .bytes(outcome.resultEvent), .integer(outcome.reopenable ? 1 : 0),
                .integer(lease.token), .integer(clock.offsetMilliseconds),
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

    func purge(retaining retention: Duration) async throws(StoreError) -> Int {
        guard retention > .zero else { throw .invalidInput("retention must be positive") }
        let rows = try await database.integerRows(SQLStatement(
            sql: """
                DELETE FROM idempotency_records
                WHERE state = 'final' AND updated_at_ms < \(now(bind: 2)) - $1
                RETURNING attempts
                """,
            binds: [.integer(retention.wholeMilliseconds), .integer(clock.offsetMilliseconds)]
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

    /// The store's "now" in a statement: the database's clock plus the ``StoreClock`` offset
    /// bound at `$bind`. The SQL text is a constant of the dialect, never a value.
    private func now(bind: Int) -> String {
        "(\(database.clockMilliseconds) + $\(bind))"
    }

    /// The lease end after a renewal by `$4` from `now`: never earlier than it was, so a holder
    /// may count on the longest renewal it was granted (``IdempotencyStore/extendLease(_:for:)``).
    private static func renewed(_ now: String) -> String {
        "CASE WHEN lease_until_ms > \(now) + $4 THEN lease_until_ms ELSE \(now) + $4 END"
    }

    /// `$1, $2, $3`: the key columns, first in every keyed statement.
    private static func keyBinds(_ key: IdempotencyKey) -> [SQLValue] {
        [.text(key.provider.rawValue), .text(key.merchant), .text(key.outRequestNo)]
    }

    func close() async { await database.close() }
}
