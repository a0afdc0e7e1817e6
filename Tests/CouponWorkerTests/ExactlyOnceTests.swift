import CouponModel
import CouponSandbox
import CouponWorker
import Foundation
import IdempotencyStore
import Kafka
import Logging
import TestSupport
import Testing

/// The interleavings that broke "exactly once per out_request_no" (issue 13), driven on
/// purpose: answers held at the sandbox's gate until the test lets them go, the store's clock
/// moved by the test, shutdown while a request is on its way.
@Suite("Exactly once under adversarial interleavings", .serialized, .timeLimit(.minutes(3)))
struct ExactlyOnceTests {
    static let issuePaths: [ProviderName: String] = [.wechat: "product-coupons/send", .zvcms: "issueCouponsToCustomer"]

    static func issue(_ provider: ProviderName, _ outRequestNo: String) -> String {
        provider == .wechat ? WorkerHarness.wechatIssue(outRequestNo) : WorkerHarness.zvcmsIssue(outRequestNo)
    }

    @Test("two deliveries of one key in one process (a keyless duplicate): the second waits for the first, one send",
          arguments: [ProviderName.wechat, .zvcms])
    func keylessDuplicateInOneProcess(provider: ProviderName) async throws {
        let harness = try await WorkerHarness.start(partitions: 3)
        let worker = try harness.makeWorker(providerTimeout: .seconds(20), leaseDuration: .seconds(90))
        let running = Task { try await worker.run() }
        let key = "ORD-DUP-\(provider.rawValue)"
        harness.sandboxes.faults(provider).gate.close(pathContains: Self.issuePaths[provider]!)

        // Without a Kafka key the two records land wherever the partitioner puts them: two
        // deliveries of one out_request_no that the keyed scheduler does not serialise.
        try await harness.send(Self.issue(provider, key), key: nil)
        await harness.sandboxes.faults(provider).gate.waitUntilHolding(1)
        try await harness.send(Self.issue(provider, key), key: nil)
        // The second delivery finds the key in progress (a fenced lease that the first holder's
        // heartbeat keeps alive); the first holder's answer arrives only now.
        let inProgress = try await harness.store.record(for: Self.storeKey(provider, key))
        #expect(inProgress?.state == .inProgress)
        harness.sandboxes.faults(provider).gate.open()

        try await harness.downstream.wait(results: 2)
        let results = harness.downstream.results
        #expect(results.allSatisfy { $0.status == .succeeded }, "\(results.map(\.status))")
        #expect(Set(results.map(\.eventId)).count == 1, "one outcome for the key")
        #expect(results.map(\.replayed).sorted { !$0 && $1 } == [false, true])
        #expect(harness.sandboxes.issuanceCount(outRequestNo: key) == 1)
        running.cancel()
        _ = await running.result
        await harness.shutdown()
    }

    @Test("a holder whose lease was taken over (same process, same owner) is fenced: it never sends again, and only the newer holder's outcome is published")
    func staleHolderIsFenced() async throws {
        let harness = try await WorkerHarness.start(partitions: 3)
        let logs = LogRecorder()
        // Answers are held at the gate for a while: the provider timeout outlasts the hold. The
        // takeover's settle before sending again is not what this test is about (a pipeline
        // test covers it), so it is zero here.
        let worker = try harness.makeWorker(
            providerTimeout: .seconds(20), leaseDuration: .seconds(90), ambiguousSettle: .zero,
            logger: logs.logger(label: "fence"))
        let running = Task { try await worker.run() }
        let key = "ORD-FENCE-1"
        let path = Self.issuePaths[.wechat]!
        let gate = harness.sandboxes.faults(.wechat).gate
        // The first holder's first send is refused with a retryable 429, and that answer waits
        // at the gate: the holder will want to send again once it gets it.
        harness.sandboxes.wechat.faults.inject(.httpStatus(429), pathContains: path)
        gate.close(pathContains: path)
        try await harness.send(Self.issue(.wechat, key), key: nil)
        await gate.waitUntilHolding(1)
        // The first holder is cut off long enough for its lease to expire by the store's clock;
        // a second delivery (no Kafka key: another partition, same process, same owner) takes
        // the key over, finds nothing issued, and sends: its request waits at the gate too.
        harness.storeClock.advance(by: .seconds(600))
        try await harness.send(Self.issue(.wechat, key), key: nil)
        await gate.waitUntilHolding(2)
        // Now the first holder gets its 429. Its next attempt must be refused by the store
        // (a stale fencing token) before any request: a third request at the gate is the
        // double send this test exists to catch.
        gate.releaseFirst()
        enum Next: Sendable { case fenced, sentAgain }
        let (events, continuation) = AsyncStream.makeStream(of: Next.self)
        let fenced = Task {
            _ = try await logs.first { $0.message.contains("lease lost to a newer holder") }
            continuation.yield(.fenced)
        }
        let sentAgain = Task {
            await gate.waitUntilHolding(3)
            if !Task.isCancelled { continuation.yield(.sentAgain) }
        }
        var iterator = events.makeAsyncIterator()
        let next = await iterator.next()
        try #require(next == .fenced, "the stale holder sent again instead of being refused by the store")
        gate.open()
        try await fenced.value
        try await harness.downstream.wait(results: 2)
        let results = harness.downstream.results
        #expect(results.map(\.status) == [.succeeded, .succeeded])
        #expect(Set(results.map(\.eventId)).count == 1)
        #expect(harness.sandboxes.issuanceCount(outRequestNo: key) == 1)
        let record = try #require(try await harness.store.record(for: Self.storeKey(.wechat, key)))
        #expect(record.fence == 2)
        #expect(record.takeovers == 1)
        running.cancel()
        _ = await running.result
        sentAgain.cancel()
        await sentAgain.value
        await harness.shutdown()
    }

    @Test("shutdown while a zvcms issue's answer is on its way, past the revoke grace: the answer is stored and published as succeeded")
    func answerAfterShutdownIsKept() async throws {
        let harness = try await WorkerHarness.start(partitions: 3)
        let worker = try harness.makeWorker(providerTimeout: .seconds(30), leaseDuration: .seconds(90), revokeGrace: .zero)
        let running = Task { try await worker.run() }
        let key = "ORD-LATE-1"
        let gate = harness.sandboxes.faults(.zvcms).gate
        gate.close(pathContains: Self.issuePaths[.zvcms]!)
        try await harness.send(Self.issue(.zvcms, key), key: key)
        await gate.waitUntilHolding(1)
        // Shut down with a grace of zero: every running command is cancelled at once. The
        // request already reached zvcms (a card is issued), so its answer must be awaited.
        running.cancel()
        gate.open()
        _ = await running.result
        let record = try #require(try await harness.store.record(for: Self.storeKey(.zvcms, key)))
        #expect(record.state == .final)
        #expect(record.resultStatus == .succeeded)
        try await harness.downstream.wait(results: 1)
        let result = try #require(harness.downstream.results.first)
        #expect(result.status == .succeeded)
        #expect(result.data?["cardId"] != nil)
        #expect(harness.sandboxes.issuanceCount(outRequestNo: key) == 1)
        await harness.shutdown()
    }

    @Test("a command cancelled while its attempt is being counted still makes that attempt: nothing is left in doubt that was never sent, so the next holder replays succeeded instead of ending it unknown")
    func cancelledWhileCountingTheAttempt() async throws {
        let location = try await PostgresFixture.databaseURL()
        let storeClock = StoreClock()
        var logger = Logger(label: "counting")
        logger.logLevel = .notice
        let store = try await IdempotencyStoreFactory.open(location, clock: storeClock, logger: logger)
        let harness = try await WorkerHarness.start(partitions: 1, store: store)
        let database = try await PostgresSession.connect(url: location)
        let key = "ORD-COUNT-\(UInt32.random(in: 0...UInt32.max))"
        let lock = Int64.random(in: 1...Int64(Int32.max))
        let trigger = "coupon_test_hold_\(lock)"
        // The count of an attempt of this key (an UPDATE that raises `attempts`) waits for an
        // advisory lock the test holds: the statement is in the database, unanswered.
        try await database.execute("""
            CREATE OR REPLACE FUNCTION coupon_test_hold_attempt() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN PERFORM pg_advisory_xact_lock(TG_ARGV[0]::bigint); RETURN NEW; END $$
            """)
        try await database.execute("""
            CREATE TRIGGER \(trigger) BEFORE UPDATE ON idempotency_records FOR EACH ROW
            WHEN (NEW.out_request_no = '\(key)' AND NEW.attempts > OLD.attempts)
            EXECUTE FUNCTION coupon_test_hold_attempt('\(lock)')
            """)
        try await database.execute("SELECT pg_advisory_lock(\(lock))")
        func processor(_ owner: String) throws -> CommandProcessor {
            CommandProcessor(
                store: store, providers: try harness.providers(),
                settings: .init(leaseDuration: .seconds(30), owner: owner), storeHealth: StoreHealth(), metrics: WorkerMetrics(),
                logger: logger)
        }
        func delivery(_ offset: Int64) -> IncomingCommand {
            IncomingCommand(
                bytes: Array(WorkerHarness.zvcmsIssue(key).utf8), kind: .issue,
                source: SourcePosition(topic: harness.topics.issue, partition: 0, offset: offset), recordKey: nil)
        }

        let (firstHolder, firstDelivery) = (try processor("first"), delivery(0))
        let first = Task { try await firstHolder.process(firstDelivery) }
        while try await database.integer("""
            SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objid = \(lock) AND NOT granted
            """) == 0 {
            await Task.yield()
        }
        // A revoke past its grace: the cancellation reaches the command while its count waits.
        first.cancel()
        try await database.execute("SELECT pg_advisory_unlock(\(lock))")
        // The count lands either way (a statement abandoned by its caller still runs).
        while try await harness.store.record(for: Self.storeKey(.zvcms, key))?.attempts ?? 0 == 0 {
            await Task.yield()
        }
        let firstOutcome = try? await first.value
        #expect(firstOutcome?.result?.status == .succeeded, "the counted attempt was made")

        // The next holder, once the first one's lease is over by the store's clock.
        storeClock.advance(by: .seconds(31))
        let next = try await processor("next").process(delivery(1))
        #expect(next.result?.status == .succeeded)
        #expect(harness.sandboxes.issuanceCount(outRequestNo: key) == 1)
        try await database.execute("DROP TRIGGER \(trigger) ON idempotency_records")
        await database.close()
        await harness.shutdown()
    }

    @Test("the dead letter of an unknown outcome is written again with every replay")
    func unknownIsDeadLetteredOnReplay() async throws {
        try await withPipeline(providerTimeout: .seconds(1)) { harness, _ in
            let key = "ORD-UNK-1"
            harness.sandboxes.zvcms.faults.inject(.timeoutAfterProcessing, pathContains: Self.issuePaths[.zvcms]!)
            // Held at the gate until issued: the issuance counted below is not raced.
            harness.sandboxes.zvcms.faults.gate.close(pathContains: Self.issuePaths[.zvcms]!)
            try await harness.send(Self.issue(.zvcms, key), key: key)
            await harness.sandboxes.zvcms.faults.gate.openWhenHolding(1)
            try await harness.downstream.wait(results: 1, deadLetters: 1)
            try await harness.send(Self.issue(.zvcms, key), key: key)
            try await harness.downstream.wait(results: 2, deadLetters: 2)
            #expect(harness.downstream.results.map(\.status) == [.unknown, .unknown])
            #expect(harness.downstream.results.map(\.replayed) == [false, true])
            #expect(harness.downstream.deadLetters.allSatisfy { $0.headerString("x-coupon-error-code") == "OUTCOME_UNKNOWN" })
            #expect(harness.sandboxes.issuanceCount(outRequestNo: key) == 1)
        }
    }

    @Test("a retryable failure does not close the key: the same command sent again executes; its own redelivery replays the failure")
    func retryableFailureIsReopened() async throws {
        try await withPipeline { harness, _ in
            let key = "ORD-RETRY-1"
            // 429 on every attempt of the retry budget (the harness allows 4).
            harness.sandboxes.zvcms.faults.inject(.httpStatus(429), times: 4, pathContains: Self.issuePaths[.zvcms]!)
            try await harness.send(Self.issue(.zvcms, key), key: key)
            try await harness.downstream.wait(results: 1)
            let failed = try #require(harness.downstream.results.first)
            #expect(failed.status == .failed)
            #expect(failed.error?.retryable == true)
            #expect(harness.sandboxes.issuanceCount(outRequestNo: key) == 0)

            // The record that produced the failure, delivered again (a crash before its offset
            // was committed): the stored failure is replayed, nothing is sent.
            let processor = CommandProcessor(
                store: harness.store, providers: try harness.providers(), settings: .init(owner: "redelivery"),
                storeHealth: StoreHealth(), metrics: WorkerMetrics(), logger: .init(label: "test"))
            let source = try #require(failed.source)
            let redelivered = try await processor.process(IncomingCommand(
                bytes: Array(Self.issue(.zvcms, key).utf8), kind: .issue, source: source, recordKey: Array(key.utf8)))
            #expect(redelivered.result?.status == .failed)
            #expect(redelivered.result?.replayed == true)
            #expect(harness.sandboxes.issuanceCount(outRequestNo: key) == 0)

            // The provider healed; the order system sends the same command again, a new record.
            try await harness.send(Self.issue(.zvcms, key), key: key)
            try await harness.downstream.wait(results: 2)
            let second = try #require(harness.downstream.results.last)
            #expect(second.status == .succeeded)
            #expect(second.replayed == false)
            #expect(harness.sandboxes.issuanceCount(outRequestNo: key) == 1)
        }
    }

    @Test("a reopened key that fails again differently publishes a new event_id: a consumer dropping duplicates by id still learns the key closed")
    func reopenedKeyFailingDifferentlyHasNewEventID() async throws {
        try await withPipeline { harness, _ in
            let key = "ORD-REFAIL-1"
            let path = Self.issuePaths[.zvcms]!
            harness.sandboxes.zvcms.faults.inject(.httpStatus(429), times: 4, pathContains: path)  // the whole retry budget
            try await harness.send(Self.issue(.zvcms, key), key: key)
            try await harness.downstream.wait(results: 1)
            // The same command again, a new record; the provider now refuses it for good.
            harness.sandboxes.zvcms.faults.inject(.httpStatus(400), times: 1, pathContains: path)
            try await harness.send(Self.issue(.zvcms, key), key: key)
            try await harness.downstream.wait(results: 2)
            let results = harness.downstream.results
            #expect(results.map(\.status) == [.failed, .failed])
            #expect(results.map { $0.error?.retryable } == [true, false])
            #expect(results.map(\.replayed) == [false, false])
            #expect(results[0].eventId != results[1].eventId, "a different outcome is not a duplicate")
            #expect(harness.sandboxes.issuanceCount(outRequestNo: key) == 0)
        }
    }

    static func storeKey(_ provider: ProviderName, _ outRequestNo: String) -> IdempotencyKey {
        let merchant = provider == .wechat ? ProviderSandboxes.Identities.mchid : ProviderSandboxes.Identities.zvcmsOpenID
        return IdempotencyKey(provider: provider, merchant: merchant, outRequestNo: outRequestNo)
    }
}

extension ProviderSandboxes {
    func faults(_ provider: ProviderName) -> SandboxFaultInjector {
        provider == .wechat ? wechat.faults : zvcms.faults
    }
}
