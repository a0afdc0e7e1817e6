import CouponModel
import Foundation
import IdempotencyStore

/// Scenario 6: the idempotency store alone — claim then complete, the two writes every
/// command makes — from many tasks at once, through the `IdempotencyStore` API.
struct StoreThroughput {
    var pairs: Int
    var concurrency = 64

    /// Claim+complete pairs per second on `store` (already migrated).
    func measure(_ store: any IdempotencyStore) async throws -> Double {
        let run = UUID().uuidString.prefix(8).uppercased()
        let owner = "bench/\(run)"
        let fingerprint = CommandFingerprint(messageBytes: Array("bench".utf8))
        let pairs = self.pairs
        let concurrency = self.concurrency
        let started = ContinuousClock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            for lane in 0..<concurrency {
                group.addTask {
                    var index = lane
                    while index < pairs {
                        let outRequestNo = BenchCommands.outRequestNo(run: String(run), index: index)
                        let key = IdempotencyKey(provider: .zvcms, merchant: "sandbox-open-id", outRequestNo: outRequestNo)
                        let claim = try await store.claim(ClaimRequest(
                            key: key, fingerprint: fingerprint, owner: owner, leaseDuration: .seconds(60),
                            source: "bench/0/\(index)"))
                        guard case .claimed = claim, let lease = claim.lease else {
                            throw StoreBenchError.unexpectedClaim(key: key.description)
                        }
                        let outcome = StoredOutcome(status: .succeeded, resultEvent: Self.resultEvent(outRequestNo))
                        guard try await store.complete(lease, outcome: outcome) else {
                            throw StoreBenchError.unexpectedClaim(key: key.description)
                        }
                        index += concurrency
                    }
                }
            }
            try await group.waitForAll()
        }
        return Double(pairs) / started.duration(to: .now).seconds
    }

    /// A result event of the usual size (~450 bytes).
    private static func resultEvent(_ outRequestNo: String) -> [UInt8] {
        Array(
            #"{"attempts":1,"command":"issue","data":{"cardId":"100000001","cardIdList":["100000001"],"num":1},"error":null,"event_id":"0b7e3c1e-6f7a-5a57-9a0e-3c1f4b7d2e11","merchant":"sandbox-open-id","occurred_at":"2026-01-01T00:00:00.000Z","operation":"coupon.issue","out_request_no":"\#(outRequestNo)","provider":"zvcms","replayed":false,"source":{"offset":1,"partition":0,"topic":"coupon.commands.issue"},"status":"succeeded"}"#
                .utf8)
    }
}

/// The store answered a fresh key with something other than a won claim.
enum StoreBenchError: Error, CustomStringConvertible {
    case unexpectedClaim(key: String)

    var description: String {
        switch self {
        case .unexpectedClaim(let key): "the store did not grant a fresh claim or its completion for \(key)"
        }
    }
}
