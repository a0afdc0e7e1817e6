import CouponWorker
import Kafka
import Testing

@Suite("Offsets and ordering", .timeLimit(.minutes(1)))
struct FlowTests {
    @Test("the stored offset is the end of the contiguous completed prefix, never past a running command")
    func offsetTrackerStoresOnlyTheContiguousPrefix() {
        var tracker = OffsetTracker()
        for offset: Int64 in [10, 11, 12, 15] {
            let begun = tracker.begin(offset)
            #expect(begun)
        }
        #expect(tracker.complete(11) == nil)  // 10 still running
        #expect(tracker.complete(15) == nil)
        #expect(tracker.complete(10) == 12)  // 10 and 11 done
        #expect(tracker.inFlight == 1)
        #expect(tracker.complete(12) == 16)  // gap 13–14 was never begun (compaction)
        #expect(tracker.inFlight == 0)
    }

    @Test("the fetch gate closes once at the high mark and reopens only at the low mark")
    func fetchGateHysteresis() {
        var gate = FetchGate(closeAt: 512, openAt: 128)
        // Each reading, and whether it toggled the gate: below the high mark nothing happens,
        // at it the gate closes once, between the marks it stays closed, at the low mark it opens.
        let readings = [511, 0, 512, 900, 129, 128, 0]
        var states: [Bool] = []
        let toggled = readings.map { buffered in
            defer { states.append(gate.isClosed) }
            return gate.observe(buffered: buffered)
        }
        #expect(toggled == [false, false, true, false, false, true, false])
        #expect(states == [false, false, true, true, true, false, false])
        #expect(FetchGate(maxInFlight: 64) == FetchGate(closeAt: 128, openAt: 32))
    }

    @Test("an offset delivered again after a rewind is refused, and the prefix still advances correctly")
    func offsetTrackerRefusesRedelivery() {
        var tracker = OffsetTracker()
        var begun: [Bool] = []
        begun.append(tracker.begin(5))
        begun.append(tracker.begin(6))
        begun.append(tracker.begin(5))  // running: delivered again
        #expect(tracker.complete(5) == 6)
        begun.append(tracker.begin(5))  // done: delivered again
        begun.append(tracker.begin(6))
        #expect(begun == [true, true, false, false, false])
        #expect(tracker.inFlight == 1)
        #expect(tracker.complete(6) == 7)
        begun.append(tracker.begin(7))
        #expect(begun.last == true)
    }

    @Test("completing an unknown or already completed offset changes nothing")
    func offsetTrackerIgnoresUnknownCompletions() {
        var tracker = OffsetTracker()
        _ = tracker.begin(1)
        #expect(tracker.complete(7) == nil)
        #expect(tracker.complete(1) == 2)
        #expect(tracker.complete(1) == nil)
    }

    @Test("commands with the same key run in arrival order, whatever order their tasks start in")
    func keyedSchedulerKeepsPerKeyOrder() async {
        let scheduler = KeyedScheduler()
        let turns = (0..<20).map { _ in scheduler.enqueue(key: "ORD-1") }
        let log = OrderLog()
        await withTaskGroup(of: Void.self) { group in
            for (index, turn) in turns.enumerated().reversed() {  // start them backwards
                group.addTask {
                    await scheduler.wait(for: turn)
                    await log.append(index)
                    scheduler.end(turn)
                }
            }
        }
        #expect(await log.entries == Array(0..<20))
        #expect(scheduler.activeKeys == 0)
    }

    @Test("a key's turn does not wait for other keys")
    func keyedSchedulerRunsOtherKeysConcurrently() async {
        let scheduler = KeyedScheduler()
        let blocked = scheduler.enqueue(key: "A")
        let other = scheduler.enqueue(key: "B")
        // A's turn is taken and never ended during this check; B still starts.
        await scheduler.wait(for: blocked)
        await scheduler.wait(for: other)
        scheduler.end(other)
        scheduler.end(blocked)
        #expect(scheduler.activeKeys == 0)
    }

    @Test("at capacity the next acquire is suspended until a slot is released, and the released slot goes to it")
    func inFlightLimitBlocksAtCapacity() async throws {
        let limit = InFlightLimit(capacity: 2)
        try await limit.acquire()
        try await limit.acquire()
        #expect(limit.inUse == 2)
        let log = EventLog()
        let third = Task {
            try await limit.acquire()
            log.append("third acquired")
        }
        // The explicit event: the third acquire is waiting in line, or (a limit that does not
        // block) already through.
        while limit.waiting == 0 && log.entries.isEmpty { await Task.yield() }
        #expect(log.entries.isEmpty, "the third acquire got a slot while every slot was taken")
        #expect(limit.waiting == 1)
        log.append("released")
        limit.release()
        try await third.value
        #expect(log.entries == ["released", "third acquired"], "it resumed only after the release")
        #expect(limit.inUse == 2, "the released slot went straight to the waiter")
        #expect(limit.waiting == 0)
        limit.release()
        limit.release()
        #expect(limit.inUse == 0)
    }

    @Test("a task cancelled while waiting for a full in-flight limit throws, holds no slot, and the next waiter gets the slot")
    func inFlightLimitHonoursCancellation() async throws {
        let limit = InFlightLimit(capacity: 1)
        try await limit.acquire()
        let cancelled = Task { try await limit.acquire() }
        while limit.waiting < 1 { await Task.yield() }  // it waits in line
        let next = Task { try await limit.acquire() }
        while limit.waiting < 2 { await Task.yield() }
        cancelled.cancel()
        guard let outcome = await finished(cancelled, within: .seconds(10)) else {
            Issue.record("a cancelled waiter kept waiting")
            limit.release()
            limit.release()
            return
        }
        #expect(throws: CancellationError.self) { try outcome.get() }
        #expect(limit.waiting == 1)
        limit.release()  // skips the cancelled waiter
        try await next.value
        #expect(limit.inUse == 1)
        limit.release()
        #expect(limit.inUse == 0)
        let alreadyCancelled = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            try await limit.acquire()
        }
        let early = await finished(alreadyCancelled, within: .seconds(10))
        #expect(throws: CancellationError.self) { try early?.get() }
        #expect(limit.inUse == 0, "a cancelled task gets no slot even when one is free")
    }

    @Test("a turn cancelled while it waits leaves its key's line: later turns do not wait for it, and ending it does nothing")
    func keyedSchedulerWithdrawsCancelledTurns() async {
        let scheduler = KeyedScheduler()
        let running = scheduler.enqueue(key: "K")
        let cancelled = scheduler.enqueue(key: "K")
        let later = scheduler.enqueue(key: "K")
        await scheduler.wait(for: running)
        let entered = OneShot()
        let waiter = Task {
            entered.fire()
            await scheduler.wait(for: cancelled)
            let wasCancelled = Task.isCancelled
            scheduler.end(cancelled)
            return wasCancelled
        }
        await entered.wait()
        waiter.cancel()
        guard let returned = await finished(waiter, within: .seconds(10)) else {
            Issue.record("a cancelled turn kept waiting for the running one")
            scheduler.end(running)
            return
        }
        #expect(returned.get(), "it returned because it was cancelled, while the first turn still runs")
        let log = EventLog()
        let next = Task {
            await scheduler.wait(for: later)
            log.append("later")
            scheduler.end(later)
        }
        log.append("first ends")
        scheduler.end(running)
        await next.value
        #expect(log.entries == ["first ends", "later"])
        #expect(scheduler.activeKeys == 0)
    }

    @Test("retries back off with full jitter below a doubling ceiling and stop at the attempt count or budget")
    func retryPolicyBoundsAttemptsAndTime() {
        let policy = RetryPolicy(maxAttempts: 4, budget: .seconds(10), baseDelay: .milliseconds(100), maxDelay: .milliseconds(250))
        #expect(policy.delay(afterAttempt: 1, elapsed: .zero, random: 1) == .milliseconds(100))
        #expect(policy.delay(afterAttempt: 2, elapsed: .zero, random: 1) == .milliseconds(200))
        #expect(policy.delay(afterAttempt: 3, elapsed: .zero, random: 1) == .milliseconds(250))  // capped
        #expect(policy.delay(afterAttempt: 3, elapsed: .zero, random: 0) == .zero)  // full jitter reaches 0
        #expect(policy.delay(afterAttempt: 4, elapsed: .zero, random: 1) == nil)  // attempts used up
        #expect(policy.delay(afterAttempt: 1, elapsed: .seconds(10), random: 0) == nil)  // budget used up
        #expect(policy.delay(afterAttempt: 1, elapsed: .milliseconds(9_950), random: 1) == nil)  // would end past the budget
    }

    @Test("an instance is not live once a command outlives the stuck-command limit, and not ready without partitions or store")
    func liveAndReadyRules() {
        func status(
            age: Duration?, assigned: Int = 3, storeError: String? = nil, stalled: [String] = []
        ) -> CouponWorker.Status {
            CouponWorker.Status(
                assignedPartitions: assigned, pausedPartitions: 0, inFlight: 1, storeError: storeError,
                oldestCommandAge: age, stuckCommandLimit: .seconds(300), stalledPartitions: stalled)
        }
        #expect(status(age: nil).isLive)
        #expect(!status(age: nil, stalled: ["t[0]: command at offset 4 abandoned"]).isLive)
        #expect(status(age: .seconds(299)).isLive)
        #expect(!status(age: .seconds(300)).isLive)
        #expect(status(age: nil).isReady)
        #expect(!status(age: nil, assigned: 0).isReady)
        #expect(!status(age: nil, storeError: "unreachable").isReady)
    }
}

actor OrderLog {
    var entries: [Int] = []
    func append(_ value: Int) { entries.append(value) }
}
