import CouponModel
import CouponWorker
import Foundation
import TestSupport
import Testing

@Suite("Instances in one group", .serialized, .timeLimit(.minutes(3)))
struct GroupTests {
    @Test("offsets are committed after results, so the next instance resumes after them without replays")
    func nextInstanceResumesAfterCommittedOffsets() async throws {
        let harness = try await WorkerHarness.start()
        let first = try harness.makeWorker(owner: "first")
        let firstRun = Task { try await first.run() }
        for i in 0..<6 { try await harness.send(WorkerHarness.zvcmsIssue("ORD-O-\(i)"), key: "ORD-O-\(i)") }
        try await harness.downstream.wait(results: 6)
        firstRun.cancel()  // a clean stop: drain, commit, close
        _ = await firstRun.result

        let second = try harness.makeWorker(owner: "second")
        let secondRun = Task { try await second.run() }
        for i in 6..<9 { try await harness.send(WorkerHarness.zvcmsIssue("ORD-O-\(i)"), key: "ORD-O-\(i)") }
        try await harness.downstream.wait(results: 9)
        let results = harness.downstream.results
        #expect(results.count == 9)
        #expect(results.allSatisfy { !$0.replayed && $0.status == .succeeded })
        #expect(Set(results.map(\.outRequestNo)).count == 9)
        secondRun.cancel()
        _ = await secondRun.result
        await harness.shutdown()
    }

    @Test("a second instance joining takes over partitions; every command takes effect once")
    func secondInstanceSharesTheWork() async throws {
        let harness = try await WorkerHarness.start(partitions: 4)
        let first = try harness.makeWorker(owner: "first")
        let firstRun = Task { try await first.run() }
        for i in 0..<20 { try await harness.send(WorkerHarness.wechatIssue("ORD-G-\(i)"), key: "ORD-G-\(i)") }
        try await harness.downstream.wait(results: 20)

        // The commands below are sent only once the second instance holds partitions: sent
        // earlier, the first instance could process them all before the second joins.
        let secondLogs = LogRecorder()
        let second = try harness.makeWorker(owner: "second", logger: secondLogs.logger(label: "second"))
        let secondRun = Task { try await second.run() }
        try await expectEvent("the second instance's assignment") {
            // The worker's own line (it has a generation), logged once flow control has the
            // partitions; the Kafka layer logs the same words before it assigns them.
            _ = try await secondLogs.first { $0.message == "partitions assigned" && $0.metadata["generation"] != nil }
        }
        #expect(second.status.assignedPartitions > 0, "the second instance was assigned partitions")
        for i in 20..<60 { try await harness.send(WorkerHarness.wechatIssue("ORD-G-\(i)"), key: "ORD-G-\(i)") }
        try await harness.downstream.wait(distinctResults: 60)

        // Results are at-least-once: a command redelivered by the rebalance gets its stored
        // result again (replayed). Effects are exactly once.
        let results = harness.downstream.results
        let firstResults = Dictionary(grouping: results.filter { !$0.replayed }, by: \.outRequestNo)
        #expect(firstResults.count == 60)  // every command has its own (non-replayed) result
        #expect(firstResults.values.allSatisfy { $0.count == 1 })
        #expect(results.allSatisfy { $0.status == .succeeded })
        let issuances = (0..<60).map { harness.sandboxes.issuanceCount(outRequestNo: "ORD-G-\($0)") }
        #expect(issuances.allSatisfy { $0 == 1 })
        // Both instances did work after the rebalance.
        let owners = try await Set((20..<60).asyncMap { i in
            try await harness.store.records(outRequestNo: "ORD-G-\(i)").first?.leaseOwner ?? "?"
        })
        #expect(owners == ["first", "second"])
        firstRun.cancel()
        secondRun.cancel()
        _ = await firstRun.result
        _ = await secondRun.result
        await harness.shutdown()
    }
}

extension Sequence where Element: Sendable {
    func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var out: [T] = []
        for element in self { out.append(try await transform(element)) }
        return out
    }
}
