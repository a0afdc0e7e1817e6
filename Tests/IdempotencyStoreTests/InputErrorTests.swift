import CouponModel
import Foundation
import IdempotencyStore
import Testing
import TestSupport

@Suite("Bad input and unreachable stores")
struct InputErrorTests {
    @Test("an over-long key is a typed error before any SQL runs", arguments: StoreBackend.allCases)
    func overLongKey(backend: StoreBackend) async throws {
        try await backend.withStore { store, _ in
            let longOutRequestNo = IdempotencyKey(provider: .wechat, merchant: "m", outRequestNo: String(repeating: "A", count: 129))
            await #expect(throws: StoreError.keyTooLong(129)) { try await store.claim(claimRequest(longOutRequestNo)) }
            await #expect(throws: StoreError.keyTooLong(129)) { try await store.record(for: longOutRequestNo) }
            await #expect(throws: StoreError.keyTooLong(129)) {
                try await store.records(outRequestNo: longOutRequestNo.outRequestNo)
            }

            // 128 characters is allowed; with a 200-byte merchant the whole key passes 256 bytes.
            let longKey = IdempotencyKey(provider: .wechat, merchant: String(repeating: "m", count: 200), outRequestNo: String(repeating: "B", count: 128))
            let keyBytes = longKey.description.utf8.count
            await #expect(throws: StoreError.keyTooLong(keyBytes)) { try await store.claim(claimRequest(longKey)) }
            let longLease = Lease(key: longKey, token: 1)
            await #expect(throws: StoreError.keyTooLong(keyBytes)) { try await store.complete(longLease, outcome: sampleOutcome) }
            await #expect(throws: StoreError.keyTooLong(keyBytes)) { try await store.extendLease(longLease, for: .seconds(30)) }
            await #expect(throws: StoreError.keyTooLong(keyBytes)) {
                try await store.recordAttempt(longLease, renewingFor: .seconds(30))
            }
            await #expect(throws: StoreError.keyTooLong(keyBytes)) { try await store.recordNoEffect(longLease) }

            let longest = IdempotencyKey(provider: .wechat, merchant: "1900000001", outRequestNo: String(repeating: "C", count: 120) + UUID().uuidString.prefix(8))
            guard case .claimed = try await store.claim(claimRequest(longest)) else {
                Issue.record("a 128-character out_request_no must be accepted")
                return
            }
        }
    }

    @Test("a NUL character in any stored text is invalid input, not a truncated value", arguments: StoreBackend.allCases)
    func nulCharacters(backend: StoreBackend) async throws {
        try await backend.withStore { store, _ in
            let key = uniqueKey()
            let nulOutRequestNo = IdempotencyKey(provider: .wechat, merchant: "m", outRequestNo: "ORD\u{0}1")
            let nulMerchant = IdempotencyKey(provider: .wechat, merchant: "m\u{0}", outRequestNo: key.outRequestNo)
            for bad in [nulOutRequestNo, nulMerchant] {
                await #expect(throws: StoreError.self) { try await store.claim(claimRequest(bad)) }
                await #expect(throws: StoreError.self) { try await store.record(for: bad) }
                let badLease = Lease(key: bad, token: 1)
                await #expect(throws: StoreError.self) { try await store.extendLease(badLease, for: .seconds(30)) }
                await #expect(throws: StoreError.self) { try await store.recordAttempt(badLease, renewingFor: .seconds(30)) }
                await #expect(throws: StoreError.self) { try await store.recordNoEffect(badLease) }
                await #expect(throws: StoreError.self) { try await store.complete(badLease, outcome: sampleOutcome) }
            }
            await #expect(throws: StoreError.self) { try await store.claim(claimRequest(key, owner: "w\u{0}")) }
            await #expect(throws: StoreError.self) { try await store.claim(claimRequest(key, fingerprint: "fp\u{0}")) }
            await #expect(throws: StoreError.self) { try await store.claim(claimRequest(key, source: "t/0/1\u{0}")) }
            await #expect(throws: StoreError.self) { try await store.records(outRequestNo: "ORD\u{0}") }
            // Each is specifically invalidInput.
            do {
                _ = try await store.claim(claimRequest(nulOutRequestNo))
                Issue.record("a NUL in out_request_no must be rejected")
            } catch let error as StoreError {
                guard case .invalidInput(let message) = error else {
                    Issue.record("expected invalidInput, got \(error)")
                    return
                }
                #expect(message.contains("NUL"))
            }
            #expect(try await store.record(for: key) == nil, "nothing was written")
        }
    }

    @Test("an empty out_request_no, owner, source or lease, or a retention that is not positive, is invalid input",
          arguments: StoreBackend.allCases)
    func emptyValues(backend: StoreBackend) async throws {
        try await backend.withStore { store, _ in
            let empty = IdempotencyKey(provider: .wechat, merchant: "m", outRequestNo: "")
            await #expect(throws: StoreError.self) { try await store.claim(claimRequest(empty)) }
            await #expect(throws: StoreError.self) { try await store.claim(claimRequest(uniqueKey(), owner: "")) }
            await #expect(throws: StoreError.self) { try await store.claim(claimRequest(uniqueKey(), source: "")) }
            await #expect(throws: StoreError.self) { try await store.claim(claimRequest(uniqueKey(), lease: .zero)) }

            let key = uniqueKey()
            let lease = try #require(try await store.claim(claimRequest(key)).lease)
            for duration in [Duration.zero, .seconds(-1)] {
                await #expect(throws: StoreError.self) { try await store.extendLease(lease, for: duration) }
                await #expect(throws: StoreError.self) { try await store.recordAttempt(lease, renewingFor: duration) }
                await #expect(throws: StoreError.self) { try await store.purge(retaining: duration) }
            }
            let record = try #require(try await store.record(for: key))
            #expect(record.attempts == 0, "a refused renewal counted nothing")
            #expect(leaseMilliseconds(record) == 30_000, "and moved no lease")
        }
    }

    @Test("an unreachable PostgreSQL is a typed error whose message has no password")
    func unreachablePostgres() async throws {
        let secret = "s3cr3t-Pa55word"
        do {
            let store = try await PostgresIdempotencyStore.open(url: "postgres://worker:\(secret)@127.0.0.1:1/coupons?sslmode=disable", logger: testLogger)
            await store.close()
            Issue.record("connecting to port 1 must fail")
        } catch {
            guard case .unreachable(let message) = error else {
                Issue.record("expected unreachable, got \(error)")
                return
            }
            #expect(!message.contains(secret))
            #expect(!"\(error)".contains(secret))
            #expect(!String(reflecting: error).contains(secret))
            #expect(message.contains("127.0.0.1:1"), "tells the operator where it tried")
        }
    }

    @Test("the factory reports an unreachable PostgreSQL as unreachable too, password redacted")
    func factoryUnreachablePostgres() async throws {
        await #expect {
            _ = try await IdempotencyStoreFactory.open("postgresql://worker:hunter2@127.0.0.1:1/coupons?sslmode=disable", logger: testLogger)
        } throws: { error in
            guard case StoreError.unreachable(let message) = error else { return false }
            return !message.contains("hunter2") && message.contains("***")
        }
    }

    @Test("wrong PostgreSQL credentials or database are unreachable, not a crash")
    func wrongDatabase() async throws {
        let server = try PostgresFixture.serverURL()
        var components = try #require(URLComponents(string: server))
        components.path = "/no_such_database_\(UUID().uuidString.prefix(8).lowercased())"
        let url = try #require(components.string)
        await #expect {
            _ = try await IdempotencyStoreFactory.open(url, logger: testLogger)
        } throws: { error in
            guard case StoreError.unreachable(let message) = error else { return false }
            return message.contains("3D000")
        }
    }

    @Test("an SQLite file that cannot be created is unreachable")
    func unreachableSQLite() async throws {
        await #expect {
            _ = try await IdempotencyStoreFactory.open("sqlite:/nonexistent-\(UUID().uuidString)/dir/store.sqlite", logger: testLogger)
        } throws: { error in
            guard case StoreError.unreachable = error else { return false }
            return true
        }
    }

    @Test("a location that is neither sqlite: nor postgres:// is invalid input, shown without credentials")
    func unknownLocation() async throws {
        await #expect {
            _ = try await IdempotencyStoreFactory.open("mysql://root:topsecret@db/coupons", logger: testLogger)
        } throws: { error in
            guard case StoreError.invalidInput(let message) = error else { return false }
            return !message.contains("topsecret")
        }
    }

    @Test("a closed store answers with a typed error")
    func closedSQLiteStore() async throws {
        try await StoreBackend.sqlite.withLocation { location in
            let store = try await IdempotencyStoreFactory.open(location, logger: testLogger)
            await store.close()
            await #expect(throws: StoreError.self) { try await store.record(for: uniqueKey()) }
            await #expect(throws: StoreError.self) { try await store.claim(claimRequest(uniqueKey())) }
        }
    }
}
