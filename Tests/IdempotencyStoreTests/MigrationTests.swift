import CouponModel
import Foundation
import IdempotencyStore
import Testing

/// Upgrading a database that a version-1 build wrote (before fencing tokens, the in-doubt mark
/// and reopenable failures), with records still in it.
@Suite("Schema migrations")
struct MigrationTests {
    /// The version table and version 1 of the schema exactly as the version-1 build created them
    /// (a copy of the released migration, which is never edited: this is what is out there).
    static func version1Schema(binaryType: String) -> [String] {
        [
            """
            CREATE TABLE IF NOT EXISTS idempotency_schema_version (
                version INTEGER NOT NULL PRIMARY KEY,
                applied_at_ms BIGINT NOT NULL
            )
            """,
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
        ]
    }

    @Test("a version-1 database migrates: a record in progress with attempts is in doubt and can be taken over",
          arguments: StoreBackend.allCases)
    func migrateFromVersion1(backend: StoreBackend) async throws {
        try await backend.withPrivateLocation { location in
            let attempted = uniqueKey(prefix: "V1-ATTEMPTED")
            let unattempted = uniqueKey(prefix: "V1-FRESH")
            let failed = uniqueKey(prefix: "V1-FAILED")
            let failedEvent = Array(#"{"status":"failed"}"#.utf8)

            // What a version-1 build left behind: live leases (30 s, by the database's clock),
            // one of them after a provider attempt, and a final failure.
            try await RawDatabase.with(location: location) { database in
                for sql in Self.version1Schema(binaryType: database.binaryType) {
                    try await database.execute(sql)
                }
                let now = database.nowMilliseconds
                try await database.execute(
                    "INSERT INTO idempotency_schema_version (version, applied_at_ms) VALUES (1, \(now))")
                for (key, attempts) in [(attempted, 1), (unattempted, 0)] {
                    try await database.execute("""
                        INSERT INTO idempotency_records
                            (provider, merchant, out_request_no, fingerprint, state, lease_owner, lease_until_ms,
                             attempts, takeovers, created_at_ms, updated_at_ms)
                        VALUES ('\(key.provider.rawValue)', '\(key.merchant)', '\(key.outRequestNo)', 'fp-a',
                                'in_progress', 'v1-worker', \(now) + 30000, \(attempts), 0, \(now), \(now))
                        """)
                }
                let bytes = failedEvent.map { String(format: "%02x", $0) }.joined()
                let blob = database.binaryType == "BLOB" ? "X'\(bytes)'" : "decode('\(bytes)', 'hex')"
                try await database.execute("""
                    INSERT INTO idempotency_records
                        (provider, merchant, out_request_no, fingerprint, state, lease_owner, lease_until_ms,
                         attempts, takeovers, result_status, result_event, created_at_ms, updated_at_ms)
                    VALUES ('\(failed.provider.rawValue)', '\(failed.merchant)', '\(failed.outRequestNo)', 'fp-a',
                            'final', 'v1-worker', NULL, 1, 0, 'failed', \(blob), \(now), \(now))
                    """)
            }

            // The factory migrates on open.
            try await StoreBackend.withStore(at: location) { store, clock in
                let inDoubt = try #require(try await store.record(for: attempted))
                #expect(inDoubt.inDoubt, "an attempt before the upgrade may have reached the provider")
                #expect(inDoubt.state == .inProgress)
                #expect(inDoubt.attempts == 1)
                #expect(inDoubt.fence == 1)
                #expect(inDoubt.source == nil)
                #expect(inDoubt.reopenable == false)
                #expect(leaseMilliseconds(inDoubt) == 30_000, "the version-1 lease is kept")

                let fresh = try #require(try await store.record(for: unattempted))
                #expect(fresh.inDoubt == false, "no attempt, no doubt")
                #expect(fresh.fence == 1)

                let final = try #require(try await store.record(for: failed))
                #expect(final.state == .final)
                #expect(final.inDoubt == false)
                #expect(final.reopenable == false, "a version-1 failure was stored as closed")
                #expect(final.resultEvent == failedEvent)
                let replay = try await store.claim(claimRequest(failed, source: "coupon.commands/0/9"))
                guard case .alreadyFinal = replay else {
                    Issue.record("expected .alreadyFinal for a version-1 failure, got \(replay)")
                    return
                }

                // The version-1 lease is live until the store's clock passes it, then taken over.
                let live = try await store.claim(claimRequest(attempted, owner: "v2-worker"))
                guard case .inProgress = live else {
                    Issue.record("expected .inProgress under the version-1 lease, got \(live)")
                    return
                }
                clock.advance(by: .seconds(31))
                let outcome = try await store.claim(claimRequest(attempted, owner: "v2-worker"))
                guard case .takenOver(let record) = outcome else {
                    Issue.record("expected .takenOver of the version-1 record, got \(outcome)")
                    return
                }
                #expect(record.inDoubt, "the takeover is told to reconcile")
                #expect(record.fence == 2)
                #expect(record.takeovers == 1)
                #expect(record.attempts == 1)
                #expect(record.leaseOwner == "v2-worker")
                let lease = try #require(outcome.lease)
                #expect(try await store.recordNoEffect(lease), "reconciled: the attempt did not take effect")
                #expect(try await store.recordAttempt(lease, renewingFor: .seconds(30)) == 2)
                #expect(try await store.complete(lease, outcome: sampleOutcome))
                #expect(try await store.record(for: attempted)?.resultStatus == .succeeded)
            }

            try await RawDatabase.with(location: location) { database in
                let versions = try await database.integers(
                    "SELECT CAST(version AS BIGINT) FROM idempotency_schema_version ORDER BY version")
                #expect(versions == [1, 2])
            }
        }
    }
}
