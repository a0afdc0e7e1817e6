import CouponModel
import Foundation
import IdempotencyStore
import Testing

@Suite("Leases, attempts and completion")
struct LeaseTests {
    @Test("extending a lease works for its holder only", arguments: StoreBackend.allCases)
    func extendLeaseOwnerOnly(backend: StoreBackend) async throws {
        try await backend.withStore { store in
            let key = uniqueKey()
            _ = try await store.claim(claimRequest(key, owner: "worker-1", lease: .seconds(30)))

            #expect(try await store.extendLease(key: key, owner: "worker-1", until: Instant.t0(plus: 120)))
            #expect(try await store.extendLease(key: key, owner: "worker-2", until: Instant.t0(plus: 999)) == false)
            #expect(try await store.extendLease(key: uniqueKey(), owner: "worker-1", until: Instant.t0(plus: 999)) == false)

            let record = try #require(try await store.record(for: key))
            #expect(record.leaseUntil == Instant.t0(plus: 120))
            // The extension is what keeps others out: at t0+60 the original lease had expired.
            guard case .inProgress = try await store.claim(claimRequest(key, owner: "worker-2", now: Instant.t0(plus: 60)))
            else {
                Issue.record("an extended lease must still be live")
                return
            }
        }
    }

    @Test("a lease holder that was taken over can no longer extend, count or complete", arguments: StoreBackend.allCases)
    func takenOverHolderLosesRights(backend: StoreBackend) async throws {
        try await backend.withStore { store in
            let key = uniqueKey()
            _ = try await store.claim(claimRequest(key, owner: "worker-1", lease: .seconds(30)))
            _ = try await store.claim(claimRequest(key, owner: "worker-2", now: Instant.t0(plus: 31)))

            #expect(try await store.extendLease(key: key, owner: "worker-1", until: Instant.t0(plus: 999)) == false)
            #expect(try await store.recordAttempt(key: key, owner: "worker-1", leaseUntil: Instant.t0(plus: 999)) == nil)
            #expect(try await store.complete(key: key, owner: "worker-1", outcome: sampleOutcome) == false)
            #expect(try await store.complete(key: key, owner: "worker-2", outcome: sampleOutcome))
        }
    }

    @Test("recording an attempt counts and renews the lease for the holder, and is refused to others",
          arguments: StoreBackend.allCases)
    func recordAttemptCounts(backend: StoreBackend) async throws {
        try await backend.withStore { store in
            let key = uniqueKey()
            _ = try await store.claim(claimRequest(key, owner: "worker-1", lease: .seconds(30)))

            #expect(try await store.recordAttempt(key: key, owner: "worker-1", leaseUntil: Instant.t0(plus: 60)) == 1)
            #expect(try await store.recordAttempt(key: key, owner: "worker-1", leaseUntil: Instant.t0(plus: 120)) == 2)
            #expect(try await store.recordAttempt(key: key, owner: "worker-2", leaseUntil: Instant.t0(plus: 999)) == nil)
            let record = try #require(try await store.record(for: key))
            #expect(record.attempts == 2)
            #expect(record.leaseUntil == Instant.t0(plus: 120))
            // The renewal keeps others out: at t0+60 the claim's own lease had long expired.
            guard case .inProgress = try await store.claim(claimRequest(key, owner: "worker-2", now: Instant.t0(plus: 60)))
            else {
                Issue.record("a lease renewed by an attempt must still be live")
                return
            }
        }
    }

    @Test("completing stores the outcome once, for the lease holder only", arguments: StoreBackend.allCases)
    func completeOwnerOnly(backend: StoreBackend) async throws {
        try await backend.withStore { store in
            let key = uniqueKey()
            _ = try await store.claim(claimRequest(key, owner: "worker-1"))
            _ = try await store.recordAttempt(key: key, owner: "worker-1", leaseUntil: Instant.t0(plus: 60))

            #expect(try await store.complete(key: key, owner: "worker-2", outcome: sampleOutcome) == false)
            #expect(try await store.record(for: key)?.state == .inProgress)

            #expect(try await store.complete(key: key, owner: "worker-1", outcome: sampleOutcome))
            let other = StoredOutcome(status: .failed, resultEvent: Array("second".utf8))
            #expect(try await store.complete(key: key, owner: "worker-1", outcome: other) == false, "already final")
            #expect(try await store.complete(key: uniqueKey(), owner: "worker-1", outcome: other) == false, "no record")

            let record = try #require(try await store.record(for: key))
            #expect(record.state == .final)
            #expect(record.resultStatus == .succeeded)
            #expect(record.resultEvent == sampleOutcome.resultEvent)
            #expect(record.leaseUntil == nil)
            #expect(record.leaseOwner == "worker-1")
            #expect(record.attempts == 1)
        }
    }

    @Test("result bytes are stored exactly, including NUL and non-UTF-8 bytes", arguments: StoreBackend.allCases)
    func resultBytesRoundTrip(backend: StoreBackend) async throws {
        try await backend.withStore { store in
            let key = uniqueKey()
            let bytes: [UInt8] = [0x00, 0xFF, 0xFE, 0x7B, 0x00, 0xC3, 0x28] + Array(repeating: 0x41, count: 70_000)
            _ = try await store.claim(claimRequest(key, owner: "worker-1"))
            #expect(try await store.complete(key: key, owner: "worker-1", outcome: StoredOutcome(status: .unknown, resultEvent: bytes)))
            let record = try #require(try await store.record(for: key))
            #expect(record.resultEvent == bytes)
            #expect(record.resultStatus == .unknown)
        }
    }
}
