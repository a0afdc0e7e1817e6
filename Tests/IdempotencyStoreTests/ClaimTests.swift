import CouponModel
import Foundation
import IdempotencyStore
import Testing

@Suite("Claims")
struct ClaimTests {
    @Test("a first claim creates an in-progress record leased to the claimer", arguments: StoreBackend.allCases)
    func firstClaimCreatesRecord(backend: StoreBackend) async throws {
        try await backend.withStore { store, _ in
            let key = uniqueKey()
            let outcome = try await store.claim(claimRequest(key, owner: "worker-1", lease: .seconds(30)))
            guard case .claimed(let record) = outcome else {
                Issue.record("expected .claimed, got \(outcome)")
                return
            }
            #expect(record.key == key)
            #expect(record.fingerprint == CommandFingerprint(hex: "fp-a"))
            #expect(record.state == .inProgress)
            #expect(record.leaseOwner == "worker-1")
            #expect(leaseMilliseconds(record) == 30_000, "the lease runs 30 s from the store's now")
            #expect(record.createdAt == record.updatedAt)
            #expect(record.attempts == 0)
            #expect(record.takeovers == 0)
            #expect(record.fence == 1)
            #expect(record.inDoubt == false)
            #expect(record.source == firstDelivery)
            #expect(record.reopenable == false)
            #expect(record.resultStatus == nil)
            #expect(record.resultEvent == nil)
            #expect(outcome.lease == Lease(key: key, token: 1))
            #expect(try await store.record(for: key) == record)
        }
    }

    @Test("a claim of a final record with the same fingerprint replays its stored result", arguments: StoreBackend.allCases)
    func finalRecordReplays(backend: StoreBackend) async throws {
        try await backend.withStore { store, clock in
            let key = uniqueKey()
            let lease = try #require(try await store.claim(claimRequest(key, owner: "worker-1")).lease)
            #expect(try await store.complete(lease, outcome: sampleOutcome))

            clock.advance(by: .seconds(3600))
            let outcome = try await store.claim(claimRequest(key, owner: "worker-2", source: "coupon.commands/0/43"))
            guard case .alreadyFinal(let record) = outcome else {
                Issue.record("expected .alreadyFinal, got \(outcome)")
                return
            }
            #expect(outcome.lease == nil)
            #expect(record.state == .final)
            #expect(record.resultStatus == .succeeded)
            #expect(record.resultEvent == sampleOutcome.resultEvent)
            #expect(record.leaseOwner == "worker-1")
            #expect(record.fence == 1)
        }
    }

    @Test("a claim under a live lease reports in progress, also to the lease holder", arguments: StoreBackend.allCases)
    func liveLeaseIsInProgress(backend: StoreBackend) async throws {
        try await backend.withStore { store, _ in
            let key = uniqueKey()
            _ = try await store.claim(claimRequest(key, owner: "worker-1", lease: .seconds(30)))

            // The store's clock has not moved: the lease is live for everyone, its holder included.
            for owner in ["worker-2", "worker-1"] {
                let outcome = try await store.claim(claimRequest(key, owner: owner))
                guard case .inProgress(let record) = outcome else {
                    Issue.record("expected .inProgress for \(owner), got \(outcome)")
                    continue
                }
                #expect(outcome.lease == nil)
                #expect(record.leaseOwner == "worker-1")
                #expect(record.takeovers == 0)
                #expect(record.fence == 1)
            }
        }
    }

    @Test("a claim after the lease expired takes it over and counts the takeover", arguments: StoreBackend.allCases)
    func expiredLeaseIsTakenOver(backend: StoreBackend) async throws {
        try await backend.withStore { store, clock in
            let key = uniqueKey()
            let claimed = try await store.claim(claimRequest(key, owner: "worker-1", lease: .seconds(30)))
            let lease = try #require(claimed.lease)
            #expect(try await store.recordAttempt(lease, renewingFor: .seconds(30)) == 1)

            clock.advance(by: .seconds(31))
            let outcome = try await store.claim(claimRequest(key, owner: "worker-2", lease: .seconds(30)))
            guard case .takenOver(let record) = outcome else {
                Issue.record("expected .takenOver, got \(outcome)")
                return
            }
            #expect(record.leaseOwner == "worker-2")
            #expect(leaseMilliseconds(record) == 30_000, "a new 30 s lease from the store's (advanced) now")
            #expect(milliseconds(record.updatedAt) >= milliseconds(claimed.record.updatedAt) + 31_000)
            #expect(record.takeovers == 1)
            #expect(record.attempts == 1, "the earlier attempt stays counted: it may have taken effect")
            #expect(record.state == .inProgress)
            #expect(record.createdAt == claimed.record.createdAt)
            #expect(record.fence == 2)
            #expect(outcome.lease == Lease(key: key, token: 2))
        }
    }

    @Test("a claim with another fingerprint is a conflict in every state", arguments: StoreBackend.allCases)
    func otherFingerprintConflicts(backend: StoreBackend) async throws {
        try await backend.withStore { store, clock in
            let key = uniqueKey()
            let lease = try #require(
                try await store.claim(claimRequest(key, fingerprint: "fp-a", owner: "worker-1", lease: .seconds(30))).lease)

            let live = try await store.claim(claimRequest(key, fingerprint: "fp-b", owner: "worker-2"))
            clock.advance(by: .seconds(3600))
            let expired = try await store.claim(claimRequest(key, fingerprint: "fp-b", owner: "worker-2"))
            #expect(try await store.complete(lease, outcome: sampleOutcome))
            let final = try await store.claim(claimRequest(key, fingerprint: "fp-b", owner: "worker-2"))
            // Another fingerprint never reopens a retryable failure either.
            let other = uniqueKey()
            let otherLease = try #require(try await store.claim(claimRequest(other, fingerprint: "fp-a")).lease)
            #expect(try await store.complete(otherLease, outcome: retryableFailure))
            let reopenable = try await store.claim(
                claimRequest(other, fingerprint: "fp-b", owner: "worker-2", source: "coupon.commands/1/7"))

            for (state, outcome) in [
                ("live lease", live), ("expired lease", expired), ("final", final), ("reopenable failure", reopenable),
            ] {
                guard case .conflict(let record) = outcome else {
                    Issue.record("expected .conflict under a \(state), got \(outcome)")
                    continue
                }
                #expect(outcome.lease == nil)
                #expect(record.fingerprint == CommandFingerprint(hex: "fp-a"), "the stored command is kept")
                #expect(record.leaseOwner == "worker-1")
                #expect(record.takeovers == 0, "a conflicting claim never takes over")
                #expect(record.fence == 1, "a conflicting claim is granted nothing")
            }
        }
    }

    @Test("the same out_request_no under another provider or merchant is another key", arguments: StoreBackend.allCases)
    func keyIncludesProviderAndMerchant(backend: StoreBackend) async throws {
        try await backend.withStore { store, _ in
            let key = uniqueKey(provider: .wechat, merchant: "m1")
            var otherMerchant = key
            otherMerchant.merchant = "m2"
            var otherProvider = key
            otherProvider.provider = .zvcms
            for k in [key, otherMerchant, otherProvider] {
                let outcome = try await store.claim(claimRequest(k, fingerprint: "fp-\(k.merchant)-\(k.provider)"))
                guard case .claimed = outcome else {
                    Issue.record("expected .claimed for \(k), got \(outcome)")
                    continue
                }
            }
        }
    }

    @Test("texts are stored exactly: an empty one, one beyond ASCII, and a long one", arguments: StoreBackend.allCases)
    func textsRoundTrip(backend: StoreBackend) async throws {
        try await backend.withStore { store, _ in
            for merchant in ["", "商户-ü-\u{1F600}", String(repeating: "m", count: 100)] {
                let key = uniqueKey(provider: .zvcms, merchant: merchant)
                let claim = try await store.claim(claimRequest(key, owner: "worker-\(merchant)"))
                #expect(claim.lease != nil)
                let record = try #require(try await store.record(for: key))
                #expect(record.key == key)
                #expect(record.leaseOwner == "worker-\(merchant)")
            }
        }
    }
}
