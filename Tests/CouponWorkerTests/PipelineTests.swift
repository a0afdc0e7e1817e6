import CouponModel
import CouponSandbox
import CouponWorker
import Foundation
import IdempotencyStore
import Kafka
import TestSupport
import Testing

/// Runs `body` with a harness and one running worker, then stops both.
func withPipeline(
    forgetDuplicates: Bool = true, providerTimeout: Duration = .seconds(5),
    settleClock: any Clock<Duration> = ContinuousClock(),
    _ body: (WorkerHarness, CouponWorker) async throws -> Void
) async throws {
    let harness = try await WorkerHarness.start(forgetDuplicates: forgetDuplicates)
    let worker = try harness.makeWorker(providerTimeout: providerTimeout, settleClock: settleClock)
    let running = Task { try await worker.run() }
    do {
        try await body(harness, worker)
    } catch {
        running.cancel()
        _ = await running.result
        await harness.shutdown()
        throw error
    }
    running.cancel()
    _ = await running.result
    await harness.shutdown()
}

extension KafkaConsumerMessage {
    func headerString(_ name: String) -> String? { header(named: name).map { String(decoding: $0, as: UTF8.self) } }
}

extension WorkerHarness {
    /// Issues `WorkerHarness.wechatIssue(outRequestNo)` at the WeChat sandbox outside the worker,
    /// with the worker's own client: a worker that died after sending, a request that landed
    /// late, a server that failed after issuing. Returns the command, its route and the answer.
    func issueOutsideTheWorker(
        _ outRequestNo: String
    ) async throws -> (command: CouponCommand, route: ProviderDirectory.Route, issued: JSONValue) {
        let command = try CommandDecoder.decode(Array(WorkerHarness.wechatIssue(outRequestNo).utf8), topicKind: .issue).get()
        let route = try #require(try providers().route(provider: .wechat, merchant: nil))
        return (command, route, try await route.client.execute(command))
    }
}

@Suite("Pipeline", .serialized, .timeLimit(.minutes(3)))
struct PipelineTests {
    @Test("a saturated worker reads only its intake limit ahead and never pauses its assignment")
    func saturatedWorkerNeverPauses() async throws {
        // Four slots, a backlog of 200 at once: the pipeline is full from the first record
        // to the last. The poll thread stops at 4 records ahead and leaves the rest in
        // librdkafka's prefetch, so the fetch gate (closing at 8) never has a reason to
        // close, and nothing is paused. Its wait for room is set longer than the test may run,
        // so only reading lets it go on and the bound is exact. Without the intake limit the
        // consumer's buffer takes the whole backlog and the gate pauses everything.
        let harness = try await WorkerHarness.start(partitions: 6)
        let recorder = LogRecorder()
        let count = 200
        for index in 0..<count {
            try await harness.send(WorkerHarness.zvcmsIssue("ORD-S-\(index)"), key: "ORD-S-\(index)")
        }
        let worker = try harness.makeWorker(
            maxInFlight: 4, intakeWaitMilliseconds: 600_000, logger: recorder.logger(label: "saturated"))
        let running = Task { try await worker.run() }
        try await harness.downstream.wait(results: count)
        #expect(harness.downstream.results.allSatisfy { $0.status == .succeeded })
        #expect(recorder.records.filter { $0.message == "fetching paused" }.isEmpty)
        running.cancel()
        _ = await running.result
        await harness.shutdown()
    }

    @Test("a backlog through a tiny pipeline pauses full partitions, and every command completes")
    func backlogThroughTinyPipeline() async throws {
        // Two slots and one command per partition: every partition is paused as full on each
        // command. The second half arrives while the worker runs and waits on the broker
        // behind those pauses: a partition whose resume was lost would hold it forever.
        let harness = try await WorkerHarness.start(partitions: 6)
        harness.sandboxes.zvcms.faults.latency = .milliseconds(20)
        let count = 120
        func send(_ range: Range<Int>) async throws {
            for index in range {
                let key = "ORD-B-\(index)"
                try await harness.send(WorkerHarness.zvcmsIssue(key), key: key)
            }
        }
        try await send(0..<(count / 2))
        let worker = try harness.makeWorker(maxInFlight: 2, partitionBufferLimit: 1)
        let running = Task { try await worker.run() }
        try await send((count / 2)..<count)
        try await harness.downstream.wait(results: count)
        #expect(Set(harness.downstream.results.map(\.outRequestNo)).count == count)
        #expect(harness.downstream.results.allSatisfy { $0.status == .succeeded })
        running.cancel()
        _ = await running.result
        await harness.shutdown()
    }

    @Test("a WeChat issue succeeds and its result carries CloudEvents headers and the incoming traceparent")
    func wechatIssueSucceeds() async throws {
        try await withPipeline { harness, _ in
            let trace = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
            try await harness.send(
                WorkerHarness.wechatIssue("ORD-W-1"), key: "ORD-W-1",
                headers: [KafkaHeader(key: "traceparent", string: trace)])
            try await harness.downstream.wait(results: 1)
            let result = try #require(harness.downstream.results.first)
            #expect(result.status == .succeeded)
            #expect(result.outRequestNo == "ORD-W-1")
            #expect(result.data?["coupon_code"]?.stringValue != nil)
            #expect(result.attempts == 1)
            #expect(result.replayed == false)
            let message = try #require(harness.downstream.resultMessages.first)
            #expect(message.key.map { String(decoding: $0, as: UTF8.self) } == "ORD-W-1")
            #expect(message.headerString("traceparent") == trace)
            #expect(message.headerString("ce_id") == result.eventId)
            #expect(message.headerString("ce_specversion") == "1.0")
            #expect(message.headerString("content-type") == "application/json")
            #expect(harness.sandboxes.issuanceCount(outRequestNo: "ORD-W-1") == 1)
        }
    }

    @Test("a duplicate command gets the stored result again, replayed with the same event id, and issues nothing")
    func duplicateIsReplayed() async throws {
        try await withPipeline { harness, _ in
            for _ in 0..<3 { try await harness.send(WorkerHarness.zvcmsIssue("ORD-Z-DUP"), key: "ORD-Z-DUP") }
            try await harness.downstream.wait(results: 3)
            let results = harness.downstream.results
            #expect(results.filter { !$0.replayed }.count == 1)
            #expect(results.filter(\.replayed).count == 2)
            #expect(Set(results.map(\.eventId)).count == 1)
            #expect(results.allSatisfy { $0.status == .succeeded })
            #expect(harness.sandboxes.issuanceCount(outRequestNo: "ORD-Z-DUP") == 1)
        }
    }

    @Test("reusing an out_request_no with other content is rejected as a conflict, dead-lettered, and calls no provider")
    func conflictIsRejected() async throws {
        try await withPipeline { harness, _ in
            try await harness.send(WorkerHarness.wechatIssue("ORD-C-1", openid: "oFirstUser0000000000000001"), key: "ORD-C-1")
            try await harness.send(WorkerHarness.wechatIssue("ORD-C-1", openid: "oOtherUser0000000000000002"), key: "ORD-C-1")
            try await harness.downstream.wait(results: 2, deadLetters: 1)
            let conflict = try #require(harness.downstream.results.first { $0.status == .rejected })
            #expect(conflict.error?.code == .idempotencyConflict)
            let dead = try #require(harness.downstream.deadLetters.first)
            #expect(dead.headerString("x-coupon-error-code") == "IDEMPOTENCY_CONFLICT")
            #expect(harness.sandboxes.wechat.coupons.filter { $0.sendRequestNo == "ORD-C-1" }.count == 1)
        }
    }

    @Test("bad input is rejected and dead-lettered with the original bytes, and the worker keeps going")
    func badInputIsDeadLettered() async throws {
        try await withPipeline { harness, _ in
            let deep = String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000)
            let hostile: [(key: String?, bytes: [UInt8])] = [
                ("BAD-1", Array("{not json".utf8)),
                ("BAD-2", [0xFF, 0xFE, 0x00, 0x7B]),
                ("BAD-3", Array(deep.utf8)),
                (nil, Array(#"{"out_request_no":"BAD-4","provider":"wechat","operation":"product_coupon.send","params":{"openid":"../x","appid":"wx1","stock_id":"1","coupon_type":"NORMAL"}}"#.utf8)),
                ("BAD-5", Array(#"{"out_request_no":"BAD-5","provider":"alipay","operation":"x","params":{}}"#.utf8)),
                ("BAD-6", Array(#"{"out_request_no":"BAD-6","provider":"wechat","operation":"product_coupon.send","params":{"openid":"\#(String(repeating: "a", count: 900_000))"}}"#.utf8)),
                ("BAD-7", Array(#"{"out_request_no":"BAD-7","provider":"wechat","operation":"product_coupon.send","merchant":"999","params":{"openid":"oUpF8uMuAJO_M2pxb1Q9zNjWeS6o","appid":"wx1234567890abcdef","stock_id":"1212000001","coupon_type":"NORMAL"}}"#.utf8)),
            ]
            for item in hostile { try await harness.send(bytes: item.bytes, key: item.key) }
            try await harness.send(WorkerHarness.wechatIssue("GOOD-1"), key: "GOOD-1")
            // Every bad message gets its rejected result: under the out_request_no it carries
            // (BAD-4 has no record key), or under its record's key when none can be read from it.
            try await harness.downstream.wait(results: hostile.count + 1, deadLetters: hostile.count)
            let results = harness.downstream.results
            #expect(results.filter { $0.status == .rejected }.map(\.outRequestNo).sorted() == (1...7).map { "BAD-\($0)" })
            #expect(results.first { $0.outRequestNo == "BAD-1" }?.error?.message.contains("not JSON") == true)
            #expect(results.first { $0.outRequestNo == "GOOD-1" }?.status == .succeeded)
            let dead = harness.downstream.deadLetters
            #expect(dead.count == hostile.count)
            #expect(dead.allSatisfy { $0.headerString("x-coupon-error-code") == "INVALID_COMMAND" })
            #expect(dead.allSatisfy { $0.headerString("x-coupon-error-source-topic") == harness.topics.issue })
            #expect(Set(dead.map(\.value)) == Set(hostile.map(\.bytes)))
            #expect(results.first { $0.outRequestNo == "BAD-7" }?.error?.message.contains("merchant") == true)
        }
    }

    @Test("a bad message too large to dead-letter with its headers keeps its largest prefix that fits, and says so")
    func oversizedDeadLetterIsTruncatedNotStuck() async throws {
        try await withPipeline { harness, _ in
            // Just under the broker's 1 MB limit on its own; over it with the x-coupon-error-* headers.
            let original = [UInt8](repeating: UInt8(ascii: "x"), count: 999_800)
            try await harness.send(bytes: original, key: "BIG-1")
            try await harness.send(WorkerHarness.wechatIssue("AFTER-BIG-1"), key: "AFTER-BIG-1")
            try await harness.downstream.wait(results: 2, deadLetters: 1)
            let dead = try #require(harness.downstream.deadLetters.first)
            #expect(dead.headerString("x-coupon-error-value-truncated") == "999800")
            #expect(dead.value.count < original.count)
            #expect(dead.value == Array(original.prefix(dead.value.count)))
            // The record after it is not held up; the big one is rejected under its record key.
            let statuses = Dictionary(uniqueKeysWithValues: harness.downstream.results.map { ($0.outRequestNo, $0.status) })
            #expect(statuses == ["BIG-1": .rejected, "AFTER-BIG-1": .succeeded])
        }
    }

    @Test("a retryable failure is called again with the same out_request_no until it succeeds")
    func retryableFailuresAreRetried() async throws {
        try await withPipeline { harness, _ in
            harness.sandboxes.wechat.faults.inject(.httpStatus(503), times: 2, pathContains: "product-coupons/send")
            try await harness.send(WorkerHarness.wechatIssue("ORD-R-1"), key: "ORD-R-1")
            try await harness.downstream.wait(results: 1)
            let result = try #require(harness.downstream.results.first)
            #expect(result.status == .succeeded)
            #expect(result.attempts == 3)
            #expect(harness.sandboxes.issuanceCount(outRequestNo: "ORD-R-1") == 1)
        }
    }

    @Test("a WeChat issue that lands after the worker stopped waiting is found by the check after the settle, not sent again")
    func lateLandingIssueIsFoundNotResent() async throws {
        // The sandbox forgets duplicates, so a second send would issue a second coupon. Every
        // step is an explicit event, none a time: the send is lost without an answer (ambiguous,
        // nothing issued); the first check's "not found" waits at the gate while the request
        // lands; the settle ends when the test moves the settle clock.
        let settleClock = ManualClock()
        let settle: Duration = .seconds(5)  // the provider timeout, as in production
        try await withPipeline(providerTimeout: settle, settleClock: settleClock) { harness, _ in
            let faults = harness.sandboxes.wechat.faults
            faults.inject(.connectionReset, pathContains: "product-coupons/send")
            faults.gate.close(pathContains: "busifavor/users/")  // the coupon list that reconciliation reads
            try await harness.send(WorkerHarness.wechatIssue("ORD-LATE-1"), key: "ORD-LATE-1")

            try await expectEvent("the first reconciliation after the lost send") { await faults.gate.waitUntilHolding(1) }
            #expect(harness.sandboxes.issuanceCount(outRequestNo: "ORD-LATE-1") == 0, "the lost send issued nothing")
            // The request lands now: after the first check was answered "not found".
            _ = try await harness.issueOutsideTheWorker("ORD-LATE-1")
            faults.gate.open()

            try await expectEvent("the settle after \"not found\"") { await settleClock.sleeps(1) }
            #expect(settleClock.pendingSleeps == [settle], "the settle is as long as the provider timeout")
            settleClock.advance(by: settle)

            try await harness.downstream.wait(results: 1)
            let result = try #require(harness.downstream.results.first)
            #expect(result.status == .succeeded)
            #expect(result.attempts == 1, "found by the check after the settle: never sent again")
            #expect(harness.sandboxes.issuanceCount(outRequestNo: "ORD-LATE-1") == 1)
        }
    }

    @Test("a WeChat issue answered 500 after the server had issued is found by one look at the list, not sent a second time")
    func serverErrorAfterIssuingIsFoundNotResent() async throws {
        // The sandbox forgets duplicates, so a second send would issue a second coupon. A server
        // that failed after issuing: the coupon is issued under the out_request_no (by the test,
        // with the worker's own client), and the worker's send is answered 500.
        try await withPipeline { harness, _ in
            let issued = try await harness.issueOutsideTheWorker("ORD-5XX-1").issued
            harness.sandboxes.wechat.faults.inject(.httpStatus(500), times: 1, pathContains: "product-coupons/send")
            try await harness.send(WorkerHarness.wechatIssue("ORD-5XX-1"), key: "ORD-5XX-1")
            try await harness.downstream.wait(results: 1)
            let result = try #require(harness.downstream.results.first)
            #expect(result.status == .succeeded)
            #expect(result.data?["coupon_code"] == issued["coupon_code"])
            #expect(result.attempts == 1, "found by the look after the 500: never sent again")
            #expect(harness.sandboxes.issuanceCount(outRequestNo: "ORD-5XX-1") == 1)
        }
    }

    @Test("a WeChat issue whose 2xx failed verification and that the list never shows ends unknown and dead-lettered, never failed or re-sent")
    func processedButUnlistedIssueIsUnknown() async throws {
        let settleClock = ManualClock()
        try await withPipeline(settleClock: settleClock) { harness, _ in
            let faults = harness.sandboxes.wechat.faults
            faults.inject(.wrongSignature, pathContains: "product-coupons/send")  // processed, answered 2xx
            faults.gate.close(pathContains: "product-coupons/send")  // the answer waits until the coupon is hidden
            try await harness.send(WorkerHarness.wechatIssue("ORD-UNL-1"), key: "ORD-UNL-1")

            try await expectEvent("the send, processed") { await faults.gate.waitUntilHolding(1) }
            let coupon = try #require(harness.sandboxes.wechat.coupons.first { $0.sendRequestNo == "ORD-UNL-1" })
            #expect(harness.sandboxes.wechat.setListed(false, couponCode: coupon.couponCode))
            faults.gate.open()
            try await expectEvent("the settle after \"not found\"") { await settleClock.sleeps(1) }
            settleClock.advance(by: settleClock.pendingSleeps[0])

            try await harness.downstream.wait(results: 1, deadLetters: 1)
            let result = try #require(harness.downstream.results.first)
            #expect(result.status == .unknown)
            #expect(result.error?.code == .outcomeUnknown)
            #expect(result.error?.providerCode == "SIGNATURE_INVALID")
            #expect(harness.downstream.deadLetters.first?.headerString("x-coupon-error-code") == "OUTCOME_UNKNOWN")
            #expect(harness.sandboxes.issuanceCount(outRequestNo: "ORD-UNL-1") == 1, "never sent again")
        }
    }

    @Test("a producer that failed for good stops the worker with the cause; the command it could not publish is not lost: the next worker replays it")
    func fatalProducerStopsTheWorker() async throws {
        try await WorkerHarness.run { harness in
            let producer = try harness.kafka.makeProducer()
            let worker = try harness.makeWorker(producer: producer)
            let running = Task { try await worker.run() }
            try await harness.send(WorkerHarness.zvcmsIssue("ORD-FATAL-0"), key: "ORD-FATAL-0")
            try await harness.downstream.wait(results: 1)

            try producer.raiseFatalErrorForTesting(code: .outOfOrderSequenceNumber, reason: "sequence desynchronised")
            try await harness.send(WorkerHarness.zvcmsIssue("ORD-FATAL-1"), key: "ORD-FATAL-1")
            // Nobody stops it: the worker ends by itself (past the suite's time limit, the
            // test's cancellation stops it, and it ends as if asked to: a failure below).
            let ended = await withTaskCancellationHandler { await running.result } onCancel: { running.cancel() }
            switch ended {
            case .success:
                Issue.record("the worker ended as if asked to stop")
            case .failure(let error):
                let cause = (error as? CouponWorker.KafkaClientFailure)?.cause
                guard case .fatal(let client, let code, _) = cause else {
                    Issue.record("expected a fatal Kafka error, got \(error)")
                    break
                }
                #expect(client == "producer")
                #expect(code == .outOfOrderSequenceNumber)
            }
            await producer.shutdown(timeout: .seconds(5))
            #expect(harness.sandboxes.issuanceCount(outRequestNo: "ORD-FATAL-1") == 1, "its outcome was stored before the publish failed")

            // Its offset was not committed: the next worker gets it again and replays the stored outcome.
            let next = try harness.makeWorker()
            let nextRunning = Task { try await next.run() }
            try await harness.downstream.wait(results: 2)
            let replayed = try #require(harness.downstream.results.last)
            #expect(replayed.outRequestNo == "ORD-FATAL-1")
            #expect(replayed.status == .succeeded)
            #expect(replayed.replayed == true)
            #expect(harness.sandboxes.issuanceCount(outRequestNo: "ORD-FATAL-1") == 1)
            nextRunning.cancel()
            _ = await nextRunning.result
        }
    }

    @Test("a shutdown past the revoke grace while the results topic is down ends at once instead of waiting for the broker; the next worker replays the stored outcome")
    func shutdownDuringResultsOutageEnds() async throws {
        try await WorkerHarness.run(partitions: 1) { harness in
            // Only the results topic lives on broker 3; commands, dead letters and the group stay up.
            for topic in [harness.topics.issue, harness.topics.query, harness.topics.deadLetters] {
                try harness.kafka.cluster.setPartitionLeader(topic: topic, partition: 0, brokerID: 1)
            }
            try harness.kafka.cluster.setPartitionLeader(topic: harness.topics.results, partition: 0, brokerID: 3)
            let producer = try harness.kafka.makeProducer()
            let worker = try harness.makeWorker(
                providerTimeout: .seconds(30), leaseDuration: .seconds(90), revokeGrace: .zero, producer: producer)
            let running = Task { try await worker.run() }
            let key = "ORD-OUTAGE-1"
            let gate = harness.sandboxes.faults(.zvcms).gate
            gate.close(pathContains: "issueCouponsToCustomer")
            try await harness.send(WorkerHarness.zvcmsIssue(key), key: key)
            await gate.waitUntilHolding(1)
            try harness.kafka.cluster.setBrokerDown(3)

            // Stop with a grace of zero while the request is at zvcms: its answer is awaited
            // and stored, and its result can only wait for a broker that is down.
            running.cancel()
            gate.open()
            // Read cancellation-aware: waiting for the delivery would outlast the time limit.
            let (stopped, stop) = AsyncStream<Void>.makeStream()
            Task {
                _ = await running.result
                stop.yield()
            }
            var stops = stopped.makeAsyncIterator()
            try #require(await stops.next() != nil, "the worker did not stop before the time limit")
            let record = try #require(try await harness.store.record(for: ExactlyOnceTests.storeKey(.zvcms, key)))
            #expect(record.state == .final)
            #expect(record.resultStatus == .succeeded)

            // The broker is back: the stopped worker's record may still arrive; its offset was
            // not stored, so the next worker replays the stored outcome (the same event).
            try harness.kafka.cluster.setBrokerUp(3)
            await producer.shutdown(timeout: .seconds(60))
            let next = try harness.makeWorker()
            let nextRunning = Task { try await next.run() }
            try await harness.downstream.wait(results: 2)
            let results = harness.downstream.results
            #expect(results.allSatisfy { $0.outRequestNo == key && $0.status == .succeeded })
            #expect(Set(results.map(\.eventId)).count == 1)
            #expect(results.contains { $0.replayed })
            #expect(harness.sandboxes.issuanceCount(outRequestNo: key) == 1)
            nextRunning.cancel()
            _ = await nextRunning.result
        }
    }

    @Test("a terminal provider answer fails the command without retrying")
    func terminalFailureIsNotRetried() async throws {
        try await withPipeline { harness, _ in
            let ids = ProviderSandboxes.Identities.self
            let unknownStock = #"{"out_request_no":"ORD-T-1","provider":"wechat","operation":"product_coupon.send","params":{"openid":"oUpF8uMuAJO_M2pxb1Q9zNjWeS6o","appid":"\#(ids.appid)","stock_id":"9999999999","coupon_type":"NORMAL"}}"#
            try await harness.send(unknownStock, key: "ORD-T-1")
            try await harness.downstream.wait(results: 1)
            let result = try #require(harness.downstream.results.first)
            #expect(result.status == .failed)
            #expect(result.attempts == 1)
            #expect(result.error?.retryable == false)
            #expect(result.error?.providerCode != nil)
        }
    }

    @Test("an issue at zvcms whose answer never came ends unknown, is dead-lettered and is never sent again")
    func ambiguousZvcmsIssueIsNeverResent() async throws {
        try await withPipeline(providerTimeout: .seconds(1)) { harness, _ in
            harness.sandboxes.zvcms.faults.inject(.timeoutAfterProcessing, pathContains: "issueCouponsToCustomer")
            // The answer waits at the gate until the coupon was issued: the issuance below is a
            // fact, not a race between the sandbox and the worker's timeout.
            harness.sandboxes.zvcms.faults.gate.close(pathContains: "issueCouponsToCustomer")
            try await harness.send(WorkerHarness.zvcmsIssue("ORD-U-1"), key: "ORD-U-1")
            await harness.sandboxes.zvcms.faults.gate.openWhenHolding(1)
            try await harness.downstream.wait(results: 1, deadLetters: 1)
            let result = try #require(harness.downstream.results.first)
            #expect(result.status == .unknown)
            #expect(result.error?.code == .outcomeUnknown)
            #expect(harness.downstream.deadLetters.first?.headerString("x-coupon-error-code") == "OUTCOME_UNKNOWN")
            #expect(harness.sandboxes.issuanceCount(outRequestNo: "ORD-U-1") == 1)
            // The same command again replays the unknown outcome; it is still not re-sent.
            try await harness.send(WorkerHarness.zvcmsIssue("ORD-U-1"), key: "ORD-U-1")
            try await harness.downstream.wait(results: 2)
            #expect(harness.downstream.results.last?.replayed == true)
            #expect(harness.sandboxes.issuanceCount(outRequestNo: "ORD-U-1") == 1)
        }
    }

    @Test("an expired lease on a WeChat issue is reconciled by send_request_no before anything is re-sent")
    func expiredLeaseIsReconciled() async throws {
        try await withPipeline { harness, _ in
            // A worker issued the coupon, then died before storing the outcome.
            let (command, route, issued) = try await harness.issueOutsideTheWorker("ORD-L-1")
            let key = IdempotencyKey(provider: .wechat, merchant: route.merchant, outRequestNo: "ORD-L-1")
            let claim = try await harness.store.claim(ClaimRequest(
                key: key, fingerprint: CommandFingerprint(command: command, merchant: route.merchant), owner: "dead-worker",
                leaseDuration: .seconds(1), source: "dead/0/0"))
            guard case .claimed = claim, let lease = claim.lease else { Issue.record("expected a fresh claim, got \(claim)"); return }
            _ = try await harness.store.recordAttempt(lease, renewingFor: .seconds(1))
            harness.storeClock.advance(by: .seconds(60))
            #expect(harness.sandboxes.issuanceCount(outRequestNo: "ORD-L-1") == 1)

            try await harness.send(WorkerHarness.wechatIssue("ORD-L-1"), key: "ORD-L-1")
            try await harness.downstream.wait(results: 1)
            let result = try #require(harness.downstream.results.first)
            #expect(result.status == .succeeded)
            #expect(result.data?["coupon_code"] == issued["coupon_code"])
            #expect(harness.sandboxes.issuanceCount(outRequestNo: "ORD-L-1") == 1)
            let record = try await harness.store.record(for: key)
            #expect(record?.takeovers == 1)
            #expect(record?.state == .final)
        }
    }

    @Test("an expired lease whose holder never reached the provider is executed, even at zvcms where nothing can be reconciled")
    func expiredLeaseWithoutAttemptsIsExecuted() async throws {
        try await withPipeline { harness, _ in
            let command = try CommandDecoder.decode(Array(WorkerHarness.zvcmsIssue("ORD-L-2").utf8), topicKind: .issue).get()
            let merchant = ProviderSandboxes.Identities.zvcmsOpenID
            let key = IdempotencyKey(provider: .zvcms, merchant: merchant, outRequestNo: "ORD-L-2")
            _ = try await harness.store.claim(ClaimRequest(
                key: key, fingerprint: CommandFingerprint(command: command, merchant: merchant), owner: "dead-worker",
                leaseDuration: .seconds(1), source: "dead/0/0"))
            harness.storeClock.advance(by: .seconds(60))

            try await harness.send(WorkerHarness.zvcmsIssue("ORD-L-2"), key: "ORD-L-2")
            try await harness.downstream.wait(results: 1)
            #expect(harness.downstream.results.first?.status == .succeeded)
            #expect(harness.sandboxes.issuanceCount(outRequestNo: "ORD-L-2") == 1)
        }
    }

    @Test("queries are answered and a repeated query replays its first answer")
    func queriesAreAnswered() async throws {
        try await withPipeline { harness, _ in
            let ids = ProviderSandboxes.Identities.self
            let query = #"{"out_request_no":"Q-1","provider":"zvcms","operation":"customer_coupons","params":{"customerId":"\#(ids.zvcmsCustomerID)"}}"#
            try await harness.send(query, key: "Q-1", to: .query)
            try await harness.send(query, key: "Q-1", to: .query)
            try await harness.downstream.wait(results: 2)
            let results = harness.downstream.results
            #expect(results.allSatisfy { $0.status == .succeeded && $0.command == .query })
            #expect(results.map(\.replayed) == [false, true])
        }
    }

    @Test("an issue command on the query topic is rejected")
    func operationMustMatchTopic() async throws {
        try await withPipeline { harness, _ in
            try await harness.send(WorkerHarness.wechatIssue("ORD-X-1"), key: "ORD-X-1", to: .query)
            try await harness.downstream.wait(results: 1, deadLetters: 1)
            #expect(harness.downstream.results.first?.status == .rejected)
            #expect(harness.sandboxes.issuanceCount(outRequestNo: "ORD-X-1") == 0)
        }
    }
}
