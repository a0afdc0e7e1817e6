/// The statements ``IdempotencyTable`` runs on `idempotency_records`, by name.
///
/// Their texts are constants of the dialect (its clock expression is the only part that
/// differs), so a driver builds each one once and keeps it ready: SQLite keeps it compiled,
/// PostgreSQL prepares it once per connection under ``preparedName``. Values are always bound
/// to the `$n` placeholders, never spliced into the text.
///
/// Each statement that changes a record states in its `WHERE` the condition under which it
/// may: for a takeover, the same fingerprint and a lease expired by the database's own clock;
/// for everything a holder writes afterwards, the holder's fencing token. The database
/// evaluates the condition and the change atomically, so there is nothing to lock in Swift and
/// no window between check and write.
enum RecordStatement: String, CaseIterable, Sendable {
    /// Insert-or-take-over, returning the granted row (none when nothing was granted).
    /// `$1…$3` key, `$4` fingerprint, `$5` owner, `$6` lease ms, `$7` source, `$8` clock offset.
    case claim
    /// Renews a lease. `$1…$3` key, `$4` duration ms, `$5` fence, `$6` clock offset.
    case extendLease = "extend_lease"
    /// Counts an attempt, marks it in doubt and renews the lease; same binds as `extendLease`.
    case recordAttempt = "record_attempt"
    /// The last attempt had no effect. `$1…$3` key, `$4` fence.
    case recordNoEffect = "record_no_effect"
    /// Stores the final outcome. `$1…$3` key, `$4` status, `$5` event, `$6` reopenable,
    /// `$7` fence, `$8` clock offset.
    case complete
    /// The record under a key. `$1…$3` key.
    case fetch
    /// Every record of an out_request_no, oldest first. `$1` out_request_no.
    case recordsOfOutRequestNo = "records_of_out_request_no"
    /// Deletes final records older than the retention. `$1` retention ms, `$2` clock offset.
    case purge

    /// The name a driver may prepare the statement under; it changes with the schema version,
    /// so a connection never runs a text prepared for another schema.
    var preparedName: String { "coupon_\(rawValue)_v\(RecordSchema.latestVersion)" }

    /// The text with `$n` placeholders, for a database whose clock in Unix milliseconds is the
    /// SQL expression `clock` (constant within one statement).
    func sql(clock: String) -> String {
        // The store's "now": the database's clock plus the ``StoreClock`` offset bound at `$n`.
        func now(_ bind: Int) -> String { "(\(clock) + $\(bind))" }
        // The lease end after a renewal by `$4`: never earlier than it was, so a holder may
        // count on the longest renewal it was granted.
        func renewed(_ now: String) -> String {
            "CASE WHEN lease_until_ms > \(now) + $4 THEN lease_until_ms ELSE \(now) + $4 END"
        }
        let key = "provider = $1 AND merchant = $2 AND out_request_no = $3"
        switch self {
        case .claim:
            return """
                INSERT INTO idempotency_records
                    (provider, merchant, out_request_no, fingerprint, state, lease_owner, lease_until_ms,
                     attempts, takeovers, created_at_ms, updated_at_ms, fence, in_doubt, source, reopenable, claim_kind)
                VALUES ($1, $2, $3, $4, 'in_progress', $5, \(now(8)) + $6, 0, 0, \(now(8)), \(now(8)), 1, 0, $7, 0, 'claim')
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
                """
        case .extendLease:
            return """
                UPDATE idempotency_records SET lease_until_ms = \(renewed(now(6))), updated_at_ms = \(now(6))
                WHERE \(key) AND state = 'in_progress' AND fence = $5
                RETURNING attempts
                """
        case .recordAttempt:
            return """
                UPDATE idempotency_records
                SET attempts = attempts + 1, in_doubt = 1, lease_until_ms = \(renewed(now(6))),
                    updated_at_ms = \(now(6))
                WHERE \(key) AND state = 'in_progress' AND fence = $5
                RETURNING attempts
                """
        case .recordNoEffect:
            return """
                UPDATE idempotency_records SET in_doubt = 0
                WHERE \(key) AND state = 'in_progress' AND fence = $4
                RETURNING attempts
                """
        case .complete:
            return """
                UPDATE idempotency_records
                SET state = 'final', result_status = $4, result_event = $5, reopenable = $6, lease_until_ms = NULL,
                    updated_at_ms = \(now(8))
                WHERE \(key) AND state = 'in_progress' AND fence = $7
                RETURNING attempts
                """
        case .fetch:
            return "SELECT \(StoredRow.columns) FROM idempotency_records WHERE \(key)"
        case .recordsOfOutRequestNo:
            return """
                SELECT \(StoredRow.columns) FROM idempotency_records
                WHERE out_request_no = $1
                ORDER BY created_at_ms, provider, merchant
                """
        case .purge:
            return """
                DELETE FROM idempotency_records
                WHERE state = 'final' AND updated_at_ms < \(now(2)) - $1
                RETURNING attempts
                """
        }
    }
}

/// Every ``RecordStatement``'s text in one dialect, built once per process: the per-call work
/// is a lookup, not building and rewriting a long string.
struct RecordStatementTexts: Sendable {
    private let texts: [RecordStatement: String]

    /// - Parameters:
    ///   - clock: the dialect's SQL expression for its clock in Unix milliseconds, constant
    ///     within one statement: the store's time, by which leases are granted and judged.
    ///   - placeholders: rewrites `$n` into the dialect's placeholders.
    init(clock: String, placeholders: (String) -> String = { $0 }) {
        texts = Dictionary(uniqueKeysWithValues: RecordStatement.allCases.map { ($0, placeholders($0.sql(clock: clock))) })
    }

    subscript(_ statement: RecordStatement) -> String {
        texts[statement]!  // built from `allCases`: every statement is there
    }
}
