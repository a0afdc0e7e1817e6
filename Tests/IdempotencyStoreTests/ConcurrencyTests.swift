import CouponModel
import Foundation
import IdempotencyStore
import Testing

/// Many claimers at once, through several store instances: with SQLite that is several
/// connections to one file, with PostgreSQL several connection pools.
@Suite("Concurrent claimers")
struct ConcurrencyTests {
    static let instances = 3
    static let claimers = 50
    static let keyCount = 20

    @Test("many concurrent claimers on the same keys produce exactly one claim per key", arguments: StoreBackend.allCases)
    func oneWinnerPerKey(backend: StoreBackend) async throws {
        try await backend.withLocation { location in
            try await Self.withStores(at: location, clock: StoreClock()) { stores in
                let keys = (0..<Self.keyCount).map { _ in uniqueKey(prefix: "RACE") }

                let outcomes = try await Self.claimConcurrently(keys, through: stores)

                #expect(outcomes.count == Self.claimers * Self.keyCount)
                for key in keys {
                    let forKey = outcomes.filter { $0.key == key }
                    let winners = forKey.filter { if case .claimed = $0.outcome { true } else { false } }
                    #expect(winners.count == 1, "\(key): \(winners.count) claims")
                    let others = forKey.filter { if case .inProgress = $0.outcome { true } else { false } }
                    #expect(others.count == Self.claimers - 1, "everyone else sees it in progress")
                    let stored = try #require(try await stores[0].record(for: key))
                    #expect(stored.leaseOwner == winners.first?.owner, "the stored lease holder is the one winner")
                    #expect(stored.takeovers == 0)
                    #expect(stored.fence == 1, "one grant")
                    #expect(winners.first?.outcome.lease == Lease(key: key, token: 1))
                }
            }
        }
    }

    @Test("an expired lease is taken over by exactly one of many concurrent claimers", arguments: StoreBackend.allCases)
    func oneTakeoverPerExpiredLease(backend: StoreBackend) async throws {
        try await backend.withLocation { location in
            // One clock for every instance: the store's time, as the database would give it.
            let clock = StoreClock()
            try await Self.withStores(at: location, clock: clock) { stores in
                let keys = (0..<5).map { _ in uniqueKey(prefix: "TAKEOVER") }
                for key in keys {
                    guard case .claimed = try await stores[0].claim(claimRequest(key, owner: "crashed-worker", lease: .seconds(30))) else {
                        Issue.record("setup claim failed")
                        return
                    }
                }

                clock.advance(by: .seconds(120))  // every lease above has expired by then
                let outcomes = try await Self.claimConcurrently(keys, through: stores)

                for key in keys {
                    let forKey = outcomes.filter { $0.key == key }
                    let takers = forKey.filter { if case .takenOver = $0.outcome { true } else { false } }
                    #expect(takers.count == 1, "\(key): \(takers.count) takeovers")
                    let claimed = forKey.filter { if case .claimed = $0.outcome { true } else { false } }
                    #expect(claimed.isEmpty)
                    let others = forKey.filter { if case .inProgress = $0.outcome { true } else { false } }
                    #expect(others.count == Self.claimers - 1, "everyone else sees the new lease in progress")
                    let stored = try #require(try await stores[1].record(for: key))
                    #expect(stored.takeovers == 1)
                    #expect(stored.leaseOwner == takers.first?.owner)
                    #expect(leaseMilliseconds(stored) == 30_000, "a 30 s lease from the store's now")
                    #expect(stored.fence == 2, "exactly one more grant")
                    #expect(takers.first?.outcome.lease == Lease(key: key, token: 2))
                }
            }
        }
    }

    /// `claimers` concurrent tasks, spread over `stores`, each claiming every key in its own
    /// order as owner `claimer-N`; returns every (key, owner, outcome).
    static func claimConcurrently(
        _ keys: [IdempotencyKey], through stores: [any IdempotencyStore]
    ) async throws -> [(key: IdempotencyKey, owner: String, outcome: ClaimOutcome)] {
        try await withThrowingTaskGroup(of: [(key: IdempotencyKey, owner: String, outcome: ClaimOutcome)].self) { group in
            for claimer in 0..<claimers {
                let store = stores[claimer % stores.count]
                group.addTask {
                    let owner = "claimer-\(claimer)"
                    var results: [(key: IdempotencyKey, owner: String, outcome: ClaimOutcome)] = []
                    for key in keys.shuffled() {
                        results.append((key, owner, try await store.claim(claimRequest(key, owner: owner))))
                    }
                    return results
                }
            }
            return try await group.reduce(into: []) { $0 += $1 }
        }
    }

    /// Runs `body` with `instances` separate stores at `location`, all with the time `clock`,
    /// closing them all afterwards.
    static func withStores(
        at location: String, clock: StoreClock, _ body: ([any IdempotencyStore]) async throws -> Void
    ) async throws {
        var stores: [any IdempotencyStore] = []
        func closeAll() async { for store in stores { await store.close() } }
        do {
            try await open(into: &stores, at: location, clock: clock)
            try await body(stores)
        } catch {
            await closeAll()
            throw error
        }
        await closeAll()
    }

    private static func open(
        into stores: inout [any IdempotencyStore], at location: String, clock: StoreClock
    ) async throws {
        for _ in 0..<instances {
            if location.hasPrefix("postgres") {
                // Small separate pools: the point is several pools, not many connections.
                let store = try await PostgresIdempotencyStore.open(
                    url: location, clock: clock, logger: testLogger, maximumConnections: 8)
                try await store.migrate()
                stores.append(store)
            } else {
                stores.append(try await IdempotencyStoreFactory.open(location, clock: clock, logger: testLogger))
            }
        }
    }
}
