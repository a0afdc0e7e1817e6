import Benchmark
import CouponModel
import Foundation
import IdempotencyStore
import Logging

// Micro-benchmarks of the functions every command goes through (#18), so that a regression in
// one of them shows in isolation rather than as a dip in `coupon-worker bench`.
//
//   swift package --package-path Benchmarks benchmark
//
// The command bytes are those `coupon-worker bench` sends
// (ProviderSandboxes.SampleCommands via BenchCommands), written out here so this package does
// not build the sandboxes.

/// A zvcms `coupon.issue`, as the bench sends it.
let zvcmsIssue = Array(
    #"{"out_request_no":"BENCH-micro-0000001","provider":"zvcms","operation":"coupon.issue","params":{"couponId":"390913441022877696","customerId":"9183933091455959041","num":1}}"#
        .utf8)

/// A WeChat merchant-coupon send with an explicit merchant, as the bench sends it.
let wechatIssue = Array(
    #"{"out_request_no":"BENCH-micro-0000001","provider":"wechat","operation":"product_coupon.send","merchant":"1900000001","params":{"openid":"oBenchUser000000000000000000","appid":"wx1234567890abcdef","stock_id":"1212000001","coupon_type":"NORMAL"}}"#
        .utf8)

/// A zvcms answer to an issue (the seed's example, ids as JSON strings).
let zvcmsAnswer = Array(
    #"{"status":"true","code":"0","message":"ok","data":[{"id":"","user_id":"383933091455959041","coupon_id":"390913441022877696","coupon":{"id":"952","number_of_user":""},"couponId":"405537296400027648"}]}"#
        .utf8)

/// The decoded zvcms command; the benchmarks below measure one step each, not the decode again.
func decodedZvcmsIssue() -> CouponCommand {
    switch CommandDecoder.decode(zvcmsIssue, topicKind: .issue) {
    case .success(let command): command
    case .failure(let rejection): fatalError("the benchmark's zvcms issue is rejected: \(rejection)")
    }
}

/// A succeeded result of the zvcms issue, the size of the ones the worker publishes.
func succeededResult(outRequestNo: String) -> ResultEvent {
    ResultEvent(
        eventId: "0f6c2a1e-5d4b-4c3a-9e8f-7a6b5c4d3e2f", outRequestNo: outRequestNo, command: .issue,
        provider: "zvcms", operation: "coupon.issue", merchant: "default", status: .succeeded,
        data: .object([
            "couponId": .string("405537296400027648"), "user_id": .string("383933091455959041"),
            "coupon_id": .string("390913441022877696"),
        ]),
        error: nil, attempts: 1, replayed: false, occurredAt: "2026-12-02T04:30:00.123Z",
        source: SourcePosition(topic: "coupon.commands.issue", partition: 3, offset: 1_234_567))
}

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .throughput, .mallocCountTotal],
        timeUnits: .nanoseconds,
        scalingFactor: .kilo,
        maxDuration: .seconds(2),
        maxIterations: 10_000)

    Benchmark("CommandDecoder zvcms issue") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(CommandDecoder.decode(zvcmsIssue, topicKind: .issue))
        }
    }

    Benchmark("CommandDecoder WeChat issue") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(CommandDecoder.decode(wechatIssue, topicKind: .issue))
        }
    }

    Benchmark("CommandFingerprint zvcms issue") { benchmark in
        let command = decodedZvcmsIssue()
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            blackHole(CommandFingerprint(command: command, merchant: "default"))
        }
    }

    Benchmark("CanonicalJSON ResultEvent.encoded") { benchmark in
        let event = succeededResult(outRequestNo: "BENCH-micro-0000001")
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            blackHole(event.encoded())
        }
    }

    Benchmark("StrictJSON.parse zvcms answer") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(try? StrictJSON.parse(zvcmsAnswer, numbersAsText: true))
        }
    }

    // A thousand claim + complete pairs per sample, one after the other (no concurrency, so
    // group commit does not help here), on a new SQLite file in a temporary directory.
    Benchmark(
        "IdempotencyStore SQLite claim+complete",
        configuration: .init(
            metrics: [.wallClock, .throughput, .mallocCountTotal], timeUnits: .microseconds, scalingFactor: .kilo,
            maxDuration: .seconds(5), maxIterations: 10)
    ) { benchmark in
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("coupon-worker-micro-\(UUID().uuidString)")
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: directory) }
            let store = try await SQLiteIdempotencyStore.open(
                path: directory.appendingPathComponent("store.sqlite").path,
                logger: Logger(label: "micro-benchmark"))
            try await store.migrate()
            let command = decodedZvcmsIssue()
            let fingerprint = CommandFingerprint(command: command, merchant: "default")
            let result = succeededResult(outRequestNo: "BENCH-micro-0000001").encoded()
            benchmark.startMeasurement()
            for index in benchmark.scaledIterations {
                let key = IdempotencyKey(provider: .zvcms, merchant: "default", outRequestNo: "BENCH-micro-\(index)")
                let claim = try await store.claim(
                    ClaimRequest(
                        key: key, fingerprint: fingerprint, owner: "micro", leaseDuration: .seconds(60),
                        source: "coupon.commands.issue/3/\(index)"))
                guard let lease = claim.lease else { fatalError("a fresh key was not claimed: \(claim)") }
                let completed = try await store.complete(
                    lease, outcome: StoredOutcome(status: .succeeded, resultEvent: result))
                precondition(completed, "the claimer's complete was refused")
            }
            benchmark.stopMeasurement()
            await store.close()
        } catch {
            benchmark.error("store round trip failed: \(error)")
        }
    }
}
