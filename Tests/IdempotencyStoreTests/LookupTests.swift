import CouponModel
import Foundation
import IdempotencyStore
import Testing

@Suite("Lookups, purge and migrations")
struct LookupTests {
    @Test("records are found by key and by out_request_no across providers and merchants", arguments: StoreBackend.allCases)
    func lookups(backend: StoreBackend) async throws {
        try await backend.withStore { store, clock in
            // The zvcms key a store-second before the wechat one: "oldest first" is then the
            // opposite of the keys' own sort order, so the order tested is the creation order.
            let first = uniqueKey(provider: .zvcms, merchant: "acct-9")
            let second = IdempotencyKey(provider: .wechat, merchant: "m1", outRequestNo: first.outRequestNo)
            let unrelated = uniqueKey()
            _ = try await store.claim(claimRequest(first, fingerprint: "fp-1"))
            _ = try await store.claim(claimRequest(unrelated, fingerprint: "fp-3"))
            clock.advance(by: .seconds(1))
            _ = try await store.claim(claimRequest(second, fingerprint: "fp-2"))

            #expect(try await store.record(for: first)?.fingerprint == CommandFingerprint(hex: "fp-1"))
            #expect(try await store.record(for: second)?.fingerprint == CommandFingerprint(hex: "fp-2"))
            #expect(try await store.record(for: uniqueKey()) == nil)

            let found = try await store.records(outRequestNo: first.outRequestNo)
            #expect(found.map(\.key) == [first, second], "both keys of the out_request_no, oldest first")
            #expect(try await store.records(outRequestNo: "NO-SUCH-\(UUID().uuidString)").isEmpty)
        }
    }

    @Test("purge deletes the final records older than the retention, never records in progress, and counts",
          arguments: StoreBackend.allCases)
    func purgeByRetention(backend: StoreBackend) async throws {
        // A database of its own: a purge deletes every old enough final record, whoever wrote it.
        try await backend.withPrivateLocation { location in
            try await StoreBackend.withStore(at: location) { store, clock in
                let year: Duration = .seconds(365 * 86_400)
                let oldFinal1 = uniqueKey(), oldFinal2 = uniqueKey(), oldReopenable = uniqueKey()
                let oldInProgress = uniqueKey(), oldAttempted = uniqueKey()
                let recentFinal = uniqueKey(), recentInProgress = uniqueKey()

                for (key, outcome) in [(oldFinal1, sampleOutcome), (oldFinal2, terminalFailure), (oldReopenable, retryableFailure)] {
                    let lease = try #require(try await store.claim(claimRequest(key)).lease)
                    #expect(try await store.complete(lease, outcome: outcome))
                }
                _ = try await store.claim(claimRequest(oldInProgress))
                let attempted = try #require(try await store.claim(claimRequest(oldAttempted)).lease)
                #expect(try await store.recordAttempt(attempted, renewingFor: .seconds(30)) == 1)

                // 400 days on by the store's clock.
                clock.advance(by: .seconds(400 * 86_400))
                let recentLease = try #require(try await store.claim(claimRequest(recentFinal)).lease)
                #expect(try await store.complete(recentLease, outcome: sampleOutcome))
                _ = try await store.claim(claimRequest(recentInProgress))

                #expect(try await store.purge(retaining: year) == 3, "the three old final records")
                for key in [oldFinal1, oldFinal2, oldReopenable] {
                    #expect(try await store.record(for: key) == nil, "\(key) is past the retention")
                }
                for key in [oldInProgress, oldAttempted] {
                    #expect(try await store.record(for: key)?.state == .inProgress, "in progress, 400 days old: kept")
                }
                #expect(try await store.record(for: recentFinal)?.state == .final, "within the retention: kept")
                #expect(try await store.record(for: recentInProgress) != nil)
                #expect(try await store.purge(retaining: year) == 0)

                // However old: 10 years on, only the (now old) recent final record goes.
                clock.advance(by: .seconds(10 * 365 * 86_400))
                #expect(try await store.purge(retaining: year) == 1)
                #expect(try await store.record(for: recentFinal) == nil)
                for key in [oldInProgress, oldAttempted, recentInProgress] {
                    #expect(try await store.record(for: key)?.state == .inProgress, "\(key) is never purged")
                }
                // A record in progress stays claimable: its expired lease is taken over.
                let outcome = try await store.claim(claimRequest(oldAttempted, owner: "worker-2"))
                guard case .takenOver(let record) = outcome else {
                    Issue.record("expected .takenOver of the old record in progress, got \(outcome)")
                    return
                }
                #expect(record.inDoubt)
            }
        }
    }

    @Test("migrating again, from this or another instance, is harmless and keeps the records", arguments: StoreBackend.allCases)
    func migrateTwice(backend: StoreBackend) async throws {
        try await backend.withLocation { location in
            let key = uniqueKey()
            try await StoreBackend.withStore(at: location) { store, _ in
                _ = try await store.claim(claimRequest(key))
                try await store.migrate()
                try await store.migrate()
            }
            // A second instance: the factory migrates it once more on open.
            try await StoreBackend.withStore(at: location) { store, _ in
                try await store.migrate()
                #expect(try await store.record(for: key)?.leaseOwner == "worker-1")
            }
        }
    }

    @Test("stores that start together on an empty database migrate it once, to the latest version, and all work on the same schema",
          arguments: StoreBackend.allCases)
    func concurrentMigrations(backend: StoreBackend) async throws {
        // An empty database of its own: on a shared one the schema would already be there and
        // nothing would migrate concurrently.
        try await backend.withPrivateLocation { location in
            let starters = 4
            let keys = (0..<starters).map { _ in uniqueKey() }
            let claimed = Countdown(starters)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for key in keys {
                    group.addTask {
                        // Each opens (and so migrates) at the same time as the others, claims its
                        // key, then, once every store has claimed, reads every store's key.
                        do {
                            try await StoreBackend.withStore(at: location) { store, _ throws in
                                let claim = try await store.claim(claimRequest(key))
                                #expect(claim.lease != nil)
                                await claimed.arrive()
                                for other in keys {
                                    let record = try await store.record(for: other)
                                    #expect(record?.state == .inProgress, "a store sees the records the others wrote")
                                }
                            }
                        } catch {
                            await claimed.releaseAll()  // the others must not wait for a store that failed
                            throw error
                        }
                    }
                }
                try await group.waitForAll()
            }
            try await RawDatabase.with(location: location) { database in
                let versions = try await database.integers(
                    "SELECT CAST(version AS BIGINT) FROM idempotency_schema_version ORDER BY version")
                #expect(versions == [1, 2], "every migration applied exactly once, up to the latest")
                let records = try await database.integers("SELECT CAST(COUNT(*) AS BIGINT) FROM idempotency_records")
                #expect(records == [Int64(starters)], "one table that all of them wrote to")
            }
        }
    }
}

/// Lets tasks wait until `count` of them have arrived.
actor Countdown {
    private var remaining: Int
    private var waiting: [CheckedContinuation<Void, Never>] = []

    init(_ count: Int) { remaining = count }

    /// Counts this arrival and returns once every arrival was counted.
    func arrive() async {
        remaining -= 1
        if remaining <= 0 {
            for continuation in waiting { continuation.resume() }
            waiting = []
            return
        }
        await withCheckedContinuation { waiting.append($0) }
    }

    /// Lets every waiter go now (one of them failed and will never arrive).
    func releaseAll() {
        remaining = 0
        for continuation in waiting { continuation.resume() }
        waiting = []
    }
}
