import CouponModel
import Foundation
import IdempotencyStore
import Testing

/// Leases are granted and judged by the store's clock: the database's own clock (plus the
/// ``StoreClock`` offset, zero in production). The worker's wall clock is not an input
/// anywhere in the store API: `ClaimRequest` carries a lease *duration*, never an instant, and
/// every renewal is a duration from the store's now. So an instance whose clock runs ahead (or
/// a claimer that asks for a tiny lease) cannot expire a lease another instance holds.
@Suite("The store's clock")
struct StoreClockTests {
    @Test("a lease held through one store instance is live for another until the store's clock passes it",
          arguments: StoreBackend.allCases)
    func leaseLiveAcrossInstances(backend: StoreBackend) async throws {
        try await backend.withLocation { location in
            // Two instances on one database, each with a StoreClock of its own, both at offset 0:
            // both read the same clock, the database's.
            try await StoreBackend.withStore(at: location, clock: StoreClock()) { holderStore, _ in
                try await StoreBackend.withStore(at: location, clock: StoreClock()) { otherStore, otherClock in
                    let key = uniqueKey()
                    let claimed = try await holderStore.claim(claimRequest(key, owner: "instance-a", lease: .seconds(30)))
                    let lease = try #require(claimed.lease)
                    #expect(leaseMilliseconds(claimed.record) == 30_000)

                    // Whatever the second instance puts in its request (another owner, a 1 ms
                    // lease of its own), there is no "now" to pass: the live lease stays live.
                    for request in [
                        claimRequest(key, owner: "instance-b", lease: .seconds(30)),
                        claimRequest(key, owner: "instance-b", lease: .milliseconds(1), source: "coupon.commands/0/43"),
                    ] {
                        let outcome = try await otherStore.claim(request)
                        guard case .inProgress(let record) = outcome else {
                            Issue.record("expected .inProgress through the second instance, got \(outcome)")
                            continue
                        }
                        #expect(record.leaseOwner == "instance-a")
                        #expect(record.fence == lease.token)
                        #expect(record.takeovers == 0)
                    }
                    #expect(try await holderStore.extendLease(lease, for: .seconds(30)), "the holder still holds it")

                    // Once the store's clock has passed the lease end (here: the second
                    // instance's view of the database clock, moved on), the lease has expired.
                    otherClock.advance(by: .seconds(31))
                    let outcome = try await otherStore.claim(claimRequest(key, owner: "instance-b"))
                    guard case .takenOver(let record) = outcome else {
                        Issue.record("expected .takenOver once the store's clock passed the lease, got \(outcome)")
                        return
                    }
                    #expect(record.fence == lease.token + 1)
                    #expect(try await holderStore.extendLease(lease, for: .seconds(30)) == false)
                }
            }
        }
    }
}
