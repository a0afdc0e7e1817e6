import TestSupport
import Testing
import CouponModel

@Suite("TokenBucket")
struct TokenBucketTests {
    @Test("a full bucket grants its burst at once, then refuses until time refills it")
    func burstThenRefill() {
        let clock = ManualClock()
        let bucket = TokenBucket(ratePerSecond: 10, burst: 3, clock: clock)
        #expect(bucket.tryAcquire())
        #expect(bucket.tryAcquire())
        #expect(bucket.tryAcquire())
        #expect(!bucket.tryAcquire())
        clock.advance(by: .milliseconds(99))
        #expect(!bucket.tryAcquire())
        clock.advance(by: .milliseconds(1))
        #expect(bucket.tryAcquire())
        #expect(!bucket.tryAcquire())
    }

    @Test("an idle bucket refills only up to its burst")
    func refillIsCapped() {
        let clock = ManualClock()
        let bucket = TokenBucket(ratePerSecond: 10, burst: 2, clock: clock)
        clock.advance(by: .seconds(60))
        #expect(bucket.tryAcquire())
        #expect(bucket.tryAcquire())
        #expect(!bucket.tryAcquire())
    }

    @Test("acquire waits until the next token is due and returns exactly then")
    func acquireWaitsForToken() async throws {
        let clock = ManualClock()
        let bucket = TokenBucket(ratePerSecond: 10, burst: 1, clock: clock)
        try await bucket.acquire()  // the burst: no wait
        let waiter = Task { try await bucket.acquire() }
        await clock.waitForSleepers(count: 1)
        clock.advance(by: .milliseconds(99))
        #expect(clock.sleeperCount == 1)
        clock.advance(by: .milliseconds(1))
        try await waiter.value
        #expect(clock.sleeperCount == 0)
    }

    @Test("waiters are served one token interval apart, in the order they asked")
    func waitersArePaced() async throws {
        let clock = ManualClock()
        let bucket = TokenBucket(ratePerSecond: 10, burst: 1, clock: clock)
        #expect(bucket.tryAcquire())
        let first = Task { try await bucket.acquire() }
        await clock.waitForSleepers(count: 1)
        let second = Task { try await bucket.acquire() }
        await clock.waitForSleepers(count: 2)
        clock.advance(by: .milliseconds(100))
        try await first.value
        #expect(clock.sleeperCount == 1)
        clock.advance(by: .milliseconds(100))
        try await second.value
        #expect(clock.sleeperCount == 0)
        #expect(!bucket.tryAcquire())
    }

    @Test("a cancelled waiter throws CancellationError and gives its reservation back")
    func cancelledWaiterReturnsToken() async throws {
        let clock = ManualClock()
        let bucket = TokenBucket(ratePerSecond: 10, burst: 1, clock: clock)
        #expect(bucket.tryAcquire())
        let waiter = Task { try await bucket.acquire() }
        await clock.waitForSleepers(count: 1)
        waiter.cancel()
        await #expect(throws: CancellationError.self) { try await waiter.value }
        clock.advance(by: .milliseconds(100))
        #expect(bucket.tryAcquire())
    }
}
