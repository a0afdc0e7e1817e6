/// What ``IdempotencyTable`` needs from a database: run its statements, serialise migrations.
///
/// The drivers (``SQLiteRecordDatabase``, ``PostgresRecordDatabase``) only move values and
/// rows and map their errors to ``StoreError``; every decision lives in ``IdempotencyTable``
/// and ``ClaimResolution``, so both backends behave the same by construction.
protocol RecordDatabase: Sendable {
    /// The dialect's type for byte strings (`BLOB`, `BYTEA`).
    var binaryColumnType: String { get }

    /// Runs a statement that returns ``StoredRow/columns`` with `binds` for its placeholders.
    func recordRows(_ statement: RecordStatement, binds: [SQLValue]) async throws(StoreError) -> [StoredRow]

    /// Runs a statement with `binds` and returns its first column as integers, one per row.
    func integerRows(_ statement: RecordStatement, binds: [SQLValue]) async throws(StoreError) -> [Int64]

    /// Runs `body` in one transaction that excludes every other migrator of the same database
    /// (other store instances and other processes included), committing when it returns.
    func withMigrationTransaction(
        _ body: (any MigrationTransaction) async throws(StoreError) -> Void
    ) async throws(StoreError)

    /// Releases connections.
    func close() async
}

/// Statements run inside ``RecordDatabase/withMigrationTransaction(_:)``.
protocol MigrationTransaction {
    /// Runs a statement and returns its first column as integers, one per row.
    func integerRows(_ statement: SQLStatement) async throws(StoreError) -> [Int64]
}
