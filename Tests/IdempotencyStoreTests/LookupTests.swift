import CouponModel
import Foundation
import IdempotencyStore
import Testing

@Suite("Lookups, purge and migrations")
struct LookupTests {
    @Test("records are found by key and by out_request_no across providers and merchants", arguments: StoreBackend.allCases)
    func lookups(backend: StoreBackend) async throws {
        try await backend.withStore { store in
            let first = uniqueKey(provider: .wechat, merchant: "m1")
            let second = IdempotencyKey(provider: .zvcms, merchant: "acct-9", outRequestNo: first.outRequestNo)
            let unrelated = uniqueKey()
            _ = try await store.claim(claimRequest(first, fingerprint: "fp-1", now: Instant.t0))
            _ = try await store.claim(claimRequest(second, fingerprint: "fp-2", now: Instant.t0(plus: 1)))
            _ = try await store.claim(claimRequest(unrelated, fingerprint: "fp-3", now: Instant.t0))

            #expect(try await store.record(for: first)?.fingerprint == CommandFingerprint(hex: "fp-1"))
            #expect(try await store.record(for: second)?.fingerprint == CommandFingerprint(hex: "fp-2"))
            #expect(try await store.record(for: uniqueKey()) == nil)

            let found = try await store.records(outRequestNo: first.outRequestNo)
            #expect(found.map(\.key) == [first, second], "both keys of the out_request_no, oldest first")
            #expect(try await store.records(outRequestNo: "NO-SUCH-\(UUID().uuidString)").isEmpty)
        }
    }

    @Test("purge deletes the records last updated before the cutoff and returns how many", arguments: StoreBackend.allCases)
    func purgeByRetention(backend: StoreBackend) async throws {
        try await backend.withStore { store in
            // The only test that uses instants before 2002, so the count is exact on a shared database.
            let year2001 = Date(timeIntervalSince1970: 978_307_200)
            let old1 = uniqueKey(), old2 = uniqueKey(), recent = uniqueKey()
            _ = try await store.claim(claimRequest(old1, now: year2001))
            _ = try await store.claim(claimRequest(old2, now: year2001.addingTimeInterval(60)))
            _ = try await store.claim(claimRequest(recent, now: year2001.addingTimeInterval(2 * 365 * 86_400)))

            let cutoff = year2001.addingTimeInterval(365 * 86_400)
            #expect(try await store.purge(olderThan: cutoff) == 2)
            #expect(try await store.record(for: old1) == nil)
            #expect(try await store.record(for: old2) == nil)
            #expect(try await store.record(for: recent) != nil)
            #expect(try await store.purge(olderThan: cutoff) == 0)
        }
    }

    @Test("migrating again, from this or another instance, is harmless and keeps the records", arguments: StoreBackend.allCases)
    func migrateTwice(backend: StoreBackend) async throws {
        try await backend.withLocation { location in
            let key = uniqueKey()
            try await StoreBackend.withStore(at: location) { store in
                _ = try await store.claim(claimRequest(key))
                try await store.migrate()
                try await store.migrate()
            }
            // A second instance: the factory migrates it once more on open.
            try await StoreBackend.withStore(at: location) { store in
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
                        try await StoreBackend.withStore(at: location) { store in
                            _ = try await store.claim(claimRequest(uniqueKey()))
                        }
                    }
                }
                try await group.waitForAll()
            }
        }
    }
}
