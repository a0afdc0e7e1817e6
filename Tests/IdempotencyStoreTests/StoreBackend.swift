import CouponModel
import Foundation
import IdempotencyStore
import Logging
import TestSupport

/// The backends the shared suite runs against: every behaviour test takes one as argument.
///
/// Time: a store judges leases by the database's clock plus the offset of its ``StoreClock``.
/// Tests never wait for a lease to expire and never pass a time: they move the store's clock
/// (`clock.advance(by:)`), which shifts "now" for every statement of that store instance only.
/// Lease ends are checked relative to the statement that set them: `leaseUntil` minus
/// `updatedAt` of the same record (both are that statement's "now").
enum StoreBackend: String, CaseIterable, Sendable, CustomStringConvertible {
    /// A fresh file in a temporary directory of its own.
    case sqlite
    /// This test process's database on the server at `COUPON_TEST_POSTGRES_URL`.
    case postgres

    var description: String { rawValue }

    /// Runs `body` with a location (`sqlite:PATH` or `postgres://…`) for stores to share,
    /// removing what it created afterwards.
    ///
    /// The PostgreSQL location is the database every test of this process shares (tests keep
    /// apart by their keys): a test that deletes records it did not write (a purge) or builds
    /// a schema by hand uses ``withPrivateLocation(_:)`` instead.
    func withLocation<T>(_ body: (String) async throws -> T) async throws -> T {
        switch self {
        case .sqlite:
            return try await Self.withSQLiteFile(body)
        case .postgres:
            return try await body(try await PostgresFixture.databaseURL())
        }
    }

    /// Runs `body` with a location no other test uses, empty (no schema) at the start: a fresh
    /// SQLite file, or a PostgreSQL database created for this call and dropped afterwards.
    func withPrivateLocation<T>(_ body: (String) async throws -> T) async throws -> T {
        switch self {
        case .sqlite:
            return try await Self.withSQLiteFile(body)
        case .postgres:
            return try await RawDatabase.withPrivatePostgresDatabase(body)
        }
    }

    /// Runs `body` with one migrated store at a fresh location and its clock, closing it afterwards.
    func withStore<T>(_ body: (any IdempotencyStore, StoreClock) async throws -> T) async throws -> T {
        try await withLocation { location in
            try await Self.withStore(at: location, body)
        }
    }

    /// Runs `body` with a migrated store at `location` whose time is `clock`, closing it afterwards.
    static func withStore<T>(
        at location: String, clock: StoreClock = StoreClock(),
        _ body: (any IdempotencyStore, StoreClock) async throws -> T
    ) async throws -> T {
        let store = try await IdempotencyStoreFactory.open(location, clock: clock, logger: testLogger)
        do {
            let result = try await body(store, clock)
            await store.close()
            return result
        } catch {
            await store.close()
            throw error
        }
    }

    private static func withSQLiteFile<T>(_ body: (String) async throws -> T) async throws -> T {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("idempotency-store-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        return try await body("sqlite:" + directory.appendingPathComponent("idempotency.sqlite").path)
    }
}

let testLogger = Logger(label: "IdempotencyStoreTests")

/// A date as the whole milliseconds it is stored as.
func milliseconds(_ date: Date) -> Int64 {
    Int64((date.timeIntervalSince1970 * 1000).rounded())
}

/// How long the record's lease runs after the statement that last wrote the record (whose
/// "now" is `updatedAt`), in milliseconds; nil when there is no lease.
func leaseMilliseconds(_ record: IdempotencyRecord) -> Int64? {
    record.leaseUntil.map { milliseconds($0) - milliseconds(record.updatedAt) }
}

/// A key no other test (or run) uses.
func uniqueKey(
    provider: ProviderName = .wechat, merchant: String = "1900000001", prefix: String = "ORD"
) -> IdempotencyKey {
    IdempotencyKey(provider: provider, merchant: merchant, outRequestNo: "\(prefix)-\(UUID().uuidString)")
}

/// The delivery most tests claim from.
let firstDelivery = "coupon.commands/0/42"

func claimRequest(
    _ key: IdempotencyKey, fingerprint: String = "fp-a", owner: String = "worker-1",
    lease: Duration = .seconds(30), source: String = firstDelivery
) -> ClaimRequest {
    ClaimRequest(
        key: key, fingerprint: CommandFingerprint(hex: fingerprint), owner: owner, leaseDuration: lease, source: source)
}

let sampleOutcome = StoredOutcome(status: .succeeded, resultEvent: Array(#"{"status":"succeeded","data":{"coupon_code":"C1"}}"#.utf8))

/// A `failed` outcome with `retryable: true`: another delivery may execute the command again.
let retryableFailure = StoredOutcome(
    status: .failed, resultEvent: Array(#"{"status":"failed","error":{"retryable":true}}"#.utf8), reopenable: true)

/// A `failed` outcome with `retryable: false`: the key is closed.
let terminalFailure = StoredOutcome(
    status: .failed, resultEvent: Array(#"{"status":"failed","error":{"retryable":false}}"#.utf8), reopenable: false)
