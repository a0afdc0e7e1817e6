import Foundation
import Logging

/// The embedded idempotency store: one SQLite file in WAL mode.
///
/// The default for a single instance, or one instance per node with sticky partitions.
/// Several processes may share the file on one machine (SQLite's locks serialise their
/// writes), but not across machines: use ``PostgresIdempotencyStore`` for that.
///
/// Opening does not migrate: call ``IdempotencyStore/migrate()``
/// (``IdempotencyStoreFactory/open(_:clock:logger:)`` does). Call `close()` before dropping it.
public enum SQLiteIdempotencyStore {
    /// Opens (creating if needed) the database file at `path`. Throws
    /// ``StoreError/unreachable(_:)`` when the file cannot be opened or created, and from any
    /// call without an answer within `callDeadline`.
    public static func open(
        path: String, clock: StoreClock = StoreClock(),
        callDeadline: Duration = IdempotencyStoreFactory.defaultCallDeadline, logger: Logger
    ) async throws(StoreError) -> any IdempotencyStore {
        IdempotencyTable(
            database: try await SQLiteRecordDatabase.open(path: path, callDeadline: callDeadline, logger: logger),
            clock: clock)
    }
}
