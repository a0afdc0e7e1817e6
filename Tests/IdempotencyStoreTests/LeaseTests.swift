import CouponModel
import Foundation
import IdempotencyStore
import Testing

@Suite("Leases, attempts and completion")
struct LeaseTests {
    @Test("extending a lease works for its holder only", arguments: StoreBackend.allCases)
    func extendLeaseHolderOnly(backend: StoreBackend) async throws {
        try await backend.withStore { store, clock in
            let key = uniqueKey()
            let lease = try #require(try await store.claim(claimRequest(key, owner: "worker-1", lease: .seconds(30))).lease)

            #expect(try await store.extendLease(lease, for: .seconds(120)))
            // A lease nobody was granted: a later token, an earlier one, another key.
            #expect(try await store.extendLease(Lease(key: key, token: lease.token + 1), for: .seconds(999)) == false)
            #expect(try await store.extendLease(Lease(key: key, token: lease.token - 1), for: .seconds(999)) == false)
            #expect(try await store.extendLease(Lease(key: uniqueKey(), token: lease.token), for: .seconds(999)) == false)

            let record = try #require(try await store.record(for: key))
            #expect(leaseMilliseconds(record) == 120_000, "renewed to 120 s from the store's now")
            // The extension is what keeps others out: 60 s on, the claim's own lease had expired.
            clock.advance(by: .seconds(60))
            let outcome = try await store.claim(claimRequest(key, owner: "worker-2"))
            guard case .inProgress = outcome else {
                Issue.record("an extended lease must still be live, got \(outcome)")
                return
            }
        }
    }

    @Test("a lease holder that was taken over can no longer extend, count, clear or complete",
          arguments: StoreBackend.allCases)
    func takenOverHolderLosesRights(backend: StoreBackend) async throws {
        try await backend.withStore { store, clock in
            let key = uniqueKey()
            let first = try #require(try await store.claim(claimRequest(key, owner: "worker-1", lease: .seconds(30))).lease)
            clock.advance(by: .seconds(31))
            let second = try #require(try await store.claim(claimRequest(key, owner: "worker-2")).lease)

            #expect(try await store.extendLease(first, for: .seconds(999)) == false)
            #expect(try await store.recordAttempt(first, renewingFor: .seconds(999)) == nil)
            #expect(try await store.recordNoEffect(first) == false)
            #expect(try await store.complete(first, outcome: sampleOutcome) == false)
            #expect(try await store.complete(second, outcome: sampleOutcome))
        }
    }

    @Test("recording an attempt counts and renews the lease for the holder, and is refused to others",
          arguments: StoreBackend.allCases)
    func recordAttemptCounts(backend: StoreBackend) async throws {
        try await backend.withStore { store, clock in
            let key = uniqueKey()
            let lease = try #require(try await store.claim(claimRequest(key, owner: "worker-1", lease: .seconds(30))).lease)

            #expect(try await store.recordAttempt(lease, renewingFor: .seconds(60)) == 1)
            #expect(try await store.recordAttempt(lease, renewingFor: .seconds(120)) == 2)
            #expect(try await store.recordAttempt(Lease(key: key, token: lease.token + 1), renewingFor: .seconds(999)) == nil)
            let record = try #require(try await store.record(for: key))
            #expect(record.attempts == 2)
            #expect(leaseMilliseconds(record) == 120_000)
            // The renewal keeps others out: 60 s on, the claim's own lease had long expired.
            clock.advance(by: .seconds(60))
            let outcome = try await store.claim(claimRequest(key, owner: "worker-2"))
            guard case .inProgress = outcome else {
                Issue.record("a lease renewed by an attempt must still be live, got \(outcome)")
                return
            }
        }
    }

    @Test("completing stores the outcome once, for the lease holder only", arguments: StoreBackend.allCases)
    func completeHolderOnly(backend: StoreBackend) async throws {
        try await backend.withStore { store, _ in
            let key = uniqueKey()
            let lease = try #require(try await store.claim(claimRequest(key, owner: "worker-1")).lease)
            _ = try await store.recordAttempt(lease, renewingFor: .seconds(60))

            #expect(try await store.complete(Lease(key: key, token: lease.token + 1), outcome: sampleOutcome) == false)
            #expect(try await store.record(for: key)?.state == .inProgress)

            #expect(try await store.complete(lease, outcome: sampleOutcome))
            let other = StoredOutcome(status: .failed, resultEvent: Array("second".utf8))
            #expect(try await store.complete(lease, outcome: other) == false, "already final")
            #expect(try await store.complete(Lease(key: uniqueKey(), token: 1), outcome: other) == false, "no record")
            // A final record takes no more writes from its last holder.
            #expect(try await store.extendLease(lease, for: .seconds(60)) == false)
            #expect(try await store.recordAttempt(lease, renewingFor: .seconds(60)) == nil)
            #expect(try await store.recordNoEffect(lease) == false)

            let record = try #require(try await store.record(for: key))
            #expect(record.state == .final)
            #expect(record.resultStatus == .succeeded)
            #expect(record.resultEvent == sampleOutcome.resultEvent)
            #expect(record.leaseUntil == nil)
            #expect(record.leaseOwner == "worker-1")
            #expect(record.attempts == 1)
            #expect(record.reopenable == false)
        }
    }

    @Test("result bytes are stored exactly, including NUL and non-UTF-8 bytes", arguments: StoreBackend.allCases)
    func resultBytesRoundTrip(backend: StoreBackend) async throws {
        try await backend.withStore { store, _ in
            let key = uniqueKey()
            let bytes: [UInt8] = [0x00, 0xFF, 0xFE, 0x7B, 0x00, 0xC3, 0x28] + Array(repeating: 0x41, count: 70_000)
            let lease = try #require(try await store.claim(claimRequest(key, owner: "worker-1")).lease)
            #expect(try await store.complete(lease, outcome: StoredOutcome(status: .unknown, resultEvent: bytes)))
            let record = try #require(try await store.record(for: key))
            #expect(record.resultEvent == bytes)
            #expect(record.resultStatus == .unknown)
        }
    }

    // MARK: - Fencing

    /// The owner string is for operators only: two tasks of one process (same owner) that
    /// hold the key one after the other are told apart by their fencing tokens alone.
    @Test("a holder whose lease was taken over is fenced off although its owner string is the same",
          arguments: StoreBackend.allCases)
    func fencingIgnoresOwner(backend: StoreBackend) async throws {
        try await backend.withStore { store, clock in
            let key = uniqueKey()
            let owner = "worker-1"  // one process, one owner string, for every holder below

            let firstOutcome = try await store.claim(claimRequest(key, owner: owner, lease: .seconds(30)))
            guard case .claimed = firstOutcome else {
                Issue.record("expected .claimed, got \(firstOutcome)")
                return
            }
            let first = try #require(firstOutcome.lease)
            #expect(first.token == 1)
            #expect(try await store.recordAttempt(first, renewingFor: .seconds(30)) == 1)

            // The first holder stalls; its lease expires by the store's clock; a second task of
            // the same process takes the key over.
            clock.advance(by: .seconds(31))
            let secondOutcome = try await store.claim(claimRequest(key, owner: owner, lease: .seconds(30)))
            guard case .takenOver(let taken) = secondOutcome else {
                Issue.record("expected .takenOver, got \(secondOutcome)")
                return
            }
            let second = try #require(secondOutcome.lease)
            #expect(second.token == first.token + 1, "one more per grant")
            #expect(taken.fence == second.token)
            #expect(taken.leaseOwner == owner)

            // The first wakes up: every write it tries is refused, whatever its owner string.
            #expect(try await store.recordAttempt(first, renewingFor: .seconds(600)) == nil)
            #expect(try await store.extendLease(first, for: .seconds(600)) == false)
            #expect(try await store.recordNoEffect(first) == false)
            #expect(try await store.complete(first, outcome: sampleOutcome) == false)
            let afterStale = try #require(try await store.record(for: key))
            #expect(afterStale == taken, "the refused writes changed nothing")

            // The second's writes succeed.
            #expect(try await store.recordAttempt(second, renewingFor: .seconds(30)) == 2)
            #expect(try await store.extendLease(second, for: .seconds(30)))
            #expect(try await store.recordNoEffect(second))

            // A third grant (the second stalls too) fences off the second in turn.
            clock.advance(by: .seconds(31))
            let thirdOutcome = try await store.claim(claimRequest(key, owner: owner, lease: .seconds(30)))
            guard case .takenOver = thirdOutcome else {
                Issue.record("expected a second .takenOver, got \(thirdOutcome)")
                return
            }
            let third = try #require(thirdOutcome.lease)
            #expect(third.token == second.token + 1, "one more per grant")
            #expect(try await store.complete(second, outcome: sampleOutcome) == false)
            #expect(try await store.complete(first, outcome: sampleOutcome) == false)
            #expect(try await store.complete(third, outcome: sampleOutcome))

            let final = try #require(try await store.record(for: key))
            #expect(final.state == .final)
            #expect(final.fence == 3)
            #expect(final.takeovers == 2)
            #expect(final.attempts == 2)
        }
    }

    // MARK: - Renewal

    @Test("a renewal never shortens a lease", arguments: StoreBackend.allCases)
    func renewalNeverShortens(backend: StoreBackend) async throws {
        try await backend.withStore { store, clock in
            let key = uniqueKey()
            let lease = try #require(try await store.claim(claimRequest(key, lease: .seconds(30))).lease)

            #expect(try await store.extendLease(lease, for: .seconds(60)))
            let extended = try #require(try await store.record(for: key))
            #expect(leaseMilliseconds(extended) == 60_000)
            let end = try #require(extended.leaseUntil)

            #expect(try await store.extendLease(lease, for: .seconds(1)), "a shorter renewal is accepted")
            #expect(try await store.record(for: key)?.leaseUntil == end, "and keeps the 60 s end")
            #expect(try await store.recordAttempt(lease, renewingFor: .seconds(1)) == 1)
            #expect(try await store.record(for: key)?.leaseUntil == end, "an attempt's shorter renewal too")

            // 31 s on, a 1 s lease (or the claim's 30 s) would have expired; the 60 s one holds.
            clock.advance(by: .seconds(31))
            let outcome = try await store.claim(claimRequest(key, owner: "worker-2"))
            guard case .inProgress = outcome else {
                Issue.record("the 60 s lease must still be live, got \(outcome)")
                return
            }
            // A longer renewal does move the end.
            #expect(try await store.extendLease(lease, for: .seconds(120)))
            let longer = try #require(try await store.record(for: key))
            #expect(leaseMilliseconds(longer) == 120_000)
            #expect(try #require(longer.leaseUntil) > end)
        }
    }

    // MARK: - In doubt

    @Test("an attempt marks the record in doubt, a known no-effect clears it, a takeover sees it",
          arguments: StoreBackend.allCases)
    func inDoubt(backend: StoreBackend) async throws {
        try await backend.withStore { store, clock in
            let doubtful = uniqueKey()
            let cleared = uniqueKey()
            var leases: [IdempotencyKey: Lease] = [:]
            for key in [doubtful, cleared] {
                let outcome = try await store.claim(claimRequest(key, owner: "worker-1"))
                #expect(outcome.record.inDoubt == false, "nothing was attempted yet")
                let lease = try #require(outcome.lease)
                leases[key] = lease
            }
            let doubtfulLease = try #require(leases[doubtful])
            let clearedLease = try #require(leases[cleared])

            #expect(try await store.recordAttempt(doubtfulLease, renewingFor: .seconds(30)) == 1)
            #expect(try await store.record(for: doubtful)?.inDoubt == true, "an attempt may take effect")

            #expect(try await store.recordAttempt(clearedLease, renewingFor: .seconds(30)) == 1)
            #expect(try await store.record(for: cleared)?.inDoubt == true)
            #expect(try await store.recordNoEffect(clearedLease))
            let afterNoEffect = try #require(try await store.record(for: cleared))
            #expect(afterNoEffect.inDoubt == false, "the attempt is known to have had no effect")
            #expect(afterNoEffect.attempts == 1, "it stays counted")

            // Another attempt puts the doubt back; clear it again.
            #expect(try await store.recordAttempt(clearedLease, renewingFor: .seconds(30)) == 2)
            #expect(try await store.record(for: cleared)?.inDoubt == true)
            #expect(try await store.recordNoEffect(clearedLease))

            clock.advance(by: .seconds(31))
            for (key, expected) in [(doubtful, true), (cleared, false)] {
                let outcome = try await store.claim(claimRequest(key, owner: "worker-2"))
                guard case .takenOver(let record) = outcome else {
                    Issue.record("expected .takenOver of \(key), got \(outcome)")
                    continue
                }
                #expect(record.inDoubt == expected, "the takeover of \(key) reconciles only when in doubt")
                #expect(record.fence == 2)
            }
        }
    }
}
