import CouponModel
import Foundation
import IdempotencyStore
import Testing

@Suite("Claims")
struct ClaimTests {
    @Test("a first claim creates an in-progress record leased to the claimer", arguments: StoreBackend.allCases)
    func firstClaimCreatesRecord(backend: StoreBackend) async throws {
        try await backend.withStore { store in
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
            #expect(record.leaseUntil == Instant.t0(plus: 30))
            #expect(record.attempts == 0)
            #expect(record.takeovers == 0)
            #expect(record.resultStatus == nil)
            #expect(record.resultEvent == nil)
            #expect(record.createdAt == Instant.t0)
            #expect(try await store.record(for: key) == record)
        }
    }

    @Test("a claim of a final record with the same fingerprint replays its stored result", arguments: StoreBackend.allCases)
    func finalRecordReplays(backend: StoreBackend) async throws {
        try await backend.withStore { store in
            let key = uniqueKey()
            _ = try await store.claim(claimRequest(key, owner: "worker-1"))
            #expect(try await store.complete(key: key, owner: "worker-1", outcome: sampleOutcome))

            let outcome = try await store.claim(claimRequest(key, owner: "worker-2", now: Instant.t0(plus: 3600)))
            guard case .alreadyFinal(let record) = outcome else {
                Issue.record("expected .alreadyFinal, got \(outcome)")
                return
            }
            #expect(record.state == .final)
            #expect(record.resultStatus == .succeeded)
            #expect(record.resultEvent == sampleOutcome.resultEvent)
            #expect(record.leaseOwner == "worker-1")
        }
    }

    @Test("a claim under a live lease reports in progress, also to the lease holder", arguments: StoreBackend.allCases)
    func liveLeaseIsInProgress(backend: StoreBackend) async throws {
        try await backend.withStore { store in
            let key = uniqueKey()
            _ = try await store.claim(claimRequest(key, owner: "worker-1", lease: .seconds(30)))

            for owner in ["worker-2", "worker-1"] {
                // At the very last millisecond of the lease it is still live.
                let outcome = try await store.claim(claimRequest(key, owner: owner, now: Instant.t0(plus: 30)))
                guard case .inProgress(let record) = outcome else {
                    Issue.record("expected .inProgress for \(owner), got \(outcome)")
                    continue
                }
                #expect(record.leaseOwner == "worker-1")
                #expect(record.takeovers == 0)
            }
        }
    }

    @Test("a claim after the lease expired takes it over and counts the takeover", arguments: StoreBackend.allCases)
    func expiredLeaseIsTakenOver(backend: StoreBackend) async throws {
        try await backend.withStore { store in
            let key = uniqueKey()
            _ = try await store.claim(claimRequest(key, owner: "worker-1", lease: .seconds(30)))
            _ = try await store.recordAttempt(key: key, owner: "worker-1", leaseUntil: Instant.t0(plus: 30))

            let outcome = try await store.claim(
                claimRequest(key, owner: "worker-2", lease: .seconds(30), now: Instant.t0(plus: 30.001)))
            guard case .takenOver(let record) = outcome else {
                Issue.record("expected .takenOver, got \(outcome)")
                return
            }
            #expect(record.leaseOwner == "worker-2")
            #expect(record.leaseUntil.map(milliseconds) == milliseconds(Instant.t0(plus: 60.001)))
            #expect(record.takeovers == 1)
            #expect(record.attempts == 1, "the earlier attempt stays counted: it may have taken effect")
            #expect(record.state == .inProgress)
            #expect(record.createdAt == Instant.t0)
        }
    }

    @Test("a claim with another fingerprint is a conflict in every state", arguments: StoreBackend.allCases)
    func otherFingerprintConflicts(backend: StoreBackend) async throws {
        try await backend.withStore { store in
            let key = uniqueKey()
            _ = try await store.claim(claimRequest(key, fingerprint: "fp-a", owner: "worker-1", lease: .seconds(30)))

            let live = try await store.claim(claimRequest(key, fingerprint: "fp-b", owner: "worker-2"))
            let expired = try await store.claim(
                claimRequest(key, fingerprint: "fp-b", owner: "worker-2", now: Instant.t0(plus: 3600)))
            #expect(try await store.complete(key: key, owner: "worker-1", outcome: sampleOutcome))
            let final = try await store.claim(claimRequest(key, fingerprint: "fp-b", owner: "worker-2"))

            for (state, outcome) in [("live lease", live), ("expired lease", expired), ("final", final)] {
                guard case .conflict(let record) = outcome else {
                    Issue.record("expected .conflict under a \(state), got \(outcome)")
                    continue
                }
                #expect(record.fingerprint == CommandFingerprint(hex: "fp-a"), "the stored command is kept")
                #expect(record.leaseOwner == "worker-1")
                #expect(record.takeovers == 0, "a conflicting claim never takes over")
            }
        }
    }

    @Test("the same out_request_no under another provider or merchant is another key", arguments: StoreBackend.allCases)
    func keyIncludesProviderAndMerchant(backend: StoreBackend) async throws {
        try await backend.withStore { store in
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
}
