import AsyncHTTPClient
import Foundation
import CouponSandbox
import CouponWorkerDevTools
import Kafka
import Synchronization
import TestSupport
import Testing

/// The built `coupon-worker` binary, next to this test bundle.
let couponWorkerBinary: URL = {
    let testBinary = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
    return testBinary.deletingLastPathComponent().appendingPathComponent("coupon-worker")
}()

/// A running `coupon-worker` child process whose output lines can be awaited.
final class ChildProcess: @unchecked Sendable {
    // Safe: `process` is only touched by the owning test task; output flows through
    // AsyncStreams and `CapturedOutput`, which locks.
    let process = Process()
    /// Standard output, line by line.
    let lines: AsyncStream<String>
    /// Standard error (where the logs go), line by line.
    let errorLines: AsyncStream<String>
    private let stdout = Pipe()
    private let stderr = Pipe()
    private let capturedOutput = CapturedOutput()
    private let capturedErrors = CapturedOutput()
    /// Set by `Process.terminationHandler`, registered before the child starts.
    private let exit = ProcessExit()

    init(_ arguments: [String], environment: [String: String] = [:]) throws {
        process.executableURL = couponWorkerBinary
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        process.standardOutput = stdout
        process.standardError = stderr
        lines = Self.stream(stdout, into: capturedOutput)
        errorLines = Self.stream(stderr, into: capturedErrors)
        process.terminationHandler = { [exit] finished in exit.finish(finished.terminationStatus) }
        try process.run()
    }

    /// Splits `pipe` into lines as they arrive, and keeps everything in `captured`.
    ///
    /// A thread of its own reads with blocking reads until end of file: Foundation's
    /// `readabilityHandler` on Linux was seen to never report the end of a pipe, which left
    /// `allOutput()` waiting forever after the child had exited.
    private static func stream(_ pipe: Pipe, into captured: CapturedOutput) -> AsyncStream<String> {
        let (stream, continuation) = AsyncStream<String>.makeStream()
        let handle = pipe.fileHandleForReading
        let reader = Thread {
            var buffer = LineBuffer()
            while true {
                let data = handle.availableData
                if data.isEmpty { break }
                captured.append(data)
                for line in buffer.append(data) { continuation.yield(line) }
            }
            continuation.finish()
            captured.finish()
        }
        reader.start()
        return stream
    }

    /// Waits for the first output line containing `text`.
    func waitForLine(containing text: String) async -> String? {
        for await line in lines where line.contains(text) { return line }
        return nil
    }

    /// Waits for the first line on standard error (the logs) containing `text`.
    func waitForErrorLine(containing text: String) async -> String? {
        for await line in errorLines where line.contains(text) { return line }
        return nil
    }

    /// Everything written to standard error, once the process closed it.
    func standardError() async -> String { await capturedErrors.whole() }

    /// Everything written to standard output and standard error, once the process closed them.
    func allOutput() async -> String { await capturedOutput.whole() + capturedErrors.whole() }

    func terminate() { process.terminate() }

    deinit {
        // A test that failed half-way must not leave a worker running.
        if process.isRunning { process.terminate() }
    }

    /// Waits for the process to end; one still running after `limit` is terminated, so a test
    /// whose process does not end fails (status 15) instead of hanging.
    func waitForExit(terminatingAfter limit: Duration) async -> Int32 {
        let seconds = limit / .seconds(1)
        DispatchQueue.global().asyncAfter(deadline: .now() + seconds) { [self] in
            if process.isRunning { process.terminate() }
        }
        return await waitForExit()
    }

    /// The exit status (the signal's number when a signal ended it); -1 when the waiting task
    /// was cancelled first. No thread waits: `Process.waitUntilExit()` polls a run loop on
    /// Linux and was seen to park its thread for good.
    func waitForExit() async -> Int32 {
        await exit.wait() ?? -1
    }
}

/// All bytes of one output stream, readable once the stream ended.
final class CapturedOutput: Sendable {
    private struct State {
        var data = Data()
        var finished = false
        var waiters: [CheckedContinuation<Void, Never>] = []
    }

    private let state = Mutex(State())

    func append(_ data: Data) { state.withLock { $0.data.append(data) } }

    func finish() {
        let waiters = state.withLock { s in
            s.finished = true
            defer { s.waiters = [] }
            return s.waiters
        }
        for waiter in waiters { waiter.resume() }
    }

    /// The whole text, after the stream ended.
    func whole() async -> String {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let finished = state.withLock { s in
                if !s.finished { s.waiters.append(continuation) }
                return s.finished
            }
            if finished { continuation.resume() }
        }
        return state.withLock { String(decoding: $0.data, as: UTF8.self) }
    }
}

/// Splits a byte stream into lines.
struct LineBuffer {
    private var pending = Data()

    mutating func append(_ data: Data) -> [String] {
        pending.append(data)
        var lines: [String] = []
        while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
            lines.append(String(decoding: pending[pending.startIndex..<newline], as: UTF8.self))
            pending.removeSubrange(pending.startIndex...newline)
        }
        return lines
    }
}

/// A TCP port nobody listens on right now.
func freePort() throws -> Int {
    let port = try RefusingPort()
    defer { port.close() }
    return port.port
}

@Suite("The coupon-worker executable", .serialized, .timeLimit(.minutes(3)))
struct ExecutableTests {
    @Test("a wrong configuration fails at start with one clear line per problem, no stack trace and no secret")
    func wrongConfigurationFailsClearly() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("config-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let secret = "TOP-SECRET-KEY-MATERIAL-0123456789"
        let badPEM = folder.appendingPathComponent("apiclient_key.pem")
        try "-----BEGIN PRIVATE KEY-----\n\(secret)\n-----END PRIVATE KEY-----\n".write(to: badPEM, atomically: true, encoding: .utf8)
        let apiV3 = folder.appendingPathComponent("apiv3_key")
        try "\(secret)\n".write(to: apiV3, atomically: true, encoding: .utf8)
        let config = folder.appendingPathComponent("config.json")
        try """
            {"wechat":{"merchants":[{"mchid":"1900000001","cert_serial":"ABC","private_key_file":"\(badPEM.path)",
              "apiv3_key_file":"\(apiV3.path)","base_url":"ftp://nowhere"}]},
             "zvcms":{"accounts":[{"open_id":"o","grant_code":"g","open_key_file":"\(folder.path)/missing-open-key"}]},
             "store":"mysql://x"}
            """.write(to: config, atomically: true, encoding: .utf8)

        let child = try ChildProcess(["run", "--config", config.path], environment: ["COUPON_KAFKA_BROKERS": ""])
        let status = await child.waitForExit()
        let errors = await child.standardError()
        #expect(status == 78)
        let lines = errors.split(separator: "\n").map(String.init)
        #expect(lines.allSatisfy { $0.hasPrefix("config: ") }, "\(lines)")
        #expect(lines.contains { $0.contains("kafka.brokers") })
        #expect(lines.contains { $0.contains("store") })
        #expect(lines.contains { $0.contains("wechat.merchants[0]") })
        #expect(lines.contains { $0.contains("zvcms.accounts[0]") && $0.contains("missing-open-key") })
        #expect(!errors.contains(secret))
        #expect(!errors.contains("Fatal error"))
    }

    @Test("a lease that cannot cover one provider attempt is refused at start with one line and exit 78")
    func leaseShorterThanAnAttemptIsRefused() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("config-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let openKey = folder.appendingPathComponent("open_key")
        try "fake-open-key-for-test-only-0001\n".write(to: openKey, atomically: true, encoding: .utf8)
        let config = folder.appendingPathComponent("config.json")
        try """
            {"kafka":{"brokers":"127.0.0.1:1"},"store":"sqlite:\(folder.path)/store.sqlite",
             "worker":{"lease_seconds":3,"provider_timeout_seconds":3},
             "zvcms":{"accounts":[{"open_id":"o","grant_code":"g","open_key_file":"\(openKey.path)"}]}}
            """.write(to: config, atomically: true, encoding: .utf8)

        let child = try ChildProcess(["run", "--config", config.path], environment: [:])
        let status = await child.waitForExit()
        let lines = await child.standardError().split(separator: "\n").map(String.init)
        #expect(status == 78)
        #expect(lines.count == 1, "\(lines)")
        #expect(lines.first?.contains("worker.lease_seconds (3 s) must exceed") == true, "\(lines)")
    }

    @Test("demo --trace prints each command's span tree: the claim, the provider attempt with its HTTP call, storing and publishing")
    func demoPrintsSpanTrees() async throws {
        let child = try ChildProcess(["demo", "--trace"])
        #expect(await child.waitForExit(terminatingAfter: .seconds(120)) == 0)
        let output = await child.allOutput()
        let lines = output.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let root = try #require(lines.firstIndex { $0.contains("DEMO-W-0001  (coupon.commands.issue process)") && $0.contains("replayed=false") },
                                "\(output)")
        let tree = lines[root...].prefix { !$0.isEmpty }.joined(separator: "\n")
        for child in ["├─ coupon.wait_slot", "├─ coupon.claim", "├─ coupon.rate_limit", "├─ coupon.attempt",
                      "http=200",
                      "├─ coupon.store_outcome", "└─ coupon.results publish"] {
            #expect(tree.contains(child), "\(child) missing in\n\(tree)")
        }
        #expect(lines[root].contains("status=succeeded attempts=1"), "\(lines[root])")
        // The HTTP call is a child of the attempt, not of the command.
        #expect(tree.split(separator: "\n").contains { $0.hasPrefix("  │  ") && $0.contains("POST /v3/marketing/busifavor/product-coupons/send") },
                "\(tree)")
    }

    @Test("the demo runs the whole product; its operator port serves health, readiness, metrics, and records to its own token only; SIGTERM stops it")
    func demoServesTheOperatorPort() async throws {
        let port = try freePort()
        let child = try ChildProcess(["demo", "--keep-running", "--http-port", "\(port)"])
        var printed: [String] = []
        for await line in child.lines {
            printed.append(line)
            if line.contains("every command got its result") { break }
        }
        #expect(printed.last?.contains("every command got its result") == true, "\(printed)")
        // The queries go after the issues, so they show the coupons just issued.
        #expect(printed.contains { $0.contains(#"DEMO-Q-0001    wechat user_coupons.list    {"data":[{"#) }, "\(printed)")
        #expect(printed.contains { $0.contains(#"DEMO-Q-0002    zvcms customer_coupons      {"coupons":[{"#) }, "\(printed)")
        #expect(await child.waitForLine(containing: "Still running") != nil)
        // The demo prints a ready command that reads the token from its file, never the token.
        let curl = try #require(await child.waitForLine(containing: "curl -H"))
        let pattern = #/curl -H "Authorization: Bearer \$\(cat (\S+)\)" http://127\.0\.0\.1:(\d+)/requests/(\S+)$/#
        let match = try #require(curl.firstMatch(of: pattern), "\(curl)")
        let tokenFile = String(match.1)
        #expect(Int(match.2) == port)
        let attributes = try FileManager.default.attributesOfItem(atPath: tokenFile)
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        let token = try String(contentsOfFile: tokenFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(token.count >= 32)

        let side = SidePortClient(port: port)
        #expect(try await side.get("/healthz").status == 200)
        let ready = try await side.get("/readyz")
        #expect(ready.status == 200)
        #expect(ready.body.contains(#""ready":true"#))
        let metrics = try await side.get("/metrics")
        #expect(metrics.body.contains("coupon_results_total"))
        #expect(metrics.body.contains("coupon_provider_request_duration_seconds"))
        #expect(metrics.body.contains("coupon_commands_consumed_total"))
        #expect(metrics.body.contains("coupon_store_available 1"))
        let record = try await side.get("/requests/\(match.3)", bearer: token)
        #expect(record.status == 200)
        #expect(record.body.contains(#""state":"final""#))
        #expect(try await side.get("/requests/DEMO-W-0001").status == 401)
        #expect(try await side.get("/requests/NOT-THERE", bearer: token).status == 404)

        child.terminate()
        #expect(await child.waitForExit() == 0)
        #expect(!(await child.allOutput()).contains(token))
    }

    @Test("replay-dlq re-drives only the chosen dead letters to their source topic, without the error headers")
    func replayDeadLetters() async throws {
        let kafka = try MockKafka()
        defer { kafka.shutdown() }
        let source = try kafka.createTopic(prefix: "issue")
        let dlq = try kafka.createTopic(prefix: "dlq")
        let producer = try kafka.makeProducer()
        func deadLetter(key: String, value: String, code: String) -> KafkaOutgoingMessage {
            KafkaOutgoingMessage(
                topic: dlq, key: Array(key.utf8), value: Array(value.utf8),
                headers: [
                    KafkaHeader(key: "traceparent", string: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"),
                    KafkaHeader(key: "x-coupon-error-code", string: code),
                    KafkaHeader(key: "x-coupon-error-source-topic", string: source),
                ])
        }
        _ = try await producer.send(deadLetter(key: "ORD-FIX-1", value: #"{"fixed":1}"#, code: "PROVIDER_REJECTED"))
        _ = try await producer.send(deadLetter(key: "ORD-BAD-1", value: "{not json", code: "INVALID_COMMAND"))
        await producer.shutdown(timeout: .seconds(5))

        let child = try ChildProcess([
            "replay-dlq", "--brokers", kafka.bootstrapServers, "--topic", dlq, "--error-code", "PROVIDER_REJECTED",
            "--idle-seconds", "3", "--group", MockKafka.uniqueName("replayer"),
        ])
        #expect(await child.waitForExit() == 0)

        let consumer = try KafkaConsumer(configuration: kafka.consumerConfiguration(), rebalanceListener: nil, logger: kafka.logger)
        try consumer.subscribe(topics: [source])
        var replayed: KafkaConsumerMessage?
        for try await message in consumer.messages {
            replayed = message
            break
        }
        await consumer.close()
        let message = try #require(replayed)
        #expect(message.key.map { String(decoding: $0, as: UTF8.self) } == "ORD-FIX-1")
        #expect(String(decoding: message.value, as: UTF8.self) == #"{"fixed":1}"#)
        #expect(message.header(named: "traceparent") != nil)
        #expect(message.headers.allSatisfy { !$0.key.hasPrefix("x-coupon-error-") })
        let positions = try await sourceRecordCount(kafka: kafka, topic: source)
        #expect(positions == 1)  // the INVALID_COMMAND record was not replayed
    }
}

/// How many records `topic` (one partition) holds, read by a fresh consumer to its end.
func sourceRecordCount(kafka: MockKafka, topic: String) async throws -> Int {
    let producer = try kafka.makeProducer()
    // A marker at the end tells the reader it has seen everything before it.
    _ = try await producer.send(KafkaOutgoingMessage(topic: topic, key: nil, value: Array("end-marker".utf8)))
    await producer.shutdown(timeout: .seconds(5))
    let consumer = try KafkaConsumer(configuration: kafka.consumerConfiguration(), rebalanceListener: nil, logger: kafka.logger)
    try consumer.subscribe(topics: [topic])
    var count = 0
    for try await message in consumer.messages {
        if message.value == Array("end-marker".utf8) { break }
        count += 1
    }
    await consumer.close()
    return count
}
