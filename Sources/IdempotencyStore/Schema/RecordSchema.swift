/// The schema of the idempotency tables, shared by both backends as a list of migrations
/// (append only: never edit a released one).
///
/// The SQL is the common subset of SQLite and PostgreSQL; only the binary column type differs
/// (`BLOB` / `BYTEA`). SQLite gives `BIGINT` integer affinity, so integers are 64-bit in both.
///
/// Layout: one row per key, the key as three columns (provider, merchant, out_request_no)
/// rather than one joined string, so no separator can make two keys collide; an index on
/// out_request_no serves the `/requests/{out_request_no}` lookup and one on updated_at_ms the
/// retention purge.
enum RecordSchema {
    static let versionTable = """
        CREATE TABLE IF NOT EXISTS idempotency_schema_version (
            version INTEGER NOT NULL PRIMARY KEY,
            applied_at_ms BIGINT NOT NULL
        )
        """

    static let currentVersion = "SELECT CAST(COALESCE(MAX(version), 0) AS BIGINT) FROM idempotency_schema_version"

    /// The migrations, in version order, with `binaryType` the dialect's byte-string type.
    static func migrations(binaryType: String) -> [SchemaMigration] {
        [
            SchemaMigration(version: 1, statements: [
                """
                CREATE TABLE idempotency_records (
                    provider TEXT NOT NULL,
                    merchant TEXT NOT NULL,
                    out_request_no TEXT NOT NULL,
                    fingerprint TEXT NOT NULL,
                    state TEXT NOT NULL CHECK (state IN ('in_progress', 'final')),
                    lease_owner TEXT,
                    lease_until_ms BIGINT,
                    attempts BIGINT NOT NULL DEFAULT 0,
                    takeovers BIGINT NOT NULL DEFAULT 0,
                    result_status TEXT,
                    result_event \(binaryType),
                    created_at_ms BIGINT NOT NULL,
                    updated_at_ms BIGINT NOT NULL,
                    PRIMARY KEY (provider, merchant, out_request_no)
                )
                """,
                "CREATE INDEX idempotency_records_out_request_no ON idempotency_records (out_request_no)",
                "CREATE INDEX idempotency_records_updated_at ON idempotency_records (updated_at_ms)",
            ]),
            // Fencing tokens, the in-doubt mark and reopenable failures (issues 13 and 14).
            // A version-1 record in progress with attempts may have reached its provider.
            SchemaMigration(version: 2, statements: [
                "ALTER TABLE idempotency_records ADD COLUMN fence BIGINT NOT NULL DEFAULT 1",
                "ALTER TABLE idempotency_records ADD COLUMN in_doubt BIGINT NOT NULL DEFAULT 0",
                "ALTER TABLE idempotency_records ADD COLUMN source TEXT",
                "ALTER TABLE idempotency_records ADD COLUMN reopenable BIGINT NOT NULL DEFAULT 0",
                "ALTER TABLE idempotency_records ADD COLUMN claim_kind TEXT",
                "UPDATE idempotency_records SET in_doubt = 1 WHERE state = 'in_progress' AND attempts > 0",
            ]),
        ]
    }

    /// The newest version this build knows.
    static let latestVersion = 2
}
