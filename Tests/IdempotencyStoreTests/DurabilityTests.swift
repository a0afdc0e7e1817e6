import CouponModel
import Foundation
import IdempotencyStore
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Durability across a process kill.
///
/// SwiftPM cannot get a separate executable target here, so the child process is this test
/// binary itself, re-run with `--filter` naming one test (``DurabilityTests/crashChild()``)
/// and environment variables that tell it where to write. That test (enabled only in the
/// child) opens the store, claims, completes, prints a marker once `complete` has returned
/// true, and SIGKILLs itself: no `close()`, no deinit, no atexit, no buffered data flushed.
/// The parent checks that the child died of SIGKILL after the marker, then reads the record
/// back through a fresh store (a new SQLite connection / PostgreSQL pool in another process
/// than the writer's).
@Suite("Durability")
struct DurabilityTests {
    @Test("a completed record survives a SIGKILL of the process that completed it", arguments: StoreBackend.allCases)
    func completedRecordSurvivesKill(backend: StoreBackend) async throws {
        try await backend.withLocation { location in
            let key = uniqueKey(prefix: "CRASH")
            let child = try await CrashChild.run(location: location, outRequestNo: key.outRequestNo)

            #expect(child.reason == .uncaughtSignal && child.status == SIGKILL, "child exit: \(child.reason) \(child.status)\n\(child.output)")
            #expect(child.output.contains(CrashChild.completedMarker), "complete returned before the kill:\n\(child.output)")

            try await StoreBackend.withStore(at: location) { store, _ in
                let record = try #require(try await store.record(for: key), "the child's record is gone:\n\(child.output)")
                #expect(record.state == .final)
                #expect(record.resultStatus == CrashChild.outcome.status)
                #expect(record.resultEvent == CrashChild.outcome.resultEvent)
                #expect(record.leaseOwner == CrashChild.owner)
                #expect(record.fence == 1)
            }
        }
    }

    /// The child's side; runs only in the child process started above.
    @Test("crash child: completes a record, then SIGKILLs its own process", .enabled(if: CrashChild.isChild))
    func crashChild() async throws {
        let environment = ProcessInfo.processInfo.environment
        let location = try #require(environment[CrashChild.locationVariable])
        let outRequestNo = try #require(environment[CrashChild.keyVariable])
        let key = IdempotencyKey(provider: .wechat, merchant: "1900000001", outRequestNo: outRequestNo)

        let store = try await IdempotencyStoreFactory.open(location, logger: testLogger)
        let claimed = try await store.claim(claimRequest(key, owner: CrashChild.owner))
        guard case .claimed = claimed, let lease = claimed.lease else {
            Issue.record("the child's claim did not win: \(claimed)")
            await store.close()
            return
        }
        let completed = try await store.complete(lease, outcome: CrashChild.outcome)
        try #require(completed)
        // An unbuffered write(2): on stdout before the kill, with no buffer left to flush.
        FileHandle.standardOutput.write(Data((CrashChild.completedMarker + "\n").utf8))
        kill(getpid(), SIGKILL)
    }
}

/// Starting the child process and reading how it ended.
enum CrashChild {
    static let locationVariable = "COUPON_STORE_CRASH_CHILD_LOCATION"
    static let keyVariable = "COUPON_STORE_CRASH_CHILD_KEY"
    static let completedMarker = "CRASH-CHILD: complete returned true"
    static let owner = "crash-child"
    static let outcome = StoredOutcome(status: .succeeded, resultEvent: Array(#"{"event_id":"crash-child","status":"succeeded"}"#.utf8))

    /// Whether this process is the child.
    static var isChild: Bool { ProcessInfo.processInfo.environment[locationVariable] != nil }

    /// Runs the child test in a new process of this test binary and waits for it to end.
    static func run(location: String, outRequestNo: String) async throws -> ExternalCommand.Outcome {
        var environment = ProcessInfo.processInfo.environment
        environment[locationVariable] = location
        environment[keyVariable] = outRequestNo
        // The running test binary (SwiftPM's `*.xctest` executable on Linux).
        return try await ExternalCommand(
            try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"),
            ["--testing-library", "swift-testing", "--filter", "DurabilityTests/crashChild"],
            environment: environment
        ).run()
    }
}
