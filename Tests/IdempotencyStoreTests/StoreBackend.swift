import CouponModel
import Foundation
import IdempotencyStore
import Logging
import TestSupport

/// The backends the shared suite runs against: every behaviour test takes one as argument.
enum StoreBackend: String, CaseIterable, Sendable, CustomStringConvertible {
    /// A fresh file in a temporary directory of its own.
    case sqlite
    /// This test process's database on the server at `COUPON_TEST_POSTGRES_URL`.
    case postgres

    var description: String { rawValue }

    /// Runs `body` with a location (`sqlite:PATH` or `postgres://…`) for stores to share,
    /// removing what it created afterwards.
    func withLocation<T>(_ body: (String) async throws -> T) async throws -> T {
        switch self {
        case .sqlite:
            let directory = FileManager.default.temporaryDirectory
                .appendingPathComponent("idempotency-store-tests-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: directory) }
            return try await body("sqlite:" + directory.appendingPathComponent("idempotency.sqlite").path)
        case .postgres:
            return try await body(try await PostgresFixture.databaseURL())
        }
    }

    /// Runs `body` with one migrated store at a fresh location, closing it afterwards.
    func withStore<T>(_ body: (any IdempotencyStore) async throws -> T) async throws -> T {
        try await withLocation { location in
            try await Self.withStore(at: location, body)
        }
    }

    /// Runs `body` with a migrated store at `location`, closing it afterwards.
    static func withStore<T>(at location: String, _ body: (any IdempotencyStore) async throws -> T) async throws -> T {
        let store = try await IdempotencyStoreFactory.open(location, logger: testLogger)
        do {
            let result = try await body(store)
            await store.close()
            return result
        } catch {
            await store.close()
            throw error
        }
    }
}

let testLogger = Logger(label: "IdempotencyStoreTests")

/// Fixed instants (whole milliseconds, as stored) so tests move clocks without waiting.
enum Instant {
    /// A "now" far from the wall clock, after anything `purge` tests delete.
    static let t0 = Date(timeIntervalSince1970: 1_900_000_000)

    static func t0(plus seconds: Double) -> Date { t0.addingTimeInterval(seconds) }
}

/// A date as the whole milliseconds it is stored as: `t0 + 60.001` is not exactly
/// representable as a Double, so fractional instants are compared at storage precision.
func milliseconds(_ date: Date) -> Int64 {
    Int64((date.timeIntervalSince1970 * 1000).rounded())
}

/// A key no other test (or run) uses.
func uniqueKey(
    provider: ProviderName = .wechat, merchant: String = "1900000001", prefix: String = "ORD"
) -> IdempotencyKey {
    IdempotencyKey(provider: provider, merchant: merchant, outRequestNo: "\(prefix)-\(UUID().uuidString)")
}

func claimRequest(
    _ key: IdempotencyKey, fingerprint: String = "fp-a", owner: String = "worker-1",
    lease: Duration = .seconds(30), now: Date = Instant.t0
) -> ClaimRequest {
    ClaimRequest(key: key, fingerprint: CommandFingerprint(hex: fingerprint), owner: owner, leaseDuration: lease, now: now)
}

let sampleOutcome = StoredOutcome(status: .succeeded, resultEvent: Array(#"{"status":"succeeded","data":{"coupon_code":"C1"}}"#.utf8))
