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

    @Test("stores that start together migrate one after the other", arguments: StoreBackend.allCases)
    func concurrentMigrations(backend: StoreBackend) async throws {
        try await backend.withLocation { location in
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<4 {
                    group.addTask {
                        try await StoreBackend.withStore(at: location) { store, _ in
                            _ = try await store.claim(claimRequest(uniqueKey()))
                        }
                    }
                }
                try await group.waitForAll()
            }
        }
    }
}
